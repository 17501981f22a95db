"""Forms of the closure and change applications. The same forms edit a returned
application in the applicant's revision step (approvals.services.revision_form)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from lifecycle.models import Account, AccountState, ChannelKind

CHANNEL_ROWS = 4


class SuccessorsForm(forms.Form):
    """Where the public goes instead: a successor account in the system and/or channel rows.
    The data step of a forced closure whose successors are not known yet."""

    successor_account = forms.ModelChoiceField(
        label=_("承接账号（系统内运行中的账号）"), queryset=Account.objects.none(), required=False,
        help_text=_("整合必须选择；关停时如有承接账号也请选择。"),
    )

    def __init__(self, *args, account: Account, rows: int = CHANNEL_ROWS, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = max(rows, CHANNEL_ROWS)
        self.fields["successor_account"].queryset = (
            Account.objects.filter(state=AccountState.ACTIVE).exclude(pk=account.pk)
            .select_related("unit").order_by("name")
        )
        self.fields["successor_account"].label_from_instance = (
            lambda a: f"{a.name}（{a.get_platform_display()} {a.platform_id}）· {a.unit.name}"
        )
        for i in range(self.rows):
            self.fields[f"channel_kind_{i}"] = forms.ChoiceField(
                label=_("承接渠道{n}类型").format(n=i + 1), required=False,
                choices=[("", "—")] + list(ChannelKind.choices),
            )
            self.fields[f"channel_value_{i}"] = forms.CharField(
                label=_("承接渠道{n}内容").format(n=i + 1), required=False, max_length=300,
                help_text=_("账号名称/微信号、网址、客户端名称、电话或地址") if i == 0 else "",
            )

    @staticmethod
    def initial_for(plan: dict[str, Any]) -> dict[str, Any]:
        """Form values of a stored plan (process.data["closure"]), for editing it."""
        initial: dict[str, Any] = {
            "kind": plan.get("kind"), "reason": plan.get("reason"), "stop_on": plan.get("stop_on"),
            "successor_account": plan.get("successor_account"),
        }
        for i, channel in enumerate(plan.get("channels") or []):
            initial[f"channel_kind_{i}"] = channel.get("kind", "")
            initial[f"channel_value_{i}"] = channel.get("value", "")
        return initial

    def channels(self) -> list[dict[str, str]]:
        data = self.cleaned_data
        rows = []
        for i in range(self.rows):
            kind, value = data.get(f"channel_kind_{i}") or "", data.get(f"channel_value_{i}") or ""
            if kind or value.strip():
                rows.append({"kind": kind, "value": value})
        return rows


class ChangeApplyForm(forms.Form):
    name = forms.CharField(label=_("账号名称"), max_length=200)
    operator = forms.CharField(label=_("运维单位"), required=False, max_length=200)
    verified_subject = forms.CharField(label=_("认证主体"), required=False, max_length=200)
    contact_name = forms.CharField(label=_("联系人"), required=False, max_length=100)
    contact_phone = forms.CharField(label=_("联系电话"), required=False, max_length=50)
    purpose = forms.CharField(label=_("开设用途"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(label=_("变更理由"), widget=forms.Textarea(attrs={"rows": 2}))


class ClosureApplyForm(SuccessorsForm):
    kind = forms.ChoiceField(
        label=_("申请类型"), choices=[("close", _("关停")), ("merge", _("整合（并入其他账号）"))]
    )
    reason = forms.CharField(label=_("关停/整合理由"), widget=forms.Textarea(attrs={"rows": 3}))
    stop_on = forms.DateField(
        label=_("停止更新日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("不得早于今天。"),
    )
    field_order = ["kind", "reason", "stop_on", "successor_account"]

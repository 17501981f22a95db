"""Web forms that start a ClosureFlow or a ChangeFlow. They call the same services as the
REST API (approvals.services.closure_apply / change_apply)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from lifecycle.models import Account, AccountState, ChannelKind, Role
from lifecycle.selectors import sees_everything, user_units

from . import services
from .views import _form_errors

CHANNEL_ROWS = 4


class ClosureApplyForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("申请类型"), choices=[("close", _("关停")), ("merge", _("整合（并入其他账号）"))]
    )
    reason = forms.CharField(label=_("关停/整合理由"), widget=forms.Textarea(attrs={"rows": 3}))
    stop_on = forms.DateField(
        label=_("停止更新日期"), widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("不得早于今天。"),
    )
    successor_account = forms.ModelChoiceField(
        label=_("承接账号（系统内运行中的账号）"), queryset=Account.objects.none(), required=False,
        help_text=_("整合必须选择；关停时如有承接账号也请选择。"),
    )

    def __init__(self, *args, account: Account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["successor_account"].queryset = (
            Account.objects.filter(state=AccountState.ACTIVE).exclude(pk=account.pk)
            .select_related("unit").order_by("name")
        )
        self.fields["successor_account"].label_from_instance = (
            lambda a: f"{a.name}（{a.get_platform_display()} {a.platform_id}）· {a.unit.name}"
        )
        for i in range(CHANNEL_ROWS):
            self.fields[f"channel_kind_{i}"] = forms.ChoiceField(
                label=_("承接渠道{n}类型").format(n=i + 1), required=False,
                choices=[("", "—")] + list(ChannelKind.choices),
            )
            self.fields[f"channel_value_{i}"] = forms.CharField(
                label=_("承接渠道{n}内容").format(n=i + 1), required=False, max_length=300,
                help_text=_("账号名称/微信号、网址、客户端名称、电话或地址") if i == 0 else "",
            )

    def channels(self) -> list[dict[str, str]]:
        data = self.cleaned_data
        rows = []
        for i in range(CHANNEL_ROWS):
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


def applicant_account(request, account_id: int) -> Account:
    """The account, if the user is an applicant of its owning unit (else 404: no leak)."""
    account = Account.objects.select_related("unit").filter(pk=account_id).first()
    if account is None:
        raise Http404(_("没有找到该账号。"))
    if not sees_everything(request.user) and account.unit_id not in {
        u.pk for u in user_units(request.user, roles=(Role.APPLICANT,))
    }:
        raise Http404(_("没有找到该账号。"))
    return account


def _to_process(process):
    return HttpResponseRedirect(
        process.flow_class.instance.reverse("process_detail", args=[process.pk])
    )


class ApplyClosureView(View):
    template_name = "approvals/apply_closure.html"

    def page(self, request, account, form, status=200):
        return render(request, self.template_name, {"form": form, "account": account}, status=status)

    def get(self, request, account_id: int):
        account = applicant_account(request, account_id)
        form = ClosureApplyForm(account=account, initial={"stop_on": timezone.localdate()})
        return self.page(request, account, form)

    def post(self, request, account_id: int):
        account = applicant_account(request, account_id)
        form = ClosureApplyForm(request.POST, account=account)
        if not form.is_valid():
            return self.page(request, account, form, status=400)
        data = form.cleaned_data
        try:
            process = services.closure_apply(
                actor=request.user, account=account, kind=data["kind"], reason=data["reason"],
                stop_on=data["stop_on"], successor_account=data.get("successor_account"),
                successor_channels=form.channels(),
            )
        except ValidationError as exc:
            _form_errors(form, exc)
            if hasattr(exc, "error_dict") and "successor_channels" in exc.error_dict:
                form.add_error("channel_value_0", exc.message_dict["successor_channels"])
            return self.page(request, account, form, status=400)
        for note in process.data["closure"].get("notes", []):
            messages.warning(request, note)
        messages.success(
            request, _("关停/整合申请已提交（流程 #{pk}），等待单位负责人审核。").format(pk=process.pk)
        )
        return _to_process(process)


class ApplyChangeView(View):
    template_name = "approvals/apply_change.html"

    def page(self, request, account, form, status=200):
        return render(request, self.template_name, {"form": form, "account": account}, status=status)

    def get(self, request, account_id: int):
        account = applicant_account(request, account_id)
        initial = {f: getattr(account, f) for f in ChangeApplyForm.base_fields if f != "reason"}
        return self.page(request, account, ChangeApplyForm(initial=initial))

    def post(self, request, account_id: int):
        account = applicant_account(request, account_id)
        form = ChangeApplyForm(request.POST)
        if not form.is_valid():
            return self.page(request, account, form, status=400)
        data = dict(form.cleaned_data)
        reason = data.pop("reason")
        try:
            process = services.change_apply(
                actor=request.user, account=account, changes=data, reason=reason
            )
        except ValidationError as exc:
            _form_errors(form, exc)
            return self.page(request, account, form, status=400)
        messages.success(
            request, _("变更申请已提交（流程 #{pk}），等待单位负责人审核。").format(pk=process.pk)
        )
        return _to_process(process)

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lifecycle.models import Unit
from lifecycle.widgets import LongSelect
from notices.kinds import kind_choices
from notices.models import NoticeStatus, Retention
from notices.services import is_sha256

ERR_UPLOAD_TOO_LARGE = _("文件过大（上限 {mb} MB）。")


def verify_upload_mb() -> int:
    """The cap on a PDF uploaded for verification (anonymous: PUBLIC_VERIFY_UPLOAD_MB,
    10 MB — a notice is a few hundred KB; issue 12 item 8, the finding: 60 MB accepted)."""
    from django.conf import settings

    return int(getattr(settings, "PUBLIC_VERIFY_UPLOAD_MB", 10))


class NoticeSearchForm(forms.Form):
    q = forms.CharField(label=_("全文"), required=False, max_length=100)
    number = forms.CharField(label=_("发文字号"), required=False, max_length=64)
    kind = forms.ChoiceField(label=_("文种"), required=False)
    unit = forms.ModelChoiceField(
        label=_("单位（含下级）"), required=False, queryset=Unit.objects.none(),
        to_field_name="code", widget=LongSelect,  # every unit of the reader's subtree
    )
    account = forms.CharField(label=_("账号（编号或名称）"), required=False, max_length=200)
    date_from = forms.DateField(label=_("成文日期自"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("至"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(label=_("状态"), required=False)
    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=2100)
    retention = forms.ChoiceField(label=_("保管期限"), required=False)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("全部"))] + kind_choices()
        self.fields["status"].choices = [("", _("全部"))] + list(NoticeStatus.choices)
        self.fields["retention"].choices = [("", _("全部"))] + list(Retention.choices)
        if units is not None:
            self.fields["unit"].queryset = units


class VerifyForm(forms.Form):
    number = forms.CharField(label=_("发文字号"), max_length=64)
    sha256 = forms.CharField(label=_("文件SHA-256（可选）"), required=False, max_length=64)
    pdf = forms.FileField(label=_("或上传PDF文件（可选）"), required=False)

    def clean_sha256(self):
        value = self.cleaned_data["sha256"].strip().lower()
        if value and not is_sha256(value):
            raise forms.ValidationError(_("SHA-256 应为64位十六进制字符串。"))
        return value

    def clean_pdf(self):
        f = self.cleaned_data.get("pdf")
        if f and f.size > verify_upload_mb() * 1024 * 1024:
            raise forms.ValidationError(str(ERR_UPLOAD_TOO_LARGE).format(mb=verify_upload_mb()))
        return f


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("撤销理由"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}))
    replacement = forms.CharField(
        label=_("补充说明（可选）"), required=False, max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("如：更正后的内容另行发文。"),
    )

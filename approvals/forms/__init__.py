"""Forms of the engine's steps and applications (decision, opening, revision, registration,
deregistration); closure and change forms in forms.closure, inspection and rectification
forms in forms.inspection. The web pages and the API validate the same data with these."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from approvals import app_policy
from approvals.models import DECIDABLE, DecisionKind
from lifecycle.models import Platform

ERR_STOP_IN_PAST = _("日期不能早于今天。")


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审核意见"), choices=[c for c in DecisionKind.choices if c[0] in DECIDABLE]
    )
    comment = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    return_to = forms.TypedChoiceField(
        label=_("退回至"), required=False, coerce=int, empty_value=None, choices=()
    )

    def __init__(self, *args, return_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["return_to"].choices = [("", _("申请人"))] + list(return_choices)

    def clean(self):
        data = super().clean()
        if data.get("decision") in (DecisionKind.REJECT, DecisionKind.RETURN) and not (
            data.get("comment") or ""
        ).strip():
            self.add_error("comment", _("不同意或退回时必须说明理由。"))
        return data


class RegistrationForm(forms.Form):
    """Data of the registration step (DESIGN §8 task `fields`)."""

    platform_id = forms.CharField(label=_("平台账号ID（微信号/UID）"), max_length=200)
    verified_subject = forms.CharField(label=_("认证主体"), max_length=200)
    live_on = forms.DateField(label=_("上线日期"), widget=forms.DateInput(attrs={"type": "date"}))


class CacFilingForm(forms.Form):
    """The 网信 filing of an app before it goes live (国办函〔2026〕12号; approvals.app_policy)."""

    cac_filing_number = forms.CharField(
        label=_("网信备案编号"), max_length=100,
        help_text=format_lazy("{}（{}）", app_policy.RULE_TEXT, app_policy.RULE_SOURCE),
    )
    cac_filed_on = forms.DateField(label=_("网信备案日期"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean_cac_filed_on(self):
        day = self.cleaned_data["cac_filed_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("网信备案日期不能晚于今天。"))
        return day


class DeregistrationForm(forms.Form):
    deregistered_on = forms.DateField(
        label=_("平台注销日期"), widget=forms.DateInput(attrs={"type": "date"})
    )


class RevisionForm(forms.Form):
    """The applicant answers a return: edits the application and resubmits (or withdraws)."""

    name = forms.CharField(label=_("账号名称"), max_length=200)
    purpose = forms.CharField(label=_("开设用途"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    operator = forms.CharField(label=_("运维单位"), required=False, max_length=200)
    contact_name = forms.CharField(label=_("联系人"), required=False, max_length=100)
    contact_phone = forms.CharField(label=_("联系电话"), required=False, max_length=50)


# Bounded text (issue 12 item 8): the notice renderer gets bounded input.
PURPOSE_MAX_LENGTH = 2000
PLAN_KINDS = ("pdf", "png", "jpg", "docx", "xlsx")
ERR_UPLOAD_KIND = _("只接受以下类型的文件：{kinds}（按文件内容判断）。")
ERR_UPLOAD_SIZE = _("文件不能超过 {mb} MB。")


def upload_kind(f) -> str:
    """The kind of an uploaded file judged by its content (not its name or declared type):
    pdf, png, jpg, docx, xlsx, or "" for anything else (HTML, SVG, scripts …)."""
    import zipfile

    head = f.read(8)
    f.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(f) as z:
                names = set(z.namelist())
        except zipfile.BadZipFile:
            names = set()
        finally:
            f.seek(0)
        if "[Content_Types].xml" in names:
            if any(n.startswith("word/") for n in names):
                return "docx"
            if any(n.startswith("xl/") for n in names):
                return "xlsx"
    return ""


def check_upload(f, kinds):
    """ValidationError unless `f` (or None) is one of `kinds` by content and within the
    size limit (settings.MAX_UPLOAD_FILE_BYTES)."""
    from django.conf import settings

    if f is None:
        return f
    if f.size > settings.MAX_UPLOAD_FILE_BYTES:
        raise forms.ValidationError(
            str(ERR_UPLOAD_SIZE).format(mb=settings.MAX_UPLOAD_FILE_BYTES // (1024 * 1024)))
    if upload_kind(f) not in kinds:
        raise forms.ValidationError(
            str(ERR_UPLOAD_KIND).format(kinds="、".join(k.upper() for k in kinds)))
    return f


class OpeningForm(forms.Form):
    """The web application form (POST /api/applications/opening/ takes the same fields)."""

    unit = forms.ChoiceField(label=_("申请单位"))
    platform = forms.ChoiceField(
        label=_("平台"), choices=Platform.choices,
        help_text=format_lazy("{}（{}）", app_policy.RULE_TEXT, app_policy.RULE_SOURCE),
    )
    name = forms.CharField(label=_("账号名称"), max_length=200)
    purpose = forms.CharField(label=_("开设用途"), max_length=PURPOSE_MAX_LENGTH,
                              widget=forms.Textarea(attrs={"rows": 3}))
    operator = forms.CharField(label=_("运维单位"), required=False, max_length=200)
    contact_name = forms.CharField(label=_("联系人"), max_length=100)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=50)
    contact_email = forms.EmailField(
        label=_("联系邮箱"), required=False, max_length=254,
        error_messages={"invalid": _("联系邮箱格式不正确，例如 name@example.gov.cn。")},
    )
    exemption_reason = forms.CharField(
        label=_("同平台多账号理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("本单位在该平台已有账号时必须填写，审批将上提一级。"),
    )
    plan = forms.FileField(
        label=_("实施方案（可选）"), required=False,
        help_text=_("PDF、Word（DOCX）、Excel（XLSX）或图片（PNG、JPG），不超过 10 MB。"),
    )

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.code, u.name) for u in units]

    def clean_plan(self):
        return check_upload(self.cleaned_data.get("plan"), PLAN_KINDS)


def today():
    return timezone.localdate()

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from lifecycle.models import Unit
from lifecycle.types import RequestUser
from notices import selectors
from notices.kinds import kind_choices
from notices.models import NoticeStatus, Retention
from notices.services import is_sha256

ERR_UPLOAD_TOO_LARGE = _("文件过大（上限 {mb} MB）。")


def verify_upload_mb() -> int:
    """The cap on a PDF uploaded for verification (anonymous: PUBLIC_VERIFY_UPLOAD_MB,
    10 MB — a notice is a few hundred KB; issue 12 item 8, the finding: 60 MB accepted)."""
    from django.conf import settings

    return int(getattr(settings, "PUBLIC_VERIFY_UPLOAD_MB", 10))


ERR_UNIT_UNKNOWN = _("单位（含下级）：没有与“{text}”相符的单位（只能选择您可查看的单位）。")
ERR_UNIT_AMBIGUOUS = _("单位（含下级）：“{text}”与多个单位相符，请输入完整的单位名称或代码，或从建议中选择。")


class UnitPickerInput(forms.TextInput):
    """A text field for a unit's code or name; with JavaScript (govmedia/unit-picker.js) it
    suggests the matching units the reader may see as they type (notices:units). The
    suggestions are filled in by textContent only."""

    class Media:
        js = ["govmedia/unit-picker.js"]

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"autocomplete": "off", "spellcheck": "false", "role": "combobox",
                          "aria-autocomplete": "list", "aria-expanded": "false",
                          "placeholder": _("输入单位名称或代码"), **(attrs or {})})

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None,
               renderer: Any = None) -> SafeString:
        attrs = dict(attrs or {})
        listbox = f"{attrs.get('id') or 'id_' + name}-suggestions"
        attrs.update({"aria-controls": listbox, "aria-describedby": f"{attrs.get('id') or 'id_' + name}-help",
                      "data-unit-picker": reverse("notices:units")})
        field = super().render(name, value, attrs, renderer)
        return format_html(
            '<span class="gm-unit-picker">{}<ul id="{}" role="listbox" class="gm-unit-picker__list" '
            'data-found="{}" data-none="{}" hidden></ul><span class="gm-visually-hidden" '
            'aria-live="polite" data-unit-picker-status></span></span>',
            field, listbox, _("找到 %s 个单位"), _("没有相符的单位"))


class UnitPickerField(forms.CharField):
    """The archive's unit filter: what the reader typed or picked, cleaned to one unit they
    may see (notices.selectors.unit_lookup), or a message naming the field."""

    widget = UnitPickerInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=220, **kwargs)
        self.user: RequestUser | None = None

    def clean(self, value: Any) -> Unit | None:
        text = super().clean(value)
        if not text or self.user is None:
            return None
        unit, matches = selectors.unit_lookup(user=self.user, text=text)
        if unit is not None:
            return unit
        message = ERR_UNIT_AMBIGUOUS if matches else ERR_UNIT_UNKNOWN
        raise forms.ValidationError(str(message).format(text=text[:60]), code="unit")


class NoticeSearchForm(forms.Form):
    q = forms.CharField(label=_("全文"), required=False, max_length=100)
    number = forms.CharField(label=_("发文字号"), required=False, max_length=64)
    kind = forms.ChoiceField(label=_("文种"), required=False)
    # Typed or picked, never listed: a province office reads ~2,400 units (issue 15 item 4).
    unit = UnitPickerField(label=_("单位（含下级）"), required=False,
                           help_text=_("输入单位名称或代码，从建议中选择；含其全部下级单位。"))
    account = forms.CharField(label=_("账号（编号或名称）"), required=False, max_length=200)
    date_from = forms.DateField(label=_("成文日期自"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("至"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(label=_("状态"), required=False)
    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=2100)
    retention = forms.ChoiceField(label=_("保管期限"), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("全部"))] + kind_choices()
        self.fields["status"].choices = [("", _("全部"))] + list(NoticeStatus.choices)
        self.fields["retention"].choices = [("", _("全部"))] + list(Retention.choices)
        self.fields["unit"].user = user

    def clean_unit(self):
        """The field then shows the unit found as a suggestion reads ("name（code）"), so the
        page says which unit it filtered by."""
        unit = self.cleaned_data.get("unit")
        if unit is not None:
            self.data = self.data.copy()
            self.data[self.add_prefix("unit")] = selectors.unit_label(unit)
        return unit


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

"""Web-only refinements of the application forms (the REST API keeps its own contract)."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from approvals.forms import OpeningForm

# Mobile (11 digits), landline with or without area code and extension, 400/800 numbers.
PHONE_RE = re.compile(
    r"^(?:1[3-9]\d{9}|(?:0\d{2,3}-?)?\d{7,8}(?:-\d{1,6})?|[48]00-?\d{3}-?\d{4})$"
)
ERR_PHONE = _("联系电话格式不正确：请填写11位手机号，或带区号的固定电话（如 025-12345678）。")


def clean_phone(value: str) -> str:
    value = re.sub(r"[\s\u3000]", "", value or "").replace("－", "-").replace("—", "-")
    if value and not PHONE_RE.match(value):
        raise forms.ValidationError(ERR_PHONE, code="phone")
    return value


class OpeningApplyForm(OpeningForm):
    """The opening form of the web page: the phone is checked, the phone field is a tel
    input, and a draft may be saved without any of the checks."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        phone = self.fields["contact_phone"]
        phone.widget = forms.TextInput(attrs={"type": "tel", "inputmode": "tel",
                                              "autocomplete": "tel", "maxlength": 50})
        phone.help_text = _("11位手机号，或带区号的固定电话，如 025-12345678")

    def clean_contact_phone(self):
        return clean_phone(self.cleaned_data.get("contact_phone", ""))

    def draft_data(self) -> dict[str, str]:
        """What a draft keeps: the typed values of every field but the file."""
        return {name: self.data.get(self.add_prefix(name), "") for name in self.fields
                if name != "plan"}

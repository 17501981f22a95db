"""Validation of one unit / user / account row, shared by the import commands and the REST API.

A row arrives as a dict of column → value. From CSV every value is a string; from XLSX a
value may already be an int, a date or a bool; from the API it is JSON. The fields below
accept all three and answer in Chinese (DESIGN §8 vocabularies and formats).

Cross-row checks (duplicate codes, parents defined later in the same file, cycles, several
rows for one user) need the whole file and live in lifecycle.bulk.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from lifecycle import tabular
from lifecycle.models import Platform, Role, Unit, UnitKind, UnitLevel

ERR_REQUIRED = _("此项为必填项。")
ERR_NOT_TEXT = _("「{value}」不是文本。")
ERR_TOO_LONG = _("不能超过 {max_length} 个字符。")
ERR_CHOICE = _("「{value}」不是有效的{what}，可选：{codes}。")
ERR_UNKNOWN_UNIT = _("单位代码「{code}」不存在。")
ERR_ROLES_WITHOUT_UNIT = _("填写了角色时必须填写单位代码。")
ERR_UNIT_WITHOUT_ROLES = _("填写了单位代码时必须至少填写一个角色。")
ERR_USERNAME = _("用户名只能包含字母、数字和 @/./+/-/_ 字符。")
ERR_EMAIL = _("「{value}」不是有效的电子邮箱地址。")
ERR_DATE_TYPE = _("「{value}」不是有效日期（应为 YYYY-MM-DD 格式的文本或日期单元格）。")
# Django's own validator messages are partly untranslated (Django 5.2 changed the
# MinimumLengthValidator msgid and zh_Hans has not caught up): ours by error code.
ERR_PASSWORD = {
    "password_too_short": _("密码太短，至少需要 {min_length} 个字符。"),
    "password_too_common": _("密码过于常见。"),
    "password_entirely_numeric": _("密码不能全是数字。"),
    "password_too_similar": _("密码与{verbose_name}太相似。"),
}

# Roles are separated by ";" (DESIGN §8); the full-width "；" and "," slip in from Chinese
# spreadsheets and are accepted too.
ROLE_SEPARATORS = re.compile(r"[;；,，]")


class RowField(serializers.Field):
    """Base of the row fields: DRF's own "required"/"null" messages in our wording."""

    default_error_messages = {"required": ERR_REQUIRED, "null": ERR_REQUIRED}


def _text(value: Any) -> str:
    """A cell as stripped text: None → "", 3.0 → "3" (XLSX stores integers as floats).

    Every row field reads its value through here, so a control character (NUL, U+0001 …;
    PostgreSQL refuses NUL and XLSX exports cannot hold any of them) is a field error in
    every importer and in the API."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    try:
        return tabular.check_text(text, field="")
    except tabular.CellError as exc:
        raise serializers.ValidationError(exc.message) from exc


class TextField(RowField):
    """Stripped text; blank allowed unless `required_value`; limited to `max_length`."""

    def __init__(self, *, max_length: int, required_value: bool = False, **kwargs: Any) -> None:
        self.max_length = max_length
        self.required_value = required_value
        kwargs.setdefault("required", required_value)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, (bool, dict, list)):
            raise serializers.ValidationError(str(ERR_NOT_TEXT).format(value=data))
        text = _text(data)
        if self.required_value and not text:
            raise serializers.ValidationError(ERR_REQUIRED)
        if len(text) > self.max_length:
            raise serializers.ValidationError(str(ERR_TOO_LONG).format(max_length=self.max_length))
        return text

    def to_representation(self, value: Any) -> str:
        return value


class VocabularyField(RowField):
    """One of the stable codes of a TextChoices vocabulary (DESIGN §8).

    The Chinese label is accepted as well, since people filling a spreadsheet by hand write
    「部门」 rather than `department`; the stored value is always the code.
    """

    def __init__(self, *, choices: type[models.TextChoices], what: Any, **kwargs: Any) -> None:
        self.choices = choices
        self.what = what
        kwargs.setdefault("required", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        text = _text(data)
        if not text:
            raise serializers.ValidationError(ERR_REQUIRED)
        lowered = text.lower()
        for value, label in self.choices.choices:
            if lowered == value or text == str(label):
                return value
        raise serializers.ValidationError(
            str(ERR_CHOICE).format(value=text, what=self.what, codes="|".join(self.choices.values))
        )

    def to_representation(self, value: Any) -> str:
        return value


def _cell(value: Any) -> str:
    """A JSON/XLSX value as the text lifecycle.tabular's parsers read."""
    if isinstance(value, (datetime.date, bool)):
        return tabular._cell_text(value)
    return _text(value)


class FlexibleBooleanField(RowField):
    def __init__(self, *, default_value: bool | None = None, **kwargs: Any) -> None:
        self.default_value = default_value
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> bool | None:
        if isinstance(data, bool):
            return data
        text = _cell(data)
        if not text:
            return self.default_value
        try:
            return tabular.parse_bool(text, field=self.field_name)
        except tabular.CellError as exc:
            raise serializers.ValidationError(exc.message) from exc

    def to_representation(self, value: Any) -> bool | None:
        return value


class IsoDateField(RowField):
    """ISO date; `not_future` refuses dates after today (metrics and opening dates)."""

    def __init__(self, *, not_future: bool = False, **kwargs: Any) -> None:
        self.not_future = not_future
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> datetime.date | None:
        if isinstance(data, datetime.datetime):
            data = data.date()
        if isinstance(data, (bool, int, float)):
            # A JSON number (20261125) or a spreadsheet serial is not a date (DESIGN §8:
            # dates are YYYY-MM-DD); a date cell arrives as a date.
            raise serializers.ValidationError(str(ERR_DATE_TYPE).format(value=data))
        try:
            return tabular.parse_date(
                _cell(data),
                field=self.field_name,
                not_after=timezone.localdate() if self.not_future else None,
            )
        except tabular.CellError as exc:
            raise serializers.ValidationError(exc.message) from exc

    def to_representation(self, value: Any) -> str | None:
        return value.isoformat() if value else None


class CountField(RowField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int | None:
        if isinstance(data, bool):
            raise serializers.ValidationError(str(ERR_NOT_TEXT).format(value=data))
        try:
            return tabular.parse_int(_cell(data), field=self.field_name, minimum=0)
        except tabular.CellError as exc:
            raise serializers.ValidationError(exc.message) from exc

    def to_representation(self, value: Any) -> int | None:
        return value


class UnitCodeField(RowField):
    """A unit given by its code (DESIGN §8: in requests a unit is its code) → Unit.

    `context["units"]` may hold a {code: Unit} cache so a file of many rows costs one query.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Unit | None:
        code = _text(data)
        if not code:
            if self.required:
                raise serializers.ValidationError(ERR_REQUIRED)
            return None
        cache = self.context.get("units")
        unit = cache.get(code) if cache is not None else Unit.objects.filter(code=code).first()
        if unit is None:
            raise serializers.ValidationError(str(ERR_UNKNOWN_UNIT).format(code=code))
        return unit

    def to_representation(self, value: Any) -> dict[str, str] | None:
        return {"code": value.code, "name": value.name} if value else None


class UnitRowSerializer(serializers.Serializer):
    """code,name,short_name,level,kind,parent_code. The parent stays a code here: it may be
    defined further down the same file (lifecycle.bulk.units_import resolves it)."""

    code = TextField(max_length=32, required_value=True)
    name = TextField(max_length=200, required_value=True)
    short_name = TextField(max_length=20)
    level = VocabularyField(choices=UnitLevel, what=_("层级"))
    kind = VocabularyField(choices=UnitKind, what=_("单位类别"))
    parent_code = TextField(max_length=32)

    def validate_code(self, value: str) -> str:
        if any(ch.isspace() for ch in value) or "/" in value:
            raise serializers.ValidationError(_("单位代码不能包含空格或“/”。"))
        return value


class RolesField(RowField):
    """`;`-separated role codes (DESIGN §8) → list of codes, duplicates removed, order kept."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[str]:
        items = data if isinstance(data, list) else ROLE_SEPARATORS.split(_text(data))
        roles: list[str] = []
        for item in items:
            code = _text(item)
            if not code:
                continue
            matched = next(
                (v for v, label in Role.choices if code.lower() == v or code == str(label)), None
            )
            if matched is None:
                raise serializers.ValidationError(
                    str(ERR_CHOICE).format(value=code, what=_("角色"), codes="|".join(Role.values))
                )
            if matched not in roles:
                roles.append(matched)
        return roles

    def to_representation(self, value: Any) -> str:
        return ";".join(value)


class UserRowSerializer(serializers.Serializer):
    """username,full_name,email,unit_code,roles,password. Blank password → unusable password."""

    username = TextField(max_length=150, required_value=True)
    full_name = TextField(max_length=150)
    email = TextField(max_length=254)
    unit_code = UnitCodeField(required=False)
    roles = RolesField()
    password = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=128
    )

    def validate_username(self, value: str) -> str:
        try:
            UnicodeUsernameValidator()(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(ERR_USERNAME) from exc
        return value

    def validate_email(self, value: str) -> str:
        if value:
            try:
                serializers.EmailField().run_validators(value)
            except serializers.ValidationError as exc:
                raise serializers.ValidationError(str(ERR_EMAIL).format(value=value)) from exc
        return value

    def validate_password(self, value: str) -> str:
        if value:
            user_model = get_user_model()
            # The similarity validator compares with these attributes.
            probe = user_model(
                username=str(self.initial_data.get("username") or "").strip(),
                first_name=str(self.initial_data.get("full_name") or "").strip(),
                email=str(self.initial_data.get("email") or "").strip(),
            )
            try:
                validate_password(value, user=probe)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(_password_messages(exc)) from exc
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unit, roles = attrs.get("unit_code"), attrs.get("roles") or []
        if roles and unit is None:
            raise serializers.ValidationError({"unit_code": ERR_ROLES_WITHOUT_UNIT})
        if unit is not None and not roles:
            raise serializers.ValidationError({"roles": ERR_UNIT_WITHOUT_ROLES})
        return attrs


def _password_messages(error: DjangoValidationError) -> list[str]:
    messages = []
    for item in error.error_list:
        params = dict(item.params or {})
        if item.code == "password_too_similar":
            params["verbose_name"] = str(params.get("verbose_name", ""))
        template = ERR_PASSWORD.get(item.code or "")
        try:
            messages.append(str(template).format(**params) if template else item.messages[0])
        except (KeyError, IndexError):
            messages.append(item.messages[0])
    return messages


class AccountRowSerializer(serializers.Serializer):
    """name,platform,platform_id,unit_code,opened_on,followers,posts_total,last_post_on,
    interaction_enabled — a pre-existing account entering the register as active."""

    name = TextField(max_length=200, required_value=True)
    platform = VocabularyField(choices=Platform, what=_("平台"))
    # An account in service has its platform id (registration records it); the metrics
    # import and export_accounts find accounts by it.
    platform_id = TextField(max_length=200, required_value=True)
    unit_code = UnitCodeField()
    opened_on = IsoDateField(not_future=True)
    followers = CountField()
    posts_total = CountField()
    last_post_on = IsoDateField(not_future=True)
    # A blank cell means "not known": the model default (interaction on) applies.
    interaction_enabled = FlexibleBooleanField(default_value=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        opened, last = attrs.get("opened_on"), attrs.get("last_post_on")
        if opened and last and last < opened:
            raise serializers.ValidationError(
                {
                    "last_post_on": _("最近发文日期不能早于开设日期（{opened}）。").format(
                        opened=opened.isoformat()
                    )
                }
            )
        if attrs.get("interaction_enabled") is None:
            attrs["interaction_enabled"] = True
        return attrs


def flatten_errors(errors: Any, columns: list[str] | tuple[str, ...]) -> list[tuple[str, str]]:
    """DRF `serializer.errors` → [(column, message)] in column order.

    Errors not tied to one field ("non_field_errors") are reported under the first column so
    every line keeps the `row N: <column>: <message>` shape.
    """
    out: list[tuple[str, str]] = []
    order = {c: i for i, c in enumerate(columns)}
    for field in sorted(errors, key=lambda f: order.get(f, len(order))):
        messages = errors[field]
        if isinstance(messages, dict):
            messages = [m for ms in messages.values() for m in ms]
        if not isinstance(messages, list):
            messages = [messages]
        column = columns[0] if field in ("non_field_errors", "__all__") else field
        out.extend((column, str(m)) for m in messages)
    return out

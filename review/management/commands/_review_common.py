"""Argument helpers shared by the review commands (review, import_metrics, export_zombies)."""

from __future__ import annotations

import datetime

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from lifecycle.models import Unit


def date_arg(value: str, *, option: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("{option} 应为 YYYY-MM-DD 格式的日期（当前：{value}）").format(
                option=option, value=value
            )
        ) from None


def unit_arg(code: str | None) -> Unit | None:
    if not code:
        return None
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise CommandError(_("未知单位代码：{code}").format(code=code))
    return unit

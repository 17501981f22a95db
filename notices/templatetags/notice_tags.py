"""Filters for notice documents and archive pages (all return plain, autoescaped text)."""

from __future__ import annotations

from typing import Any

from django import template

from notices.rendering import cn_date as _cn_date

register = template.Library()


@register.filter
def cn_date(value: Any) -> str:
    """2026-11-26 → 2026年11月26日 (GB/T 9704: no leading zeros)."""
    return _cn_date(value)


@register.filter
def percent(value: Any) -> str:
    """0.85 → 85%; 85 → 85%; text passes through."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "" if value is None else str(value)
    if number <= 1:
        number *= 100
    return f"{number:.1f}".rstrip("0").rstrip(".") + "%"


@register.filter
def account_field_label(name: str) -> str:
    """Verbose name of an Account field (change filings list before/after per field)."""
    from lifecycle.models import Account

    try:
        return str(Account._meta.get_field(name).verbose_name)
    except Exception:
        return str(name)


@register.filter
def items_sorted(value: Any) -> list:
    return sorted(value.items()) if isinstance(value, dict) else []


@register.filter
def is_mapping(value: Any) -> bool:
    return isinstance(value, dict)


@register.filter
def join_text(value: Any, sep: str = "、") -> str:
    if isinstance(value, list | tuple):
        return sep.join(str(v) for v in value)
    return "" if value is None else str(value)

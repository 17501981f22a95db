"""Rules as sourced, versioned data (issue 14 item 4; docs/review.md): the differences between
two rule-set versions, and the minimum sampling ratio a campaign must reach.

Reads only; the rule sets themselves are written in the admin (a new version is a copy:
review.services.rule_set_copy) and activated through review.services.rule_set_activate.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

from review.models import Indicator, RuleSet

# Compared per indicator (by code), in this order; labels are the model's verbose names.
DIFF_FIELDS = (
    "part", "name", "max_points", "automatic", "params", "position",
    "source_document", "source_article", "source_url", "value_status",
)
SET_FIELDS = ("name", "version", "effective_from", "effective_to", "params")

# Minimum sampling ratio of a campaign by scope level and period kind (Y year, H half, Q
# quarter, M month), unless the rule set's params["min_sampling"] says otherwise. 广东: cities
# sample at least 30 % of accounts each quarter (BRIEF §6).
DEFAULT_MIN_SAMPLING: dict[str, dict[str, str]] = {"city": {"Q": "0.3"}}

ERR_MIN_SAMPLING = _(
    "{level}单位的{period}抽查比例不得低于 {minimum}（指标体系「{rule_set}」的最低抽查比例）。"
)


@dataclass
class RuleSetDiff:
    old: RuleSet
    new: RuleSet
    set_changes: list[tuple[str, Any, Any]] = field(default_factory=list)
    added: list[Indicator] = field(default_factory=list)
    removed: list[Indicator] = field(default_factory=list)
    changed: list[tuple[str, str, list[tuple[str, Any, Any]]]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.set_changes or self.added or self.removed or self.changed)


def _label(model: Any, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime.date) else value


def _display(obj: Any, name: str) -> Any:
    getter = getattr(obj, f"get_{name}_display", None)
    return getter() if getter is not None else getattr(obj, name)


def rule_set_diff(old: RuleSet, new: RuleSet) -> RuleSetDiff:
    """What changed from ``old`` to ``new``: set fields, indicators added / removed, and per
    indicator code the fields that differ (before, after) — two queries."""
    diff = RuleSetDiff(old=old, new=new)
    for name in SET_FIELDS:
        before, after = _iso(getattr(old, name)), _iso(getattr(new, name))
        if before != after:
            diff.set_changes.append((_label(RuleSet, name), before, after))
    olds = {i.code: i for i in Indicator.objects.filter(rule_set=old).order_by("part", "position", "code")}
    news = {i.code: i for i in Indicator.objects.filter(rule_set=new).order_by("part", "position", "code")}
    diff.added = [i for code, i in news.items() if code not in olds]
    diff.removed = [i for code, i in olds.items() if code not in news]
    for code, after in news.items():
        before = olds.get(code)
        if before is None:
            continue
        fields = [
            (_label(Indicator, name), _display(before, name), _display(after, name))
            for name in DIFF_FIELDS
            if getattr(before, name) != getattr(after, name)
        ]
        if fields:
            diff.changed.append((code, after.name, fields))
    return diff


def period_kind(period: str) -> str:
    match = re.fullmatch(r"\d{4}([HQM])?\d*", (period or "").strip().upper())
    return (match.group(1) or "Y") if match else "Y"


PERIOD_LABELS = {"Y": _("年度"), "H": _("半年"), "Q": _("季度"), "M": _("月度")}


def min_sampling_ratio(rule_set: RuleSet, *, level: str, period: str) -> Decimal | None:
    """The lowest ratio a campaign over a unit of ``level`` for ``period`` may use, or None."""
    table = (rule_set.params or {}).get("min_sampling", DEFAULT_MIN_SAMPLING) or {}
    value = (table.get(level) or {}).get(period_kind(period))
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None

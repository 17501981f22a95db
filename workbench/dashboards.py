"""Reads of the review pages: campaigns in scope, attention lists per subtree, dashboard
aggregates. Every dashboard figure is one aggregate query, so its cost does not grow
with the number of accounts (tests/approvals/test_dashboard.py pins the count)."""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from viewflow.workflow.status import STATUS

from approvals.models import TaskAssignment
from lifecycle import tallies
from lifecycle.models import Account, AccountState, Platform, Unit, UnitLevel
from lifecycle.selectors import accounts_for, sees_everything, subtree_q, user_units
from lifecycle.types import RequestUser
from review import evaluation as review
from review import warnings
from review.models import Campaign, EarlyWarning, Inspection, Verdict, WarningCode


def top_units(user: RequestUser) -> list[Unit] | None:
    """The user's units without those nested in another of them; None = everything."""
    if sees_everything(user):
        return None
    units = sorted(user_units(user), key=lambda u: len(u.path))
    tops: list[Unit] = []
    for u in units:
        if not any(u.is_within(t) for t in tops):
            tops.append(u)
    return tops


def _scoped(qs: QuerySet, user: RequestUser, prefix: str) -> QuerySet:
    units = top_units(user)
    return qs if units is None else qs.filter(subtree_q(units, prefix=prefix))


def campaigns_for(user: RequestUser) -> QuerySet[Campaign]:
    return _scoped(
        Campaign.objects.select_related("scope_unit", "inspecting_unit"), user, "scope_unit__"
    ).order_by("-created", "-pk")


def attention_accounts(*, user: RequestUser, as_of: datetime.date, only: str) -> list[Account]:
    """Zombie (`only="zombie"`) or low-reach accounts in the user's subtree."""
    rules = review.rules_from_rule_set(review.active_rule_set())
    units = top_units(user)
    fetch = review.zombie_accounts if only == "zombie" else review.low_reach_accounts
    if units is None:
        return list(fetch(as_of=as_of, rules=rules))
    out: list[Account] = []
    for unit in units:
        out.extend(fetch(as_of=as_of, unit=unit, rules=rules))
    return out


def attention_rows(*, user: RequestUser, as_of: datetime.date, only: str | None) -> list[list[Any]]:
    """Export rows (review.evaluation.LIST_COLUMNS) for the user's subtree."""
    units = top_units(user)
    if units is None:
        return review.attention_list_rows(as_of=as_of, only=only)
    rows: list[list[Any]] = []
    for unit in units:
        rows.extend(review.attention_list_rows(as_of=as_of, unit=unit, only=only))
    return rows


def _months(today: datetime.date, n: int = 12) -> list[datetime.date]:
    first = today.replace(day=1)
    out = []
    for _ in range(n):
        out.append(first)
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return list(reversed(out))


def dashboard(user: RequestUser, *, today: datetime.date | None = None) -> dict[str, Any]:
    """Figures of the supervisor dashboard, each from one aggregate query:
    (1) accounts by state × level × platform, (2) opened per month, (3) closed per month —
    these three from the tallies of the reader's top units (lifecycle.tallies), not from
    the accounts; (4) campaign pass rates by period, (5) overdue open tasks by unit."""
    today = today or timezone.localdate()
    units = top_units(user)
    counts: Counter = Counter()
    by_level: Counter = Counter()
    by_platform: Counter = Counter()
    # The maintained tallies of the reader's top units (lifecycle.tallies): a few hundred
    # rows whatever the number of accounts below them, the same figures as aggregating
    # the accounts (tests/workbench/test_dashboard_tallies.py).
    for state, level, platform, n in tallies.counts_under(units):
        counts[state] += n
        by_level[level] += n
        by_platform[platform] += n
    months = _months(today)
    start = months[0]

    def per_month(kind: str) -> dict[datetime.date, int]:
        out: Counter = Counter()
        for day, n in tallies.per_day_under(units, kind, start, today):
            out[day.replace(day=1)] += n
        return out

    opened = per_month(tallies.OPENED)
    closed = per_month(tallies.CLOSED)
    inspections = _scoped(
        Inspection.objects.filter(campaign__isnull=False, verdict__in=Verdict.values),
        user, "account__unit__",
    )
    rates = [
        {"period": period, "total": total, "passed": passed,
         "rate": round(passed / total, 4) if total else None}
        for period, total, passed in (
            inspections.order_by()
            .values("campaign__period")
            .annotate(total=Count("pk"), passed=Count("pk", filter=Q(verdict=Verdict.PASS)))
            .order_by("campaign__period")
            .values_list("campaign__period", "total", "passed")
        )
    ]
    overdue = list(
        _scoped(
            TaskAssignment.objects.filter(
                due_on__lt=today, task__status__in=(STATUS.NEW, STATUS.ASSIGNED)
            ),
            user, "task__process__accountprocess__unit__",
        )
        .order_by()
        .values("unit__name")
        .annotate(n=Count("task", distinct=True))
        .order_by("-n", "unit__name")
        .values_list("unit__name", "n")
    )
    return {
        "by_state": [(str(label), counts.get(code, 0)) for code, label in AccountState.choices],
        "by_level": [(str(label), by_level.get(code, 0)) for code, label in UnitLevel.choices],
        "by_platform": [(str(label), by_platform.get(code, 0))
                        for code, label in Platform.choices if by_platform.get(code)],
        "opened": [(m.strftime("%Y-%m"), opened.get(m, 0)) for m in months],
        "closed": [(m.strftime("%Y-%m"), closed.get(m, 0)) for m in months],
        "pass_rates": rates,
        "overdue": overdue,
        "overdue_total": sum(n for _u, n in overdue),
        "total": sum(counts.values()),
    }


def bar_chart(rows: list[tuple[str, float]], *, percent: bool = False,
              width: int = 320) -> dict[str, Any]:
    """Geometry of a horizontal SVG bar chart (approvals/review/_bars.html)."""
    label_w, bar_h, gap = 110, 18, 6
    top = max((v for _l, v in rows), default=0) or 1
    if percent:
        top = 1
    bars = []
    for i, (label, value) in enumerate(rows):
        v = value or 0
        bars.append({
            "label": label,
            "value": f"{v * 100:.1f}%" if percent else v,
            "y": i * (bar_h + gap),
            "text_y": i * (bar_h + gap) + bar_h - 4,
            "w": round(width * v / top, 1),
        })
    return {
        "bars": bars, "bar_h": bar_h, "label_w": label_w, "plot_w": width,
        "width": label_w + width + 70, "height": max(len(rows), 1) * (bar_h + gap),
        "value_x": label_w + 4,
    }


def at_risk_for(
    *, user: RequestUser, as_of: datetime.date, unit: Unit | None = None, limit: int | None = None,
) -> list[dict[str, Any]]:
    """Accounts past an early-warning threshold in the user's subtree (and ``unit``'s if
    given), fewest days left first, each with its open warning row (when/whom told)."""
    try:
        rules = review.rules_from_rule_set(review.active_rule_set())
    except review.ReviewError:
        return []
    scope = accounts_for(user)
    risks = warnings.accounts_at_risk(as_of=as_of, unit=unit, rules=rules, accounts=scope)
    if limit is not None:
        risks = risks[:limit]
    ids = {r.account_id for r in risks}
    accounts = Account.objects.select_related("unit").in_bulk(ids)
    open_rows = {
        (w.account_id, w.code): w
        for w in EarlyWarning.objects.filter(account_id__in=ids, cleared_on__isnull=True)
    }
    return [
        {"account": accounts[r.account_id], "risk": r,
         "label": WarningCode(r.code).label, "warning": open_rows.get((r.account_id, r.code))}
        for r in risks
    ]

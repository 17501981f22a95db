"""The checking half of the metrics import (DESIGN §4, §8): parse monitoring rows and resolve
their accounts — reads only. Its writer is review.services.metrics_import; the import_metrics
command and POST /api/metrics/ call that."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lifecycle.models import LIVE_STATES, Account, Platform
from lifecycle.tabular import RowErrors, parse_bool, parse_choice, parse_date, parse_int

METRIC_COLUMNS = (
    "platform",
    "platform_id",
    "as_of",
    "followers",
    "posts_total",
    "last_post_on",
    "interaction_enabled",
)
# Keeps IN (...) lists well under SQLite's and PostgreSQL's parameter limits.
CHUNK = 500


class MetricsImportError(Exception):
    """Some rows are bad; nothing was written. ``errors`` lists them all."""

    def __init__(self, errors: RowErrors) -> None:
        super().__init__(errors.format())
        self.errors = errors


@dataclass
class MetricRow:
    """One checked monitoring row; ``account_id`` is set once the account is resolved."""

    number: int
    platform: str
    platform_id: str
    as_of: datetime.date
    followers: int | None
    posts_total: int | None
    last_post_on: datetime.date | None
    interaction_enabled: bool
    account_id: int | None = None


def _parse_metric_row(
    number: int, row: dict[str, str], *, today: datetime.date, errors: RowErrors
) -> MetricRow | None:
    before = len(errors)
    platform = errors.parse(
        number, parse_choice, row.get("platform"), field="platform", choices=Platform.values
    )
    platform_id = (row.get("platform_id") or "").strip()
    if not platform_id:
        errors.add(number, "platform_id", _("必填"))
    as_of = errors.parse(number, parse_date, row.get("as_of"), field="as_of", required=True, not_after=today)
    followers = errors.parse(number, parse_int, row.get("followers"), field="followers", minimum=0)
    posts_total = errors.parse(number, parse_int, row.get("posts_total"), field="posts_total", minimum=0)
    last_post_on = errors.parse(
        number, parse_date, row.get("last_post_on"), field="last_post_on", not_after=today
    )
    interaction = errors.parse(
        number, parse_bool, row.get("interaction_enabled"), field="interaction_enabled"
    )
    if as_of and last_post_on and last_post_on > as_of:
        errors.add(
            number,
            "last_post_on",
            _("最近发文日期 {day} 晚于统计日期 {as_of}").format(day=last_post_on, as_of=as_of),
        )
    if len(errors) > before:
        return None
    return MetricRow(number, platform, platform_id, as_of, followers, posts_total, last_post_on, interaction)


def find_accounts(
    platform_ids: set[str], *, scope: QuerySet[Account] | None = None
) -> dict[tuple[str, str], list[tuple[int, str]]]:
    """(platform, platform_id) → [(account pk, state)] for the named ids, a few queries."""
    base = (scope if scope is not None else Account.objects.all()).order_by()
    wanted_ids = sorted(platform_ids)
    found: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for start in range(0, len(wanted_ids), CHUNK):
        chunk = wanted_ids[start : start + CHUNK]
        for pk, platform, pid, state in base.filter(platform_id__in=chunk).values_list(
            "pk", "platform", "platform_id", "state"
        ):
            found[(platform, pid)].append((pk, state))
    return found


def pick_account(
    found: dict[tuple[str, str], list[tuple[int, str]]], platform: str, platform_id: str, *,
    row: int, errors: RowErrors,
) -> int | None:
    """The account a row names: a live account wins over an ended one with the same id
    (re-opened accounts keep their platform id); none or several → an error for the row."""
    candidates = found.get((platform, platform_id), [])
    live = [pk for pk, state in candidates if state in LIVE_STATES]
    pool = live or [pk for pk, _s in candidates]
    if not pool:
        errors.add(
            row, "platform_id",
            _("未找到账号（平台 {platform}，ID {pid}）").format(platform=platform, pid=platform_id),
        )
        return None
    if len(pool) > 1:
        errors.add(
            row, "platform_id",
            _("平台 {platform} 上有多个运行中的账号使用 ID {pid}，无法确定").format(
                platform=platform, pid=platform_id
            ),
        )
        return None
    return pool[0]


def metrics_check(
    *,
    rows: list[tuple[int, dict[str, str]]],
    scope: QuerySet[Account] | None = None,
    today: datetime.date | None = None,
) -> list[MetricRow]:
    """Parse every row and resolve its account (reads only). Every bad row is reported at once
    (MetricsImportError). ``scope`` limits which accounts may be named (API: the user's
    subtree); an account outside it is reported exactly like an unknown one."""
    today = today or timezone.localdate()
    errors = RowErrors()
    if not rows:
        errors.add(1, "-", _("没有数据行。"))
        raise MetricsImportError(errors)
    parsed = [_parse_metric_row(n, r, today=today, errors=errors) for n, r in rows]
    good = [p for p in parsed if p is not None]

    found = find_accounts({p.platform_id for p in good}, scope=scope)
    seen: dict[tuple[int, datetime.date], int] = {}
    for p in good:
        account_id = pick_account(found, p.platform, p.platform_id, row=p.number, errors=errors)
        if account_id is None:
            continue
        p.account_id = account_id
        key = (p.account_id, p.as_of)
        if key in seen:
            errors.add(
                p.number,
                "as_of",
                _("与第 {row} 行重复（同一账号同一统计日期）").format(row=seen[key]),
            )
            continue
        seen[key] = p.number
    if errors:
        raise MetricsImportError(errors)
    return good

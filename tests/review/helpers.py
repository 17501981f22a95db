"""Helpers for the periodic-review tests: accounts with metrics, files, a command runner."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from lifecycle.models import Account, AccountState
from review.models import Finding, Indicator, Inspection, RuleSet
from tests.lifecycle import import_files

METRICS_HEADER = [
    "platform",
    "platform_id",
    "as_of",
    "followers",
    "posts_total",
    "last_post_on",
    "interaction_enabled",
]
AS_OF = datetime.date(2019, 6, 15)


def account(
    unit: Any,
    name: str,
    *,
    platform: str = "wechat_official",
    platform_id: str | None = None,
    state: str = AccountState.ACTIVE,
    last_post_on: datetime.date | None = AS_OF,
    interaction_enabled: bool = True,
    followers: int | None = 1000,
    posts_total: int | None = 500,
    opened_on: datetime.date | None = datetime.date(2016, 1, 1),
) -> Account:
    return Account.objects.create(
        name=name,
        platform=platform,
        platform_id=platform_id or f"id-{name}",
        unit=unit,
        state=state,
        last_post_on=last_post_on,
        interaction_enabled=interaction_enabled,
        followers=followers,
        posts_total=posts_total,
        opened_on=opened_on,
    )


def days_before(n: int) -> datetime.date:
    return AS_OF - datetime.timedelta(days=n)


def inspect(
    acc: Account,
    *,
    as_of: datetime.date = AS_OF,
    vetoes: tuple[str, ...] = (),
    deductions: dict[str, int] | None = None,
) -> Inspection:
    """An inspection of ``acc`` with manual findings in the active rule set."""
    rule_set = RuleSet.objects.get(active=True)
    inspection = Inspection.objects.create(account=acc, as_of=as_of)
    for code in vetoes:
        Finding.objects.create(
            inspection=inspection, indicator=Indicator.objects.get(rule_set=rule_set, code=code)
        )
    for code, points in (deductions or {}).items():
        Finding.objects.create(
            inspection=inspection,
            points=points,
            indicator=Indicator.objects.get(rule_set=rule_set, code=code),
        )
    return inspection


def write_csv(path: Path, rows: list[list[Any]], header: list[str] = METRICS_HEADER) -> Path:
    return import_files.write_csv(path, header, rows)


def write_xlsx(path: Path, rows: list[list[Any]], header: list[str] = METRICS_HEADER) -> Path:
    return import_files.write_xlsx(path, header, rows)


run = import_files.run  # call_command with captured .out, .err and .code


def review_json(*args: str) -> list[dict[str, Any]]:
    result = run("review", "--as-of", AS_OF.isoformat(), "--format", "json", *args)
    assert result.code == 0, result.err
    return json.loads(result.out)


def by_name(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["account"]["name"]: item for item in items}

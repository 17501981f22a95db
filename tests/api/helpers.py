"""Shared data for API tests: accounts in the 建邺 and 江北 subtrees."""

from __future__ import annotations

import datetime

from lifecycle import services
from lifecycle.models import Account


def imported(unit, name, platform="weibo", platform_id="", **extra) -> Account:
    """A pre-existing, active account (lifecycle.services.account_import)."""
    values = dict(
        name=name, platform=platform, platform_id=platform_id or f"id-{name}", unit=unit,
        opened_on=datetime.date(2019, 6, 5), followers=100, posts_total=10,
        last_post_on=datetime.date(2026, 5, 1), interaction_enabled=True,
    )
    values.update(extra)
    return services.account_import(**values)


def results(response) -> list:
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    return body["results"]

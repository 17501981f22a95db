"""Reads behind the public portal and the public successor API (no login, no scoping:
only what the announcements already made public)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q, QuerySet

from lifecycle.models import Account, AccountState, AccountTransition, ChannelKind, Platform, Unit
from lifecycle.selectors import successor_chain
from lifecycle.services import ANNOUNCE

# Accounts the public may look up: in the register and past the application stage.
PUBLIC_STATES = (
    AccountState.ACTIVE,
    AccountState.RECTIFYING,
    AccountState.CLOSING,
    AccountState.CLOSED,
    AccountState.MERGED,
)
LOOKUP_LIMIT = 20


def announcement_rows(*, unit: Unit | None = None, platform: str = "") -> QuerySet[AccountTransition]:
    """Closure and merger announcements, newest first (one row per announcement)."""
    qs = AccountTransition.objects.filter(name=ANNOUNCE).select_related(
        "account__unit", "account__successor"
    )
    if unit is not None:
        qs = qs.filter(account__unit__path__startswith=unit.path)
    if platform:
        qs = qs.filter(account__platform=platform)
    return qs.order_by("-at", "-pk")


def channel_rows(account: Account) -> list[dict[str, str]]:
    rows = []
    for channel in account.successor_channels or []:
        kind = str(channel.get("kind", ""))
        try:
            label = str(ChannelKind(kind).label)
        except ValueError:
            label = kind
        rows.append({"kind": kind, "kind_label": label, "value": str(channel.get("value", ""))})
    return rows


def public_account_q(prefix: str = "") -> Q:
    """THE rule of what is public about an account: the public account pages, the successor
    lookup, public verification and the public PDFs all use it (`prefix` "account__" from a
    notice). An account the public pages hide is "not found" everywhere public."""
    return Q(**{f"{prefix}state__in": PUBLIC_STATES})


def public_accounts() -> QuerySet[Account]:
    return Account.objects.filter(public_account_q()).select_related("unit", "successor")


def account_lookup(query: str) -> list[Account]:
    """By name (contains) or platform id (exact, case-insensitive), ended accounts first."""
    query = (query or "").strip()
    if not query:
        return []
    qs = public_accounts().filter(Q(name__icontains=query) | Q(platform_id__iexact=query))
    return list(qs.order_by("name", "pk")[:LOOKUP_LIMIT])


def latest_announcements(accounts: list[Account]) -> dict[int, dict[str, Any]]:
    """account id → data of its latest announcement row (one query)."""
    found: dict[int, dict[str, Any]] = {}
    rows = AccountTransition.objects.filter(
        name=ANNOUNCE, account_id__in=[a.pk for a in accounts]
    ).order_by("at", "pk")
    for row in rows:
        found[row.account_id] = announcement_data(row)
    return found


def as_date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None


def announcement_data(row: AccountTransition) -> dict[str, Any]:
    data = dict(row.data)
    data.update(
        at=row.at, reason=row.reason, stop_on=as_date(data.get("stop_on")),
        announced_on=as_date(data.get("announced_on")),
    )
    return data


def successor_match(account: Account, announcement: dict[str, Any] | None = None) -> dict[str, Any]:
    """One answer of the successor lookup: where the account's services went, transitively."""
    chain = successor_chain(account)
    return {
        "account": account,
        "state": account.state,
        "state_label": str(account.get_state_display()),
        "successor": account.successor,
        "chain": chain,
        "final": chain[-1] if chain else None,
        "channels": channel_rows(account),
        "closed_on": account.closed_on,
        "announcement": announcement,
    }


def successor_lookup(query: str) -> list[dict[str, Any]]:
    accounts = account_lookup(query)
    announced = latest_announcements(accounts)
    return [successor_match(a, announced.get(a.pk)) for a in accounts]


def platform_label(code: str) -> str:
    try:
        return str(Platform(code).label)
    except ValueError:
        return code


# -- public feedback as the owning units see it ---------------------------------------------

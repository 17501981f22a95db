"""Reads behind the public portal and the public successor API (no login, no scoping:
only what the announcements already made public), and the owning units' view of the
public's feedback (login; scoped to the user's units)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q, QuerySet

from .models import (
    Account,
    AccountState,
    AccountTransition,
    ChannelKind,
    Feedback,
    FeedbackKind,
    Platform,
    Unit,
)
from .selectors import sees_everything, subtree_q, successor_chain, user_units
from .services_public import ANNOUNCE, FEEDBACK_HANDLED

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


def account_ref(account: Account | None) -> dict[str, Any] | None:
    if account is None:
        return None
    return {
        "id": account.pk,
        "name": account.name,
        "platform": account.platform,
        "platform_id": account.platform_id,
    }


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


def public_accounts() -> QuerySet[Account]:
    return Account.objects.filter(state__in=PUBLIC_STATES).select_related("unit", "successor")


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

FEEDBACK_OPEN = "open"  # error reports not yet handled
FEEDBACK_HANDLED_STATE = "handled"


def feedback_for(
    user: Any, *, kind: str = "", state: str = "", account_id: int | None = None
) -> QuerySet[Feedback]:
    """Feedback on accounts under the user's units, newest first. `state` filters error
    reports: "open" (unhandled) or "handled"."""
    qs = Feedback.objects.select_related("account__unit", "handled_by").order_by("-created", "-pk")
    if not sees_everything(user):
        qs = qs.filter(subtree_q(user_units(user), prefix="account__unit__"))
    if kind in FeedbackKind.values:
        qs = qs.filter(kind=kind)
    if state == FEEDBACK_OPEN:
        qs = qs.filter(kind=FeedbackKind.ERROR_REPORT, handled_at__isnull=True)
    elif state == FEEDBACK_HANDLED_STATE:
        qs = qs.filter(handled_at__isnull=False)
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    return qs


def feedback_notes(feedbacks: list[Feedback]) -> dict[int, str]:
    """feedback id → the handling note (the FEEDBACK_HANDLED audit row), one query."""
    handled = [f for f in feedbacks if f.handled_at is not None]
    if not handled:
        return {}
    rows = AccountTransition.objects.filter(
        name=FEEDBACK_HANDLED,
        account_id__in={f.account_id for f in handled},
        data__feedback_id__in=[f.pk for f in handled],
    ).values_list("data__feedback_id", "reason")
    return {int(pk): reason for pk, reason in rows}

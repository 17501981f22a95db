"""Reads. Every scoped list (web and API) starts from these functions."""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet
from django.utils.functional import LazyObject, empty

from lifecycle.models import Account, AccountTransition, Membership, Notification, Unit
from lifecycle.types import RequestUser


def _memberships(user: RequestUser) -> list[Membership]:
    """All of a user's memberships with their units: one query per request user (cached on
    the user itself, so request.user — a lazy wrapper — and the user an auth backend is
    handed share it)."""
    if isinstance(user, LazyObject):
        if user._wrapped is empty:
            user._setup()
        user = user._wrapped
    cached = user.__dict__.get("_govmedia_memberships")
    if cached is None:
        if not user.is_authenticated:
            return []
        cached = list(Membership.objects.filter(user=user).select_related("unit"))
        user.__dict__["_govmedia_memberships"] = cached
    return cached


def membership_pairs(user: RequestUser) -> set[tuple[int, str]]:
    """The (unit id, role) pairs the user holds, from the request's one memberships query."""
    return {(m.unit_id, m.role) for m in _memberships(user)}


def user_units(user: RequestUser, roles: tuple[str, ...] | None = None) -> list[Unit]:
    """The units a user holds a role in (optionally only some roles). Cached per request user."""
    if not user.is_authenticated:
        return []
    return list({
        m.unit_id: m.unit for m in _memberships(user) if not roles or m.role in roles
    }.values())


def user_roles(user: RequestUser) -> set[str]:
    """The roles a user holds in any unit (menus by role). Shares user_units' one query."""
    if not user.is_authenticated:
        return set()
    return {m.role for m in _memberships(user)}


def sees_everything(user: RequestUser) -> bool:
    return bool(getattr(user, "is_superuser", False))


def subtree_q(units: list[Unit], prefix: str = "") -> Q:
    """Q matching objects whose unit lies under any of `units` (path prefix match)."""
    if not units:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{prefix}path__startswith": u.path}) for u in units))


def units_for(user: RequestUser) -> QuerySet[Unit]:
    if sees_everything(user):
        return Unit.objects.all()
    return Unit.objects.filter(subtree_q(user_units(user)))


def accounts_for(user: RequestUser) -> QuerySet[Account]:
    qs = Account.objects.select_related("unit", "successor")
    if sees_everything(user):
        return qs
    return qs.filter(subtree_q(user_units(user), prefix="unit__"))


def account_history(*, account: Account) -> QuerySet[AccountTransition]:
    return account.transitions.select_related("actor").order_by("at", "pk")


def unit_in_scope(user: RequestUser, unit: Unit) -> bool:
    return sees_everything(user) or any(unit.is_within(u) for u in user_units(user))


def successor_chain(account: Account, limit: int = 50) -> list[Account]:
    """Follow successors from `account` until an account that has none (cycles are refused
    on write, `limit` is a guard)."""
    chain: list[Account] = []
    node = account.successor
    seen = {account.pk}
    while node is not None and node.pk not in seen and len(chain) < limit:
        chain.append(node)
        seen.add(node.pk)
        node = node.successor
    return chain


def notifications_for(user: RequestUser, *, unread: bool = False) -> QuerySet[Notification]:
    """The user's own notifications, newest first (lifecycle.notifications writes them)."""
    if not user.is_authenticated:
        return Notification.objects.none()
    qs = Notification.objects.filter(recipient=user).select_related("actor")
    return qs.filter(read_at__isnull=True) if unread else qs


def unread_count(user: RequestUser) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()

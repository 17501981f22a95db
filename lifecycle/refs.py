"""The one representation of a reference to a unit, an account or a user (DESIGN §8
"References in responses are objects"). API serializers, the public portal, notices and
the flows' stored plans all build their references here."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

from lifecycle.models import Account, Unit


def unit_ref(unit: Unit | None) -> dict[str, str] | None:
    """`{code, name}`."""
    return {"code": unit.code, "name": unit.name} if unit is not None else None


def account_ref(account: Account | None, *, with_label: bool = False) -> dict[str, Any] | None:
    """`{id, name, platform, platform_id}`; `with_label` adds `platform_label` (the
    platform's display name, for documents and pages)."""
    if account is None:
        return None
    ref: dict[str, Any] = {
        "id": account.pk,
        "name": account.name,
        "platform": account.platform,
        "platform_id": account.platform_id,
    }
    if with_label:
        ref["platform_label"] = str(account.get_platform_display())
    return ref


def user_ref(user: AbstractBaseUser | None) -> dict[str, str] | None:
    """`{username, full_name}` (full name falls back to the username)."""
    if user is None:
        return None
    full_name = getattr(user, "get_full_name", lambda: "")() or user.get_username()
    return {"username": user.get_username(), "full_name": full_name}

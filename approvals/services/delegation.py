"""Delegation (委托) of one's tasks for a period."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from approvals.errors import ERR_DELEGATE_SELF, ERR_DELEGATION_DATES, ERR_DELEGATION_NOT_YOURS, TaskForbidden
from approvals.models import Delegation
from approvals.services.duties import check_delegate
from lifecycle import security
from lifecycle.models import SecurityEventKind
from lifecycle.types import User


def delegation_create(
    *, user: User, delegate: User, starts_on: datetime.date, ends_on: datetime.date, reason: str = ""
) -> Delegation:
    """`delegate` may claim and decide `user`'s tasks between the dates (acting-for)."""
    if delegate.pk == user.pk:
        raise ValidationError({"delegate": ERR_DELEGATE_SELF})
    if ends_on < starts_on or ends_on < timezone.localdate():
        raise ValidationError({"ends_on": ERR_DELEGATION_DATES})
    check_delegate(user=user, delegate=delegate)
    delegation = Delegation.objects.create(
        user=user, delegate=delegate, starts_on=starts_on, ends_on=ends_on, reason=reason.strip()
    )
    security.record(kind=SecurityEventKind.DELEGATION, user=user, action="create",
                    target=f"delegation:{delegation.pk}",
                    detail={"delegate": delegate.get_username(), "starts_on": str(starts_on),
                            "ends_on": str(ends_on)})
    return delegation


def delegation_end(*, delegation: Delegation, actor: User) -> Delegation:
    if delegation.user_id != actor.pk:
        raise TaskForbidden(str(ERR_DELEGATION_NOT_YOURS))
    if delegation.ended is None:
        delegation.ended = timezone.now()
        delegation.save(update_fields=["ended"])
        security.record(kind=SecurityEventKind.DELEGATION, user=actor, action="end",
                        target=f"delegation:{delegation.pk}")
    return delegation



"""Separation of duties (DESIGN §6, §8): the rules every entry point of a decision and of a
delegation goes through — the decide service (web, API, bulk, inspection sheets), the claim,
and the delegation service and its people picker.

- the applicant of a process never decides its sign-off steps, also not as a delegate;
- one person signs at most one level (chain step) of a process, in any round, themselves or
  through a delegation; a rectification report's author never rechecks it;
- a delegation goes only to an active colleague holding one of the delegator's roles in the
  same unit (`eligible_delegates`, `check_delegate`), and a decision is never taken for the
  applicant.

The checks are cheap: the process row is already loaded by the decide path, and the
one-level rule is one indexed EXISTS over the process's Decision rows."""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from approvals.errors import (
    ERR_DELEGATE_ROLE,
    ERR_SOD_APPLICANT,
    ERR_SOD_ONE_LEVEL,
    ERR_SOD_OWN_REPORT,
    TaskForbidden,
)
from approvals.models import AccountProcess, Decision
from lifecycle.models import Membership
from lifecycle.types import User

# Task kinds that are a sign-off (a level of the chain, or the recheck of a report).
SIGN_OFF_KINDS = ("decision", "recheck")


def signoff_check(*, process: AccountProcess, task: Any, actor: User,
                  acting_for: User | None = None) -> None:
    """Raise TaskForbidden (403 with the reason) when `actor` (acting for `acting_for`) may
    not sign this task of `process`. Data steps (revision, registration, reports) are the
    applicant's own work and pass."""
    kind = getattr(task.flow_task, "task_kind", "")
    if kind not in SIGN_OFF_KINDS:
        return
    persons = {actor.pk} | ({acting_for.pk} if acting_for is not None else set())
    # A rectification's "applicant" is the supervisor who ordered it and rechecks it; the
    # counterpart there is the report's author (below).
    if kind == "decision" and process.applicant_id in persons:
        raise TaskForbidden(str(ERR_SOD_APPLICANT))
    earlier = Decision.objects.filter(process_id=process.pk).filter(
        Q(actor_id__in=persons) | Q(acting_for_id__in=persons)
    )
    if kind == "decision":
        step = task.data.get("step")
        if earlier.filter(step__isnull=False).exclude(step=step).exists():
            raise TaskForbidden(str(ERR_SOD_ONE_LEVEL))
    elif earlier.filter(step__isnull=True).exclude(task__flow_task=task.flow_task).exists():
        # the recheck: whoever wrote (or decided) another data step of the process
        raise TaskForbidden(str(ERR_SOD_OWN_REPORT))


def may_sign(*, process: AccountProcess, task: Any, actor: User) -> bool:
    """The same rule as a yes/no (pages hide the decision buttons)."""
    try:
        signoff_check(process=process, task=task, actor=actor)
    except TaskForbidden:
        return False
    return True


def eligible_delegates(user: User) -> QuerySet:
    """Active users who may receive `user`'s delegation: holders of one of `user`'s
    (unit, role) pairs, never `user`. The delegation picker lists exactly these."""
    pairs = list(Membership.objects.filter(user=user).values_list("unit_id", "role"))
    users = get_user_model().objects.filter(is_active=True).exclude(pk=user.pk)
    if not pairs:
        return users.none()
    same = reduce(or_, (Q(unit_id=unit_id, role=role) for unit_id, role in pairs))
    return users.filter(pk__in=Membership.objects.filter(same).values("user_id")).order_by(
        "username")


def check_delegate(*, user: User, delegate: User) -> None:
    """ValidationError on `delegate` unless they may receive `user`'s delegation."""
    if not eligible_delegates(user).filter(pk=delegate.pk).exists():
        raise ValidationError({"delegate": ERR_DELEGATE_ROLE})

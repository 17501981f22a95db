"""OA actions on a process that decide nothing — 催办 (urge), 抄送 (copy), 评论 (comment),
加签 (add a signer) — each under the process lock: lock → check → change → ProcessEvent
audit row → notifications (lifecycle.notifications; rows in the transaction, e-mail after
commit). The web process page, the task page and the REST API call these.

Who may do what:
- urge: the applicant, or a supervisor — a unit head or approver of the applying unit or of
  a unit above it; at most once per URGE_INTERVAL per person and process; the holders (or
  candidates) of the open tasks are notified;
- copy: anyone involved in the process (the applicant, someone who decided or may decide
  it, a supervisor); to active people and units within the copier's units
  (`copy_targets`); they read the process (approvals.selectors.copied_to) and are told;
- comment: anyone who may see the process;
- add a signer: the holder (or a candidate, claiming implicitly) of an open sign-off task,
  to an eligible person (`signer_candidates`), before or after their own step, with a
  reason. After: a one-person step is inserted after the current one. Before: the step is
  inserted at the current index and the task is closed as 加签 (DecisionKind.ADD_SIGNER),
  so the added signer decides first and the step comes back to the same unit after.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from functools import reduce
from operator import or_
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import F as models_F
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals import selectors
from approvals.chains import CHAIN_ROLES
from approvals.errors import ERR_PROCESS_FINISHED, ERR_TASK_DONE, TaskConflict, TaskForbidden
from approvals.models import (
    AccountProcess,
    Decision,
    DecisionKind,
    ProcessCopy,
    ProcessEvent,
    ProcessEventKind,
    StepMode,
)
from approvals.nodes import process_url, step_label, task_url
from approvals.services.duties import signoff_check
from approvals.services.tasks import _claim_locked
from lifecycle import notifications
from lifecycle.models import Membership, Unit
from lifecycle.selectors import sees_everything, units_for
from lifecycle.types import User

__all__ = [
    "ERR_COMMENT_EMPTY", "ERR_COPY_EMPTY", "ERR_COPY_TARGET", "ERR_NOT_INVOLVED",
    "ERR_NOTHING_TO_URGE", "ERR_URGE_FORBIDDEN", "ERR_URGE_TOO_SOON", "URGE_INTERVAL",
    "copy_targets", "events_of", "is_supervisor", "may_copy", "may_urge", "process_comment",
    "process_copy", "process_urge", "signer_candidates", "signer_choices", "task_add_signer",
    "BEFORE", "AFTER",
]

URGE_INTERVAL = datetime.timedelta(hours=1)
MAX_TEXT = 1000

ERR_URGE_FORBIDDEN = _("只有申请人或上级单位的负责人、审核人可以催办。")
ERR_URGE_TOO_SOON = _("您已于 {at} 催办过，请 {minutes} 分钟后再催办。")
ERR_NOTHING_TO_URGE = _("该流程当前没有待办的步骤，无需催办。")
ERR_NOT_INVOLVED = _("只有申请人、审核人员或上级单位人员可以抄送。")
ERR_COPY_EMPTY = _("请至少选择一位人员或一个单位。")
ERR_COPY_TARGET = _("只能抄送给您所在单位及下级单位的在岗人员或单位。")
ERR_COMMENT_EMPTY = _("请填写评论内容。")
ERR_TEXT_TOO_LONG = _("内容不能超过 {max} 字。")
ERR_NOT_IN_SCOPE = _("您无权查看该流程。")
ERR_ADD_SIGNER_TASK = _("只能在审核步骤中加签。")
ERR_ADD_SIGNER_TARGET = _(
    "加签人员必须是本流程经过单位或您所在单位及下级单位的负责人、审核人，"
    "且不是申请人、您本人、已签署或将签署本流程其他层级的人员。"
)
ERR_ADD_SIGNER_POSITION = _("请选择在本步骤之前还是之后加签。")
ERR_ADD_SIGNER_REASON = _("请填写加签理由。")
BEFORE, AFTER = "before", "after"


def _text(value: str, *, field: str, required: bool, empty: Any = None) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: empty or ERR_COMMENT_EMPTY})
    if len(value) > MAX_TEXT:
        raise ValidationError({field: str(ERR_TEXT_TOO_LONG).format(max=MAX_TEXT)})
    return value


def _locked(process: AccountProcess):
    return process.flow_class.lock(process.pk)


def _reload_open(process: AccountProcess) -> AccountProcess:
    process = AccountProcess.objects.select_related("account", "unit").get(pk=process.pk)
    if process.finished is not None:
        raise TaskConflict(str(ERR_PROCESS_FINISHED))
    return process


# -- who --------------------------------------------------------------------------------------


def is_supervisor(user: User, process: AccountProcess) -> bool:
    """A unit head or approver of the applying unit or of a unit above it."""
    if sees_everything(user):
        return True
    path = process.unit.path
    return any(
        path.startswith(m.unit.path)
        for m in Membership.objects.filter(user=user, role__in=CHAIN_ROLES).select_related("unit")
    )


def _holders(process: AccountProcess) -> list[Any]:
    people: dict[int, Any] = {}
    for task in selectors.open_tasks(process):
        for user in selectors.candidates_for(task):
            people.setdefault(user.pk, user)
    return list(people.values())


def may_urge(user: User, process: AccountProcess) -> bool:
    return user.pk == process.applicant_id or is_supervisor(user, process)


def may_copy(user: User, process: AccountProcess) -> bool:
    """Involved in the process: its applicant, a decider or candidate, or a supervisor."""
    if may_urge(user, process):
        return True
    if Decision.objects.filter(process=process, actor=user).exists():
        return True
    return any(selectors.is_candidate(user, t) or t.owner_id == user.pk
               for t in selectors.open_tasks(process))


def copy_targets(user: User) -> tuple[QuerySet[Any], QuerySet[Unit]]:
    """(people, units) the user may copy a process to: the units of their scope and the
    active people holding a role in one of them (the picker lists these)."""
    units = units_for(user).order_by("path")
    people = (
        get_user_model().objects.filter(is_active=True, memberships__unit__in=units)
        .exclude(pk=user.pk).distinct().order_by("username")
    )
    return people, units


# -- urge -------------------------------------------------------------------------------------


def process_urge(*, process: AccountProcess, actor: User, comment: str = "") -> ProcessEvent:
    """催办: remind the people the process waits on (rate-limited per person)."""
    comment = _text(comment, field="comment", required=False)
    with _locked(process):
        process = _reload_open(process)
        if not may_urge(actor, process):
            raise TaskForbidden(str(ERR_URGE_FORBIDDEN))
        last = (ProcessEvent.objects.filter(process=process, kind=ProcessEventKind.URGE,
                                            actor=actor).order_by("-at").first())
        now = timezone.now()
        if last is not None and now - last.at < URGE_INTERVAL:
            wait = URGE_INTERVAL - (now - last.at)
            raise TaskConflict(str(ERR_URGE_TOO_SOON).format(
                at=timezone.localtime(last.at).strftime("%H:%M"),
                minutes=max(1, int(wait.total_seconds() // 60) + 1)))
        open_tasks = list(selectors.open_tasks(process))
        if not open_tasks:
            raise TaskConflict(str(ERR_NOTHING_TO_URGE))
        people = _holders(process)
        event = ProcessEvent.objects.create(
            process=process, task=open_tasks[0], kind=ProcessEventKind.URGE, actor=actor,
            comment=comment,
            data={"to": [u.pk for u in people], "names": [_name(u) for u in people],
                  "tasks": [t.pk for t in open_tasks]},
        )
        for task in open_tasks:
            notifications.notify(
                recipients=selectors.candidates_for(task), kind=notifications.URGED,
                title=gettext_noop("{actor}催办：{account}（{step}），请尽快办理"),
                params={"actor": _name(actor), "account": process.account.name,
                        "step": step_label(task)},
                body=comment, link=task_url(task), actor=actor,
            )
    return event


def _name(user: Any) -> str:
    return user.get_full_name() or user.get_username()


# -- copy -------------------------------------------------------------------------------------


def process_copy(*, process: AccountProcess, actor: User, users: Iterable[Any] = (),
                 units: Iterable[Unit] = (), comment: str = "") -> ProcessEvent:
    """抄送: give people and units read-only access to the process and tell them."""
    comment = _text(comment, field="comment", required=False)
    users, units = list(users), list(units)
    if not users and not units:
        raise ValidationError({"to": ERR_COPY_EMPTY})
    people_ok, units_ok = copy_targets(actor)
    if (users and people_ok.filter(pk__in=[u.pk for u in users]).count() != len(set(users))) or (
            units and units_ok.filter(pk__in=[u.pk for u in units]).count() != len(set(units))):
        raise ValidationError({"to": ERR_COPY_TARGET})
    with _locked(process):
        process = AccountProcess.objects.select_related("account", "unit").get(pk=process.pk)
        if not may_copy(actor, process):
            raise TaskForbidden(str(ERR_NOT_INVOLVED))
        event = ProcessEvent.objects.create(
            process=process, kind=ProcessEventKind.COPY, actor=actor, comment=comment,
            data={"users": [u.pk for u in users], "units": [u.code for u in units],
                  "names": [_name(u) for u in users] + [u.name for u in units]},
        )
        ProcessCopy.objects.bulk_create(
            [ProcessCopy(process=process, user=u, event=event) for u in set(users)]
            + [ProcessCopy(process=process, unit=u, event=event) for u in set(units)]
        )
        members = Membership.objects.filter(unit__in=units, user__is_active=True).values_list(
            "user_id", flat=True)
        notifications.notify(
            recipients=[u.pk for u in users] + list(members), kind=notifications.COPIED,
            title=gettext_noop("{actor}抄送给您：{process}（{account}）"),
            params={"actor": _name(actor), "process": str(process.flow_class.process_title),
                    "account": process.account.name},
            body=comment, link=process_url(process), actor=actor,
        )
    return event


# -- comment ----------------------------------------------------------------------------------


def process_comment(*, process: AccountProcess, actor: User, comment: str) -> ProcessEvent:
    """评论: a remark on the process without deciding (anyone who may see it)."""
    comment = _text(comment, field="comment", required=True)
    if not selectors.process_in_scope(actor, process.pk):
        raise TaskForbidden(str(ERR_NOT_IN_SCOPE))
    with _locked(process):
        process = AccountProcess.objects.get(pk=process.pk)
        return ProcessEvent.objects.create(
            process=process, kind=ProcessEventKind.COMMENT, actor=actor, comment=comment,
        )


def events_of(process: AccountProcess) -> QuerySet[ProcessEvent]:
    return ProcessEvent.objects.filter(process=process).select_related("actor").order_by("at", "pk")


def _process_of(task: Task) -> AccountProcess:
    """The task's process: the one loaded with it (the task page joins it), else read."""
    if "process" in task._state.fields_cache:
        return task.process.coerced
    return AccountProcess.objects.get(pk=task.process_id)


def _open_task(task: Task) -> Task:
    task = Task.objects.select_related("owner").get(pk=task.pk)
    if task.status not in (STATUS.NEW, STATUS.ASSIGNED):
        raise TaskConflict(str(ERR_TASK_DONE))
    return task



# -- add a signer -------------------------------------------------------------------------------


def signer_candidates(task: Task, actor: User) -> QuerySet[Any]:
    """People an approver may add as a signer: unit heads and approvers of the units the
    process's chain passes or of the approver's own units and below; never the applicant,
    the approver, or anyone who already decided in the process (one person, one level)."""
    process = _process_of(task)
    chain = process.data.get("chain", [])
    codes = {code for step in chain for code in step.get("units", [])}
    units = Unit.objects.filter(Q(code__in=codes) | Q(pk__in=units_for(actor).values("pk")))
    decided = Decision.objects.filter(process=process).values("actor_id")
    # whoever holds the role of another step of the chain will sign that level
    current = task.data.get("step")
    others = [Q(unit__code__in=step.get("units", []), role=step["role"])
              for index, step in enumerate(chain) if index != current and not step.get("user")]
    later = (Membership.objects.filter(reduce(or_, others)).values("user_id") if others
             else Membership.objects.none().values("user_id"))
    return (
        get_user_model().objects.filter(
            is_active=True, memberships__unit__in=units, memberships__role__in=CHAIN_ROLES)
        .exclude(pk__in=[actor.pk, process.applicant_id or 0])
        .exclude(pk__in=decided).exclude(pk__in=later).distinct().order_by("username")
    )


def signer_choices(task: Task, actor: User) -> list[Any]:
    """signer_candidates for the task page's picker, by username, each person with all
    their memberships and units (`user.memberships.all()`, which the picker's label
    lists) — one query instead of the candidates plus two prefetches."""
    rows = (
        Membership.objects
        .filter(user__in=signer_candidates(task, actor).order_by().values("pk"))
        .select_related("user", "unit").order_by("user__username", "user_id", "pk")
    )
    people: dict[int, Any] = {}
    memberships: dict[int, list[Membership]] = {}
    for row in rows:
        people.setdefault(row.user_id, row.user)
        memberships.setdefault(row.user_id, []).append(row)
    for user_id, user in people.items():
        user.__dict__["_prefetched_objects_cache"] = {"memberships": memberships[user_id]}
    return list(people.values())


def _signer_step(signer: Any, actor: User, task: Task, reason: str, position: str,
                 units: Any) -> dict[str, Any]:
    membership = (Membership.objects.filter(user=signer, role__in=CHAIN_ROLES, unit__in=units)
                  .select_related("unit").order_by("role", "unit__path").first())
    assert membership is not None  # signer_candidates checked it
    unit = membership.unit
    return {
        "units": [unit.code], "unit_names": [unit.name], "role": membership.role,
        "mode": StepMode.ANY, "user": signer.pk,
        "label": str(_("加签：{name}（{unit}）")).format(name=_name(signer), unit=unit.name),
        "added": {"by": actor.pk, "by_name": _name(actor), "name": _name(signer),
                  "reason": reason,
                  "position": position, "task": task.pk, "at": timezone.now().isoformat()},
    }


def task_add_signer(*, task: Task, actor: User, signer: Any, position: str,
                    reason: str) -> ProcessEvent:
    """加签 before or after the actor's own sign-off step (see the module docstring)."""
    reason = _text(reason, field="reason", required=True, empty=ERR_ADD_SIGNER_REASON)
    if position not in (BEFORE, AFTER):
        raise ValidationError({"position": ERR_ADD_SIGNER_POSITION})
    node = task.flow_task
    if getattr(node, "task_kind", "") != "decision":
        raise ValidationError({"task": ERR_ADD_SIGNER_TASK})
    if signer is None or not signer_candidates(task, actor).filter(pk=signer.pk).exists():
        raise ValidationError({"signer": ERR_ADD_SIGNER_TARGET})
    with node.flow_class.lock(task.process_id):
        task = _open_task(task)
        _claim_locked(task=task, actor=actor)
        task.refresh_from_db()
        activation = node.activation_class(task)
        process = activation.process  # the instance the flow's next steps read and save
        acting = selectors.acting_for(actor, task)
        signoff_check(process=process, task=task, actor=actor, acting_for=acting)
        step = task.data.get("step", process.data["step"])
        at = step + 1 if position == AFTER else step
        chain = list(process.data["chain"])
        units = Unit.objects.filter(
            Q(code__in={c for s in chain for c in s.get("units", [])})
            | Q(pk__in=units_for(actor).values("pk")))
        chain.insert(at, _signer_step(signer, actor, task, reason, position, units))
        process.data["chain"] = chain
        process.save(update_fields=["data"])
        # Decisions of earlier rounds at or after the insertion point keep pointing at
        # their own steps.
        Decision.objects.filter(process=process, step__gte=at).update(step=models_F("step") + 1)
        event = ProcessEvent.objects.create(
            process=process, task=task, kind=ProcessEventKind.ADD_SIGNER, actor=actor,
            comment=reason,
            data={"signer": signer.pk, "names": [_name(signer)], "position": position,
                  "step": at},
        )
        if position == BEFORE:
            # The approver's step moved to at + 1: their 加签 is recorded there, the round
            # ends and the added step (now at `step`) is fanned out next.
            Decision.objects.create(
                process=process, task=task, step=at + 1,
                round=task.data.get("round", process.data.get("round", 0)),
                decision=DecisionKind.ADD_SIGNER, comment=reason,
                data={"signer": signer.pk}, actor=actor, acting_for=acting,
            )
            activation.start(None)
            activation.execute()
    return event

"""Task services: claim, release, decide (the one decide path: web, API, bulk and due work),
transfer and bulk approval, under the process lock."""

from __future__ import annotations

import datetime
from functools import reduce
from operator import or_
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db.models import Q, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals import app_policy, selectors
from approvals.actions import check_successor_not_closing, resolve_successor, revision_changes
from approvals.errors import (
    ERR_BULK_ONLY_DECISIONS,
    ERR_DATA_STEP_DECISION,
    ERR_NOT_TEXT,
    ERR_RETURN_TO,
    ERR_TASK_DONE,
    ERR_TASK_FORBIDDEN,
    ERR_TASK_HELD,
    ERR_TRANSFER_NOT_HOLDER,
    ERR_TRANSFER_TARGET,
    TaskConflict,
    TaskForbidden,
)
from approvals.forms.closure import SuccessorsForm
from approvals.models import (
    DECIDABLE,
    AccountProcess,
    Decision,
    DecisionKind,
    Delegation,
    ProcessEvent,
    ProcessEventKind,
    ProcessKind,
    TaskAssignment,
)
from approvals.nodes import (
    LAST_DECIDER,
    ROUTED_UNITS,
    announce_tasks,
    collect_new_tasks,
    process_url,
    step_label,
    task_url,
)
from approvals.services.applications import (
    change_plan,
    closure_plan,
    revision_diff,
    revision_form,
)
from approvals.services.duties import may_sign, signoff_check
from lifecycle import notifications
from lifecycle import services as lifecycle
from lifecycle.models import Membership, Unit
from lifecycle.types import User


def _revision_clean(*, task: Task, data: dict | None, actor: User) -> dict[str, Any]:
    """Validate a revised application like a new one; returns what task_decide stores."""
    process = AccountProcess.objects.select_related("account__unit", "unit").get(pk=task.process_id)
    data = dict(data or {})
    form = revision_form(process=process, data=data)
    if not form.is_valid():
        raise ValidationError({k: [str(m) for m in v] for k, v in form.errors.items()})
    values = form.cleaned_data
    if process.kind == ProcessKind.CLOSURE:
        channels = data.get("successor_channels")
        if not isinstance(channels, list):
            channels = form.channels()
        successor = values.get("successor_account")
        return closure_plan(
            actor=actor, account=process.account, kind=values["kind"], reason=values["reason"],
            stop_on=values["stop_on"], successor_account=successor.pk if successor else None,
            successor_channels=channels, process=process,
        )
    if process.kind == ProcessKind.CHANGE:
        changes = {k: v for k, v in values.items() if k != "reason"}
        return change_plan(actor=actor, account=process.account, changes=changes,
                           reason=values["reason"], process=process)
    return {k: (v.isoformat() if isinstance(v, datetime.date) else v) for k, v in values.items()}


def _revision_apply(*, process: AccountProcess, cleaned: dict[str, Any], actor: User,
                    task: Task) -> None:
    """A resubmitted opening edits the account; a closure or change replaces its plan."""
    if process.kind == ProcessKind.CLOSURE:
        process.data["closure"] = cleaned
        process.save(update_fields=["data"])
    elif process.kind == ProcessKind.CHANGE:
        process.data["change"] = cleaned
        process.save(update_fields=["data"])
    else:
        lifecycle.account_change(
            account=process.account, actor=actor, changes=revision_changes(cleaned),
            reason=str(_("申请人修改后重新提交")), process_id=process.pk, task_id=task.pk,
        )


# Decision.data key of a resubmission: what it changed (approvals.services.revision_diff).
RESUBMIT_CHANGES = "_changes"


def _revision_route(*, process: AccountProcess, changed: bool, round_: int) -> None:
    """Where a resubmission goes (issue 12 §7): changed in any field, the chain starts over
    at its first step and the sign-offs given so far are superseded (process.data
    "restarts" lists the rounds of such resubmissions); unchanged, it returns to the step
    that returned it (the step the process stands at)."""
    if not changed:
        return
    process.data["step"] = 0
    process.data.setdefault("restarts", []).append(round_)
    process.save(update_fields=["data"])


def _validate(*, node: Any, task: Task, decision: str, comment: str, data: dict | None,
              return_to: int | None, actor: User, files: dict | None = None) -> dict[str, Any]:
    """Check a decision before taking any lock; returns cleaned data for data steps."""
    if node.task_kind == "decision":
        errors: dict[str, Any] = {}
        if decision not in DECIDABLE:
            errors["decision"] = _("请选择同意、不同意或退回。")
        elif decision in (DecisionKind.REJECT, DecisionKind.RETURN) and not comment.strip():
            errors["comment"] = _("不同意或退回时必须说明理由。")
        if decision == DecisionKind.RETURN and return_to is not None:
            if not 0 <= return_to < task.data.get("step", 0):
                errors["return_to"] = ERR_RETURN_TO
        if errors:
            raise ValidationError(errors)
        return {}
    if node.task_kind == "revision" and decision == DecisionKind.REJECT:
        return {}  # the applicant withdraws instead of resubmitting
    if decision != DecisionKind.APPROVE:
        raise ValidationError({"decision": ERR_DATA_STEP_DECISION})
    data = _form_values(data, node.form_class)
    if node.task_kind == "revision":
        return _revision_clean(task=task, data=data, actor=actor)
    if node.task_kind == "successors":
        return _successors_clean(task=task, data=data)
    form = node.form_class(data or {}, files or {})
    if not form.is_valid():
        raise ValidationError({k: [str(m) for m in v] for k, v in form.errors.items()})
    if node.task_kind == "registration":
        # An app goes live only after its 网信 filing (approvals.app_policy).
        process_data = (
            AccountProcess.objects.filter(pk=task.process_id).values_list("data", flat=True).first()
        )
        app_policy.check_live_after_cac(cac=(process_data or {}).get("cac_filing"),
                                        live_on=form.cleaned_data.get("live_on"))
    # Uploaded files stay File objects here; task_decide stores them under the lock.
    return {
        k: (v.isoformat() if isinstance(v, datetime.date) else v)
        for k, v in form.cleaned_data.items()
        if v is not None or not isinstance(form.fields.get(k), forms.FileField)
    }


def _successors_clean(*, task: Task, data: dict | None) -> dict[str, Any]:
    """The successors step: the same rules as a closure application's successors."""
    process = AccountProcess.objects.select_related("account").get(pk=task.process_id)
    data = dict(data or {})
    form = SuccessorsForm(data, account=process.account)
    if not form.is_valid():
        raise ValidationError({k: [str(m) for m in v] for k, v in form.errors.items()})
    channels = data.get("successor_channels")
    if not isinstance(channels, list):
        channels = form.channels()
    chosen = form.cleaned_data.get("successor_account")
    successor = resolve_successor(chosen.pk if chosen else None)
    channels = lifecycle.clean_successor_channels(
        channels=channels, successor=successor, account=process.account)
    check_successor_not_closing(successor)
    return {"successor_account": successor.pk if successor else None, "channels": channels}


def _form_values(data: dict | None, form_class: Any) -> dict[str, Any]:
    """JSON `data` as form input: numbers become text (a form parses them as it would the
    browser's), a list or object for one of the form's own fields is a 400 rather than its
    repr stored as text. Other keys (a closure's `successor_channels`, the inspection's
    `vetoes`/`deductions`) pass through to the step's own parsing."""
    if data is not None and not isinstance(data, dict):
        raise ValidationError({"data": ERR_NOT_TEXT})
    fields = getattr(form_class, "base_fields", {}) if form_class is not None else {}
    out: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    for key, value in (data or {}).items():
        if key in fields and isinstance(value, (list, dict)):
            errors[key] = ERR_NOT_TEXT
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = str(value)
        else:
            out[key] = value
    if errors:
        raise ValidationError(errors)
    return out


def store_task_file(*, task: Task, upload: Any) -> str:
    """Save a file uploaded with a data step (evidence, screenshot); returns the storage
    name kept in the step's Decision.data (served by the task's evidence page)."""
    name = f"evidence/tasks/{task.pk}/{upload.name.rsplit('/', 1)[-1]}"
    return default_storage.save(name, upload)


def _store_uploads(cleaned: dict[str, Any], *, task: Task, stored: list[str]) -> dict[str, Any]:
    out = dict(cleaned)
    for key, value in cleaned.items():
        if isinstance(value, File):
            out[key] = store_task_file(task=task, upload=value)
            stored.append(out[key])
    return out


def _claim_locked(*, task: Task, actor: User, save: bool = True) -> None:
    """Claim under the lock. `save=False` (the decide path, which saves the row as done
    right after): the claim is made on the row in memory only — one UPDATE, not two."""
    node = task.flow_task
    if task.status in (STATUS.DONE, STATUS.CANCELED):
        raise TaskConflict(str(ERR_TASK_DONE))
    if task.owner_id and task.owner_id != actor.pk:
        raise TaskConflict(str(ERR_TASK_HELD).format(user=task.owner.get_full_name() or task.owner))
    if task.status == STATUS.NEW:
        if not node.can_assign(actor, task):
            raise TaskForbidden(str(ERR_TASK_FORBIDDEN))
        if save:
            node.activation_class(task).assign(actor)
        else:  # what viewflow's assign transition sets, saved with the decision's update
            task.owner, task.status = actor, STATUS.ASSIGNED


def task_claim(*, task: Task, actor: User) -> Task:
    """Take a claimable task into one's inbox. Claiming a held or done task → TaskConflict."""
    with task.flow_task.flow_class.lock(task.process_id):
        task = Task.objects.select_related("owner").get(pk=task.pk)
        if task.owner_id == actor.pk and task.status == STATUS.ASSIGNED:
            raise TaskConflict(str(ERR_TASK_HELD).format(user=actor.get_full_name() or actor))
        if task.status == STATUS.NEW and task.owner_id is None:
            signoff_check(process=AccountProcess.objects.get(pk=task.process_id), task=task,
                          actor=actor, acting_for=selectors.acting_for(actor, task))
        _claim_locked(task=task, actor=actor)
    return task


def task_release(*, task: Task, actor: User) -> Task:
    """Give a claimed task back to the queue."""
    with task.flow_task.flow_class.lock(task.process_id):
        task = Task.objects.get(pk=task.pk)
        if task.status != STATUS.ASSIGNED or task.owner_id != actor.pk:
            raise TaskConflict(str(ERR_TASK_DONE))
        task.flow_task.activation_class(task).unassign()
    return task


def task_decide(
    *,
    task: Task,
    actor: User,
    decision: str,
    comment: str = "",
    data: dict[str, Any] | None = None,
    return_to: int | None = None,
    files: dict[str, Any] | None = None,
    overdue: bool = False,
) -> Task:
    """Decide a task (claiming it implicitly) and move the flow on, under the process lock.
    The one decide path: the web task page, the REST API, bulk approval, inspection sheets
    and the due work's overdue escalation all come here.

    `files` are uploads for a data step's file fields (web only); they are stored with the
    decision and removed again if it fails.

    `overdue=True` is the system closing a data step whose deadline passed
    (approvals.due): the step is recorded as not submitted (decision `reject`, data
    `{"overdue": True}`, the reason in `comment`) in the name of `actor`, who takes the task
    over from whoever held it; the flow decides what follows.

    A second decision on the same task, or one on a task someone else holds, raises
    TaskConflict — also when two arrive at the same moment (the lock serialises them and
    the loser sees the task done)."""
    node = task.flow_task
    comment = (comment or "").strip()
    if task.status in (STATUS.DONE, STATUS.CANCELED):
        raise TaskConflict(str(ERR_TASK_DONE))  # before any 400: a repeat is a conflict
    if overdue:
        if node.task_kind == "decision" or decision != DecisionKind.REJECT or not comment:
            raise ValueError("an overdue step is closed as a data step's reject with a reason")
        cleaned: dict[str, Any] = {"overdue": True}
    else:
        cleaned = _validate(
            node=node, task=task, decision=decision, comment=comment, data=data,
            return_to=return_to, actor=actor, files=files,
        )
    stored: list[str] = []
    try:
        return _decide_locked(node=node, task=task, actor=actor, decision=decision, comment=comment,
                              cleaned=cleaned, return_to=return_to, stored=stored, overdue=overdue)
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise


def _take_over_locked(*, task: Task, actor: User) -> None:
    """The system acts for `actor` on a task it holds or not (an overdue step)."""
    if task.status in (STATUS.DONE, STATUS.CANCELED):
        raise TaskConflict(str(ERR_TASK_DONE))
    activation = task.flow_task.activation_class(task)
    if task.status == STATUS.NEW:
        activation.assign(actor)
    elif task.owner_id != actor.pk:
        activation.reassign(user=actor)


def _step_unit_id(task: Task, code: str) -> int | None:
    """The unit whose act a one-unit step is: its routing row's unit (the row was created
    from that code, approvals.nodes.RoutedActivation), else looked up by code."""
    rows = task.assignments.all()
    if len(rows) == 1:
        return rows[0].unit_id
    return Unit.objects.filter(code=code).values_list("pk", flat=True).first()


def _routed_units(task: Task) -> dict[str, Unit]:
    """The task's routing rows' units that came loaded with them, by code."""
    field = TaskAssignment._meta.get_field("unit")
    return {row.unit.code: row.unit for row in task.assignments.all() if field.is_cached(row)}


def _reload_locked(task: Task) -> Task:
    """The task again under the lock: its row, holder, process (viewflow's and ours, which
    every activation of the decision reuses), account and applying unit (the answer and the
    notifications read them) in one query. Its routing rows come along from the caller's
    load when it prefetched them (they are written with the task and never change), else
    one more query."""
    rows = getattr(task, "_prefetched_objects_cache", {}).get("assignments")
    task = Task.objects.select_related(
        "owner", "process__accountprocess__account", "process__accountprocess__unit",
    ).get(pk=task.pk)
    if rows is not None:
        task._prefetched_objects_cache = {"assignments": rows}
    else:
        prefetch_related_objects([task], "assignments")
    process = task.process.accountprocess
    if process.account.unit_id == process.unit_id:  # an account's own application
        process.account.unit = process.unit  # the row the join just read
    return task


def _decide_locked(*, node: Any, task: Task, actor: User, decision: str, comment: str,
                   cleaned: dict[str, Any], return_to: int | None, stored: list[str],
                   overdue: bool = False) -> Task:
    with node.flow_class.lock(task.process_id):
        # One load under the lock: the task, its process (viewflow's and ours, which every
        # activation below reuses) and its routing rows (the candidate check, acting_for
        # and the decision's unit read them from here).
        task = _reload_locked(task)
        if overdue:
            _take_over_locked(task=task, actor=actor)
        else:
            _claim_locked(task=task, actor=actor, save=False)
        cleaned = _store_uploads(cleaned, task=task, stored=stored)
        activation = node.activation_class(task)
        process = activation.process
        acting = None if overdue else selectors.acting_for(actor, task)
        if not overdue:
            signoff_check(process=process, task=task, actor=actor, acting_for=acting)
        unit_id = None
        codes = task.data.get("units") or []
        if len(codes) == 1 and not overdue:  # the step was not the unit's act
            unit_id = _step_unit_id(task, codes[0])
        round_ = task.data.get("round", process.data.get("round", 0))
        stored_data = cleaned
        resubmits = node.task_kind == "revision" and decision == DecisionKind.APPROVE
        if resubmits:
            changes = revision_diff(process=process, cleaned=cleaned)
            stored_data = {**cleaned, RESUBMIT_CHANGES: changes}
            decision = DecisionKind.RESUBMIT
        decided = Decision.objects.create(
            process=process,
            task=task,
            step=task.data.get("step") if node.task_kind == "decision" else None,
            round=round_,
            unit_id=unit_id,
            decision=decision,
            comment=comment,
            return_to=return_to if decision == DecisionKind.RETURN else None,
            data=stored_data,
            actor=actor,
            acting_for=acting,
        )
        process.__dict__[LAST_DECIDER] = actor  # the flow's system steps act in their name
        process.__dict__[ROUTED_UNITS] = _routed_units(task)
        if resubmits:
            _revision_apply(process=process, cleaned=cleaned, actor=actor, task=task)
            _revision_route(process=process, changed=bool(changes), round_=round_)
        elif node.task_kind not in ("decision", "revision") and not overdue:
            process.data[node.task_kind] = cleaned
            process.save(update_fields=["data"])
        with collect_new_tasks() as new_tasks:
            activation.start(None)
            activation.execute()
        also = []
        if node.task_kind == "decision" and decision in (DecisionKind.APPROVE, DecisionKind.REJECT):
            also.append(decision_message(decided, task=task, process=process))
        # One notify_many for the new tasks' candidates and the applicant: the rows with
        # the decision (as every service notifies, after its audit row), e-mail after commit.
        announce_tasks(new_tasks, also=also)
        # A sign-off the chain moved on from (the next step's tasks, or siblings still to
        # sign) ran no flow step that writes the account; the API's answer re-reads it
        # otherwise.
        moved_on = (node.task_kind == "decision" and process.finished is None
                    and process.data.get("outcome", "next") == "next")
        setattr(task, "account_touched", not moved_on)  # noqa: B010
    return task


def decision_message(decided: Decision, *, task: Task, process: AccountProcess) -> dict[str, Any]:
    """notify's arguments for an approver's 同意/不同意: the applicant is told (a return
    reaches them as the revision task's notification, approvals.nodes.task_message)."""
    return dict(
        recipients=[process.applicant_id], kind=notifications.DECIDED,
        title=(gettext_noop("审批通过：{account}（{step}）")
               if decided.decision == DecisionKind.APPROVE
               else gettext_noop("审批不同意：{account}（{step}）")),
        params={"account": process.account.name, "step": step_label(task, process)},
        body=decided.comment, link=process_url(process), actor=decided.actor,
        key=f"decision:{decided.pk}",
    )


def transfer_targets(task: Task, actor: User) -> list[User]:
    """Whom the holder may hand the task to (转办; the picker lists exactly these): the
    people who may act on the step — members holding an assigned (unit, role) and their
    delegates — who may also sign it (separation of duties), never the holder."""
    pairs = [Q(unit_id=a.unit_id, role=a.role) for a in TaskAssignment.objects.filter(task=task)]
    if not pairs:
        return []
    members = Membership.objects.filter(reduce(or_, pairs)).values("user_id")
    delegates = Delegation.objects.filter(user_id__in=members, ended__isnull=True).values(
        "delegate_id")
    pool = (get_user_model().objects.filter(is_active=True)
            .filter(Q(pk__in=members) | Q(pk__in=delegates)).exclude(pk=actor.pk)
            .order_by("username"))
    process = AccountProcess.objects.get(pk=task.process_id)
    return [
        user for user in pool
        if selectors.is_candidate(user, task) and may_sign(process=process, task=task, actor=user)
    ]


def task_transfer(*, task: Task, actor: User, to_user: User, comment: str = "") -> Task:
    """The holder hands a claimed task to another candidate of the same step (转办); the
    ProcessEvent row records it and the new holder is told."""
    with task.flow_task.flow_class.lock(task.process_id):
        task = Task.objects.get(pk=task.pk)
        if task.status != STATUS.ASSIGNED or task.owner_id != actor.pk:
            raise TaskConflict(str(ERR_TRANSFER_NOT_HOLDER))
        if to_user.pk == actor.pk or not selectors.is_candidate(to_user, task):
            raise ValidationError({"to_user": ERR_TRANSFER_TARGET})
        try:
            signoff_check(process=AccountProcess.objects.get(pk=task.process_id), task=task,
                          actor=to_user, acting_for=selectors.acting_for(to_user, task))
        except TaskForbidden as exc:
            raise ValidationError({"to_user": str(exc)}) from exc
        task.data.setdefault("transfers", []).append(
            {"from": actor.get_username(), "to": to_user.get_username(),
             "at": timezone.now().isoformat()}
        )
        task.flow_task.activation_class(task).reassign(user=to_user)
        process = AccountProcess.objects.select_related("account").get(pk=task.process_id)
        ProcessEvent.objects.create(
            process=process, task=task, kind=ProcessEventKind.TRANSFER, actor=actor,
            comment=(comment or "").strip()[:1000],
            data={"to": to_user.pk, "names": [to_user.get_full_name() or to_user.get_username()]},
        )
        notifications.notify(
            recipients=[to_user], kind=notifications.TASK_NEW,
            title=gettext_noop("转办给您：{account}（{step}），转办人：{actor}"),
            params={"account": process.account.name, "step": step_label(task),
                    "actor": actor.get_full_name() or actor.get_username()},
            body=(comment or "").strip(), link=task_url(task), actor=actor,
        )
    return task


def tasks_bulk_approve(*, tasks: list[Task], actor: User, comment: str = "") -> dict[str, list]:
    """Approve several decision tasks (after the user confirmed the list). Each one goes
    through task_decide on its own lock; a task someone else took meanwhile is reported."""
    done, failed = [], []
    for task in tasks:
        if getattr(task.flow_task, "task_kind", "") != "decision":
            failed.append((task, str(ERR_BULK_ONLY_DECISIONS)))
            continue
        try:
            task_decide(task=task, actor=actor, decision=DecisionKind.APPROVE, comment=comment)
        except (TaskConflict, TaskForbidden, ValidationError) as exc:
            failed.append((task, " ".join(getattr(exc, "messages", [str(exc)]))))
        else:
            done.append(task)
    return {"done": done, "failed": failed}

"""Writers of approval state: applications, claims, decisions, withdrawal.

Web views, the REST API, seed_demo and tests all call these; none of them touches a
viewflow activation directly.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from lifecycle import services as lifecycle
from lifecycle.models import Account, Role, Unit
from lifecycle.selectors import user_units

from .chains import compute_chain
from .models import AccountProcess, Decision, DecisionKind, ProcessKind

ERR_NOT_APPLICANT = _("您不是该单位的填报员，不能以该单位名义提出申请。")
ERR_TASK_DONE = _("该任务已办结，不能重复处理。")
ERR_TASK_HELD = _("该任务已由{user}签收办理。")
ERR_TASK_FORBIDDEN = _("您无权办理该任务。")
ERR_DATA_STEP_DECISION = _("此步骤只能提交（decision=approve）。")
ERR_RETURN_TO = _("只能退回给申请人或之前的审核步骤。")
ERR_WITHDRAW_DECIDED = _("已有审核意见，不能撤回申请。")
ERR_WITHDRAW_NOT_APPLICANT = _("只有申请人本人或本单位填报员可以撤回申请。")
ERR_PROCESS_FINISHED = _("流程已结束。")


class TaskConflict(Exception):
    """The task is held by someone else or already decided (HTTP 409)."""


class TaskForbidden(PermissionDenied):
    """The user is not a candidate for this task (HTTP 403/404)."""


def parse_iso_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


def _require_role(*, actor: Any, unit: Unit, role: str) -> None:
    if getattr(actor, "is_superuser", False):
        return
    if unit.pk not in {u.pk for u in user_units(actor, roles=(role,))}:
        raise ValidationError({"unit": ERR_NOT_APPLICANT})


# -- applications -----------------------------------------------------------------------


def opening_apply(
    *,
    actor: Any,
    unit: Unit,
    platform: str,
    name: str,
    purpose: str = "",
    operator: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    exemption_reason: str = "",
    plan: Any = None,
) -> AccountProcess:
    """Create the account (applying) and start the OpeningFlow with a frozen chain."""
    from .flows import OpeningFlow

    _require_role(actor=actor, unit=unit, role=Role.APPLICANT)
    lifecycle.check_may_apply(unit=unit, platform=platform, exemption_reason=exemption_reason)
    extra = lifecycle.existing_on_platform(unit=unit, platform=platform) is not None
    chain = compute_chain(process_kind=ProcessKind.OPENING, unit=unit, extra_level=extra)
    with transaction.atomic():
        account = lifecycle.account_apply(
            unit=unit, platform=platform, name=name, actor=actor, purpose=purpose,
            operator=operator, contact_name=contact_name, contact_phone=contact_phone,
            exemption_reason=exemption_reason, plan=plan,
        )
        return OpeningFlow.start.run(account=account, unit=unit, actor=actor, chain=chain)


def process_withdraw(*, process: AccountProcess, actor: Any, reason: str = "") -> AccountProcess:
    """The applicant withdraws before the first decision: tasks cancelled, account → draft."""
    flow_class = process.flow_class
    with flow_class.lock(process.pk):
        process = AccountProcess.objects.get(pk=process.pk)
        if process.finished is not None:
            raise TaskConflict(str(ERR_PROCESS_FINISHED))
        if actor != process.applicant and not getattr(actor, "is_superuser", False):
            if process.unit_id not in {u.pk for u in user_units(actor, roles=(Role.APPLICANT,))}:
                raise TaskForbidden(str(ERR_WITHDRAW_NOT_APPLICANT))
        if Decision.objects.filter(process=process).exists():
            raise ValidationError(ERR_WITHDRAW_DECIDED)
        flow_class.instance.cancel(process)
        if process.kind == ProcessKind.OPENING:
            lifecycle.account_withdraw(
                account=process.account, actor=actor, reason=reason, process_id=process.pk
            )
    return process


# -- tasks ------------------------------------------------------------------------------


def _validate(*, node: Any, task: Task, decision: str, comment: str, data: dict | None,
              return_to: int | None) -> dict[str, Any]:
    """Check a decision before taking any lock; returns cleaned data for data steps."""
    if node.task_kind == "decision":
        errors: dict[str, Any] = {}
        if decision not in DecisionKind.values:
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
    form = node.form_class(data or {})
    if not form.is_valid():
        raise ValidationError({k: [str(m) for m in v] for k, v in form.errors.items()})
    return {
        k: (v.isoformat() if isinstance(v, datetime.date) else v)
        for k, v in form.cleaned_data.items()
    }


def _claim_locked(*, task: Task, actor: Any) -> None:
    node = task.flow_task
    if task.status in (STATUS.DONE, STATUS.CANCELED):
        raise TaskConflict(str(ERR_TASK_DONE))
    if task.owner_id and task.owner_id != actor.pk:
        raise TaskConflict(str(ERR_TASK_HELD).format(user=task.owner.get_full_name() or task.owner))
    if task.status == STATUS.NEW:
        if not node.can_assign(actor, task):
            raise TaskForbidden(str(ERR_TASK_FORBIDDEN))
        node.activation_class(task).assign(actor)


def task_claim(*, task: Task, actor: Any) -> Task:
    """Take a claimable task into one's inbox. Claiming a held or done task → TaskConflict."""
    with task.flow_task.flow_class.lock(task.process_id):
        task = Task.objects.select_related("owner").get(pk=task.pk)
        if task.owner_id == actor.pk and task.status == STATUS.ASSIGNED:
            raise TaskConflict(str(ERR_TASK_HELD).format(user=actor.get_full_name() or actor))
        _claim_locked(task=task, actor=actor)
    return task


def task_release(*, task: Task, actor: Any) -> Task:
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
    actor: Any,
    decision: str,
    comment: str = "",
    data: dict[str, Any] | None = None,
    return_to: int | None = None,
) -> Task:
    """Decide a task (claiming it implicitly) and move the flow on, under the process lock.

    A second decision on the same task, or one on a task someone else holds, raises
    TaskConflict — also when two arrive at the same moment (the lock serialises them and
    the loser sees the task done)."""
    node = task.flow_task
    comment = (comment or "").strip()
    cleaned = _validate(
        node=node, task=task, decision=decision, comment=comment, data=data, return_to=return_to
    )
    with node.flow_class.lock(task.process_id):
        task = Task.objects.select_related("owner").get(pk=task.pk)
        _claim_locked(task=task, actor=actor)
        task.refresh_from_db()
        activation = node.activation_class(task)
        process = activation.process
        unit = None
        codes = task.data.get("units") or []
        if len(codes) == 1:
            unit = Unit.objects.filter(code=codes[0]).first()
        Decision.objects.create(
            process=process,
            task=task,
            step=task.data.get("step") if node.task_kind == "decision" else None,
            round=task.data.get("round", process.data.get("round", 0)),
            unit=unit,
            decision=decision,
            comment=comment,
            return_to=return_to if decision == DecisionKind.RETURN else None,
            data=cleaned,
            actor=actor,
        )
        if node.task_kind == "revision" and decision == DecisionKind.APPROVE:
            lifecycle.account_change(
                account=process.account, actor=actor, changes=_revision_changes(cleaned),
                reason=str(_("申请人修改后重新提交")), process_id=process.pk, task_id=task.pk,
            )
        elif node.task_kind not in ("decision", "revision"):
            process.data[node.task_kind] = cleaned
            process.save(update_fields=["data"])
        activation.start(None)
        activation.execute()
    return task


def _revision_changes(cleaned: dict[str, Any]) -> dict[str, str]:
    return {k: cleaned.get(k, "") for k in ("name", "purpose", "operator", "contact_name",
                                            "contact_phone") if k in cleaned}


# -- notices ----------------------------------------------------------------------------


def issue_notice(
    *,
    kind: str,
    process: AccountProcess,
    account: Account,
    issuing_unit: Unit,
    actor: Any,
    context: dict[str, Any] | None = None,
):
    """Issue the notice a decision produces; rendering runs after commit (notices app)."""
    from notices.services import notice_issue

    facts = {
        "account_name": account.name,
        "platform_label": str(account.get_platform_display()),
        "unit_name": account.unit.name,
        "purpose": account.purpose,
        "chain": [
            {
                "unit": d.unit.name if d.unit else "",
                "decision": str(d.get_decision_display()),
                "comment": d.comment,
                "actor": d.actor.get_full_name() or d.actor.get_username(),
                "at": d.at.date().isoformat(),
            }
            for d in process.decisions.select_related("unit", "actor").order_by("pk")
            if d.step is not None
        ],
    }
    facts.update(context or {})
    return notice_issue(
        kind=kind, account=account, issuing_unit=issuing_unit, actor=actor,
        process_id=process.pk, context=facts,
    )

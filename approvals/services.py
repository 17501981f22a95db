"""Writers of approval state: applications, claims, decisions, withdrawal.

Web views, the REST API, seed_demo and tests all call these; none of them touches a
viewflow activation directly.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals import selectors
from approvals.chains import compute_chain
from approvals.models import AccountProcess, Decision, DecisionKind, ProcessKind
from lifecycle import services as lifecycle
from lifecycle import workdays
from lifecycle.models import Account, Role, Unit
from lifecycle.refs import account_ref
from lifecycle.selectors import user_units

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
    from approvals.flows import OpeningFlow

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


# -- revision of a returned application ----------------------------------------------


def _revision_values(process: AccountProcess) -> dict[str, Any]:
    """The application as it stands, as form values (what the revision form starts from)."""
    from approvals.forms import RevisionForm
    from approvals.forms_closure import ChangeApplyForm, ClosureApplyForm

    account = process.account
    if process.kind == ProcessKind.CLOSURE:
        return ClosureApplyForm.initial_for(process.data["closure"])
    if process.kind == ProcessKind.CHANGE:
        plan = process.data["change"]
        values = {f: getattr(account, f) or "" for f in ChangeApplyForm.base_fields if f != "reason"}
        return {**values, **plan["changes"], "reason": plan["reason"]}
    return {f: getattr(account, f) or "" for f in RevisionForm.base_fields}


def revision_form(*, process: AccountProcess, data: dict | None = None, prefix: str | None = None):
    """The applicant's revision step: the application's own form, filled with the
    application as it stands. Bound data overlays those values, so an API client may send
    only what it changes (a closure's channels as `successor_channels`, as when applying)."""
    from approvals.forms import RevisionForm
    from approvals.forms_closure import ChangeApplyForm, ClosureApplyForm

    values = _revision_values(process)
    if process.kind == ProcessKind.CLOSURE:
        kwargs: dict[str, Any] = {
            "account": process.account, "rows": len(process.data["closure"].get("channels") or []) + 1,
        }
        form_class: Any = ClosureApplyForm
    else:
        kwargs = {}
        form_class = ChangeApplyForm if process.kind == ProcessKind.CHANGE else RevisionForm
    if data is None:
        return form_class(initial=values, prefix=prefix, **kwargs)
    if prefix is None:
        data = {**values, **data}
    return form_class(data, prefix=prefix, **kwargs)


def _revision_clean(*, task: Task, data: dict | None, actor: Any) -> dict[str, Any]:
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


def _revision_apply(*, process: AccountProcess, cleaned: dict[str, Any], actor: Any,
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
            account=process.account, actor=actor, changes=_revision_changes(cleaned),
            reason=str(_("申请人修改后重新提交")), process_id=process.pk, task_id=task.pk,
        )


def _validate(*, node: Any, task: Task, decision: str, comment: str, data: dict | None,
              return_to: int | None, actor: Any, files: dict | None = None) -> dict[str, Any]:
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
    data = _form_values(data, node.form_class)
    if node.task_kind == "revision":
        return _revision_clean(task=task, data=data, actor=actor)
    if node.task_kind == "successors":
        return _successors_clean(task=task, data=data)
    form = node.form_class(data or {}, files or {})
    if not form.is_valid():
        raise ValidationError({k: [str(m) for m in v] for k, v in form.errors.items()})
    # Uploaded files stay File objects here; task_decide stores them under the lock.
    return {
        k: (v.isoformat() if isinstance(v, datetime.date) else v)
        for k, v in form.cleaned_data.items()
        if v is not None or not isinstance(form.fields.get(k), forms.FileField)
    }


def successors_needed(plan: dict[str, Any]) -> bool:
    """A closure plan that names no successor account and no concrete channel: the public
    would be told nothing (the 2019 failure). A forced closure then asks the unit first."""
    from lifecycle.models import ChannelKind

    concrete = {ChannelKind.ACCOUNT, ChannelKind.WEBSITE, ChannelKind.APP, ChannelKind.PHONE}
    return not plan.get("successor_account") and not any(
        c.get("kind") in concrete for c in plan.get("channels") or [])


def _successors_clean(*, task: Task, data: dict | None) -> dict[str, Any]:
    """The successors step: the same rules as a closure application's successors."""
    from approvals.forms_closure import SuccessorsForm

    process = AccountProcess.objects.select_related("account").get(pk=task.process_id)
    data = dict(data or {})
    form = SuccessorsForm(data, account=process.account)
    if not form.is_valid():
        raise ValidationError({k: [str(m) for m in v] for k, v in form.errors.items()})
    channels = data.get("successor_channels")
    if not isinstance(channels, list):
        channels = form.channels()
    chosen = form.cleaned_data.get("successor_account")
    successor = _resolve_successor(chosen.pk if chosen else None)
    channels = lifecycle.clean_successor_channels(
        channels=channels, successor=successor, account=process.account)
    _check_successor_not_closing(successor)
    return {"successor_account": successor.pk if successor else None, "channels": channels}


ERR_NOT_TEXT = _("请填写文本、数字或日期，不能是列表或对象。")


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
    from django.core.files.storage import default_storage

    name = f"evidence/tasks/{task.pk}/{upload.name.rsplit('/', 1)[-1]}"
    return default_storage.save(name, upload)


def _store_uploads(cleaned: dict[str, Any], *, task: Task, stored: list[str]) -> dict[str, Any]:
    out = dict(cleaned)
    for key, value in cleaned.items():
        if isinstance(value, File):
            out[key] = store_task_file(task=task, upload=value)
            stored.append(out[key])
    return out


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
    files: dict[str, Any] | None = None,
) -> Task:
    """Decide a task (claiming it implicitly) and move the flow on, under the process lock.

    `files` are uploads for a data step's file fields (web only); they are stored with the
    decision and removed again if it fails.

    A second decision on the same task, or one on a task someone else holds, raises
    TaskConflict — also when two arrive at the same moment (the lock serialises them and
    the loser sees the task done)."""
    node = task.flow_task
    comment = (comment or "").strip()
    if task.status in (STATUS.DONE, STATUS.CANCELED):
        raise TaskConflict(str(ERR_TASK_DONE))  # before any 400: a repeat is a conflict
    cleaned = _validate(
        node=node, task=task, decision=decision, comment=comment, data=data, return_to=return_to,
        actor=actor, files=files,
    )
    stored: list[str] = []
    try:
        return _decide_locked(node=node, task=task, actor=actor, decision=decision, comment=comment,
                       cleaned=cleaned, return_to=return_to, stored=stored)
    except BaseException:
        from django.core.files.storage import default_storage

        for name in stored:
            default_storage.delete(name)
        raise


def _decide_locked(*, node: Any, task: Task, actor: Any, decision: str, comment: str,
                   cleaned: dict[str, Any], return_to: int | None, stored: list[str]) -> Task:
    with node.flow_class.lock(task.process_id):
        task = Task.objects.select_related("owner").get(pk=task.pk)
        _claim_locked(task=task, actor=actor)
        task.refresh_from_db()
        cleaned = _store_uploads(cleaned, task=task, stored=stored)
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
            acting_for=selectors.acting_for(actor, task),
        )
        if node.task_kind == "revision" and decision == DecisionKind.APPROVE:
            _revision_apply(process=process, cleaned=cleaned, actor=actor, task=task)
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
                "at": timezone.localdate(d.at).isoformat(),  # Beijing date, not UTC
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


# -- closure, merger, change (DESIGN §6; docs/closure.md) ----------------------------------

ERR_STOP_ON_PAST = _("停止更新日期不能早于今天。")
ERR_STOP_ON_INVALID = _("请填写有效日期（YYYY-MM-DD）。")
ERR_CLOSURE_KIND = _("请选择关停（close）或整合（merge）。")
ERR_ACCOUNT_NOT_ACTIVE = _("账号当前状态为「{state}」，只有运行中的账号可以申请关停或整合。")
ERR_ACCOUNT_ALREADY_CLOSING = _("账号已在关停程序中（{state}），不能重复申请。")
ERR_ACCOUNT_ENDED = _("账号当前状态为「{state}」，不能再申请关停或整合。")
ERR_CLOSURE_PENDING = _("该账号已有关停/整合申请在办理中（流程 #{pk}）。")
ERR_MERGE_NEEDS_SUCCESSOR = _("整合必须指定承接账号（系统内运行中的账号）。")
ERR_SUCCESSOR_UNKNOWN = _("承接账号不存在。")
ERR_SUCCESSOR_CLOSING = _("承接账号本身正在办理关停/整合，不能作为承接账号。")
ERR_NOT_ACCOUNT_APPLICANT = _("您不是该账号主办单位的填报员，不能提出申请。")
ERR_NOT_SUPERVISOR = _("只有该账号主管单位或上级单位的审核、复核或检查人员可以启动强制关停。")
ERR_FORCED_NOT_CLOSING = _("强制关停只适用于复核不通过、已进入关停程序的账号（当前：{state}）。")
ERR_CHANGE_EMPTY = _("请至少填写一项与现有信息不同的变更内容。")
ERR_CHANGE_FIELD = _("该字段不能通过变更申请修改。")
ERR_CHANGE_STATE = _("账号当前状态为「{state}」，只有运行中或整改中的账号可以申请变更。")
ERR_CHANGE_PENDING = _("该账号已有变更申请在办理中（流程 #{pk}）。")
NOTE_MERGE_OTHER_PLATFORM = _(
    "承接账号的平台（{to}）与本账号平台（{frm}）不同：允许整合，已在公告中写明承接账号的平台。"
)

CLOSURE_KINDS = ("close", "merge")
# Roles that may start a forced closure for accounts in their unit's subtree or supervised by it.
FORCED_CLOSURE_ROLES = (Role.SUPERVISOR_REVIEWER, Role.APPROVER, Role.INSPECTOR)


def _open_process(*, account: Account, kind: str) -> AccountProcess | None:
    return (
        AccountProcess.objects.filter(account=account, kind=kind, finished__isnull=True)
        .order_by("pk")
        .first()
    )


def _is_member(*, actor: Any, unit: Unit, roles: tuple[str, ...]) -> bool:
    if getattr(actor, "is_superuser", False):
        return True
    return unit.pk in {u.pk for u in user_units(actor, roles=roles)}


def _closure_account_error(account: Account, revising: AccountProcess | None = None) -> str | None:
    from lifecycle.models import ENDED_STATES, AccountState

    state = account.get_state_display()
    if account.state == AccountState.ACTIVE:
        pending = _open_process(account=account, kind=ProcessKind.CLOSURE)
        if pending is not None and (revising is None or pending.pk != revising.pk):
            return str(ERR_CLOSURE_PENDING).format(pk=pending.pk)
        return None
    if account.state == AccountState.CLOSING:
        return str(ERR_ACCOUNT_ALREADY_CLOSING).format(state=state)
    if account.state in ENDED_STATES:
        return str(ERR_ACCOUNT_ENDED).format(state=state)
    return str(ERR_ACCOUNT_NOT_ACTIVE).format(state=state)


def _resolve_successor(value: Any) -> Account | None:
    """The successor named by id. Any account the public may look up can be named (a unit's
    account is often merged into a higher-level one outside the applicant's own subtree);
    accounts still in the application stages answer like unknown ids (no leak)."""
    from lifecycle.selectors_public import PUBLIC_STATES

    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (Account, int, str)):
        raise ValidationError({"successor_account": ERR_SUCCESSOR_UNKNOWN})
    try:
        # Always the stored row: a caller's copy may be stale (state, successor).
        return Account.objects.get(pk=int(value.pk if isinstance(value, Account) else value),
                                   state__in=PUBLIC_STATES)
    except (Account.DoesNotExist, TypeError, ValueError, OverflowError):
        raise ValidationError({"successor_account": ERR_SUCCESSOR_UNKNOWN}) from None


def _check_successor_not_closing(successor: Account | None) -> None:
    if successor is None:
        return
    pending = _open_process(account=successor, kind=ProcessKind.CLOSURE)
    if pending is not None:
        raise ValidationError({"successor_account": ERR_SUCCESSOR_CLOSING})


def successor_ref(successor: Account | None) -> dict[str, Any] | None:
    return account_ref(successor, with_label=True)


def closure_plan(
    *,
    actor: Any,
    account: Account,
    kind: str,
    reason: str,
    stop_on: Any,
    successor_account: Any = None,
    successor_channels: Any = (),
    process: AccountProcess | None = None,
) -> dict[str, Any]:
    """Check a closure/merger application (docs/closure.md) and return its plan for
    process.data["closure"]. `process` is the application being revised, if any: its own
    pending process does not count against the account. Raises ValidationError naming the
    fields; writes nothing."""
    errors: dict[str, Any] = {}
    reason = (reason or "").strip()
    if kind not in CLOSURE_KINDS:
        errors["kind"] = ERR_CLOSURE_KIND
    if not reason:
        errors["reason"] = lifecycle.ERR_REQUIRED
    stop_date: datetime.date | None = None
    if stop_on in (None, ""):
        errors["stop_on"] = lifecycle.ERR_REQUIRED
    else:
        try:
            stop_date = parse_iso_date(stop_on)
        except ValueError:
            errors["stop_on"] = ERR_STOP_ON_INVALID
        else:
            if stop_date < timezone.localdate():
                errors["stop_on"] = ERR_STOP_ON_PAST
    if not _is_member(actor=actor, unit=account.unit, roles=(Role.APPLICANT,)):
        errors["account"] = ERR_NOT_ACCOUNT_APPLICANT
    else:
        problem = _closure_account_error(account, revising=process)
        if problem:
            errors["account"] = problem
    try:
        successor = _resolve_successor(successor_account)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        successor = None
    if kind == "merge" and successor is None and "successor_account" not in errors:
        errors["successor_account"] = ERR_MERGE_NEEDS_SUCCESSOR
    if errors:
        raise ValidationError(errors)
    channels = lifecycle.clean_successor_channels(
        channels=list(successor_channels or []), successor=successor, account=account
    )
    _check_successor_not_closing(successor)
    notes = []
    if kind == "merge" and successor.platform != account.platform:
        notes.append(
            str(NOTE_MERGE_OTHER_PLATFORM).format(
                to=successor.get_platform_display(), frm=account.get_platform_display()
            )
        )
    return {
        "kind": kind,
        "reason": reason,
        "stop_on": stop_date.isoformat(),
        "successor_account": successor.pk if successor else None,
        "channels": channels,
        "notes": notes,
        "forced": False,
    }


def closure_apply(
    *,
    actor: Any,
    account: Account,
    kind: str,
    reason: str,
    stop_on: Any,
    successor_account: Any = None,
    successor_channels: Any = (),
) -> AccountProcess:
    """Start a ClosureFlow (close or merge) for an active account with a frozen chain.

    Every rule of docs/closure.md is checked first (closure_plan); a ValidationError names
    the fields and nothing is written."""
    from approvals.flows import ClosureFlow

    account = Account.objects.select_related("unit").get(pk=account.pk)
    plan = closure_plan(
        actor=actor, account=account, kind=kind, reason=reason, stop_on=stop_on,
        successor_account=successor_account, successor_channels=successor_channels,
    )
    chain = compute_chain(process_kind=ProcessKind.CLOSURE, unit=account.unit)
    with transaction.atomic():
        # Serialise applications for one account: a second one sees the first's process.
        locked = Account.objects.select_for_update().get(pk=account.pk)
        problem = _closure_account_error(locked)
        if problem:
            raise ValidationError({"account": problem})
        return ClosureFlow.start.run(
            account=locked, unit=locked.unit, actor=actor, chain=chain, data={"closure": plan}
        )


def forced_closure_start(
    *,
    actor: Any,
    account: Account,
    reason: str,
    successor_channels: Any = (),
    successor_account: Any = None,
) -> AccountProcess:
    """Start the ClosureFlow past the chain for an account already `closing` (failed
    rectification recheck): announcement, notice period and deregistration as usual.

    Successors are validated like an application's when given; when none is known the
    account's contact phone is named (docs/closure.md)."""
    from approvals.flows import ClosureFlow
    from lifecycle.models import AccountState, ChannelKind

    account = Account.objects.select_related("unit", "supervisor_unit").get(pk=account.pk)
    errors: dict[str, Any] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = lifecycle.ERR_REQUIRED
    supervisors = [u for u in (account.supervisor_unit, account.unit.supervisor) if u is not None]
    allowed = getattr(actor, "is_superuser", False) or any(
        account.unit.is_within(u) or u.pk in {s.pk for s in supervisors}
        for u in user_units(actor, roles=FORCED_CLOSURE_ROLES)
    )
    if not allowed:
        errors["account"] = ERR_NOT_SUPERVISOR
    elif account.state != AccountState.CLOSING:
        errors["account"] = str(ERR_FORCED_NOT_CLOSING).format(state=account.get_state_display())
    else:
        pending = _open_process(account=account, kind=ProcessKind.CLOSURE)
        if pending is not None:
            errors["account"] = str(ERR_CLOSURE_PENDING).format(pk=pending.pk)
    successor = None
    try:
        successor = _resolve_successor(successor_account)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    given = list(successor_channels or [])
    if given or successor is not None:
        channels = lifecycle.clean_successor_channels(
            channels=given, successor=successor, account=account
        )
        _check_successor_not_closing(successor)
    elif account.contact_phone:
        channels = [{"kind": ChannelKind.PHONE.value, "value": account.contact_phone}]
    else:
        channels = []
    plan = {
        "kind": "close",
        "reason": reason,
        "stop_on": workdays.today().isoformat(),
        "successor_account": successor.pk if successor else None,
        "channels": channels,
        "notes": [],
        "forced": True,
    }
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        if locked.state != AccountState.CLOSING:
            raise ValidationError(
                {"account": str(ERR_FORCED_NOT_CLOSING).format(state=locked.get_state_display())}
            )
        return ClosureFlow.start_forced.run(
            account=locked, unit=locked.unit, actor=actor, data={"closure": plan}
        )


def closure_notice_context(*, plan: dict[str, Any], successor: Account | None) -> dict[str, Any]:
    """The announcement's facts (notices/templates/notices/{closure,merger}_announcement)."""
    from lifecycle.models import ChannelKind

    def label(kind: str) -> str:
        try:
            return str(ChannelKind(kind).label)
        except ValueError:
            return kind

    ref = successor_ref(successor)
    return {
        "reason": plan["reason"],
        "stop_on": plan["stop_on"],
        "successor_account": (
            {k: ref[k] for k in ("name", "platform_label", "platform_id")} if ref else None
        ),
        "channels": [
            {"kind": c["kind"], "kind_label": label(c["kind"]), "value": c["value"]}
            for c in plan["channels"]
        ],
    }


def closure_announce(*, process: AccountProcess, actor: Any) -> Any:
    """Record the successor plan on the account, issue the owning unit's announcement and
    start the notice period (working days). Called by ClosureFlow.announce."""
    from django.conf import settings

    from lifecycle.services import account_record_announcement
    from lifecycle.workdays import add_working_days

    plan = process.data["closure"]
    named = process.data.get("successors")  # a forced closure's successors step, if it ran
    if named:
        plan["successor_account"] = named["successor_account"]
        plan["channels"] = named["channels"]
    successor = Account.objects.get(pk=plan["successor_account"]) if plan.get(
        "successor_account") else None
    account = lifecycle.account_set_closure_plan(
        account=process.account, successor=successor, channels=plan["channels"]
    )
    kind = "merger_announcement" if plan["kind"] == "merge" else "closure_announcement"
    notice = issue_notice(
        kind=kind, process=process, account=account, issuing_unit=account.unit, actor=actor,
        context=closure_notice_context(plan=plan, successor=successor),
    )
    today = workdays.today()
    days = int(settings.NOTICE_PERIOD_WORKING_DAYS)
    ends_on = add_working_days(today, days)
    stop_on = parse_iso_date(plan["stop_on"])
    # Deregistration may start the day after the period's last working day, never before
    # the announced stop date.
    due_on = max(ends_on + datetime.timedelta(days=1) if days else today, stop_on)
    plan["announcement"] = {"notice_id": notice.pk, "number": notice.number, "kind": kind}
    process.data["notice_period"] = {
        "working_days": days,
        "starts_on": today.isoformat(),
        "ends_on": ends_on.isoformat(),
        "due_on": due_on.isoformat(),
        "ended": days == 0,
    }
    process.save(update_fields=["data"])
    account_record_announcement(
        account=account, actor=actor, kind=plan["kind"], number=notice.number,
        notice_id=notice.pk, reason=plan["reason"], stop_on=plan["stop_on"],
        announced_on=today.isoformat(), process_id=process.pk,
    )
    return notice


# What an opening requires may not be blanked by a change (approvals.forms.OpeningForm);
# a pre-existing account that never had them may leave them empty.
ERR_CHANGE_BLANK = _("此项不能清空。")
CHANGE_REQUIRED_FIELDS = ("name", "purpose", "contact_name", "contact_phone")


def change_plan(
    *, actor: Any, account: Account, changes: dict, reason: str,
    process: AccountProcess | None = None,
) -> dict[str, Any]:
    """Check a change application and return process.data["change"] ({changes, before,
    reason}). Only fields of lifecycle.services.CHANGEABLE_FIELDS; at least one value must
    differ. `process` is the application being revised, if any."""
    from lifecycle.models import AccountState

    errors: dict[str, Any] = {}
    cleaned: dict[str, str] = {}
    for field, value in (changes or {}).items():
        if field not in lifecycle.CHANGEABLE_FIELDS:
            errors[field] = ERR_CHANGE_FIELD
            continue
        value = str(value if value is not None else "").strip()
        if field in CHANGE_REQUIRED_FIELDS and not value and (field == "name" or getattr(
                account, field)):
            errors[field] = ERR_CHANGE_BLANK  # only fills in or replaces what an opening needs
            continue
        if value != (getattr(account, field) or ""):
            cleaned[field] = value
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = lifecycle.ERR_REQUIRED
    if not _is_member(actor=actor, unit=account.unit, roles=(Role.APPLICANT,)):
        errors["account"] = ERR_NOT_ACCOUNT_APPLICANT
    elif account.state not in (AccountState.ACTIVE, AccountState.RECTIFYING):
        errors["account"] = str(ERR_CHANGE_STATE).format(state=account.get_state_display())
    else:
        pending = _open_process(account=account, kind=ProcessKind.CHANGE)
        if pending is not None and (process is None or pending.pk != process.pk):
            errors["account"] = str(ERR_CHANGE_PENDING).format(pk=pending.pk)
    if not cleaned and not errors:
        errors["changes"] = ERR_CHANGE_EMPTY
    if errors:
        raise ValidationError(errors)
    return {"changes": cleaned, "before": {f: getattr(account, f) for f in cleaned},
            "reason": reason}


def change_apply(*, actor: Any, account: Account, changes: dict, reason: str) -> AccountProcess:
    """Start a ChangeFlow: rename, new operator, new verified subject, contact change."""
    from approvals.flows import ChangeFlow

    account = Account.objects.select_related("unit").get(pk=account.pk)
    plan = change_plan(actor=actor, account=account, changes=changes, reason=reason)
    chain = compute_chain(process_kind=ProcessKind.CHANGE, unit=account.unit)
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        pending = _open_process(account=locked, kind=ProcessKind.CHANGE)
        if pending is not None:
            raise ValidationError({"account": str(ERR_CHANGE_PENDING).format(pk=pending.pk)})
        return ChangeFlow.start.run(
            account=locked, unit=locked.unit, actor=actor, chain=chain, data={"change": plan},
        )


def change_apply_approved(*, process: AccountProcess, actor: Any, audit: dict[str, int]) -> Any:
    """Apply an approved change and issue the supervisor unit's 变更备案函 (ChangeFlow.approve)."""
    data = process.data["change"]
    account = lifecycle.account_change(
        account=process.account, actor=actor, changes=data["changes"], reason=data["reason"],
        **audit,
    )
    row = account.transitions.filter(name="change").order_by("-pk").first()
    before = row.data.get("before", {}) if row else data["before"]
    after = row.data.get("after", {}) if row else data["changes"]
    process.data["change"]["applied"] = {"before": before, "after": after}
    process.save(update_fields=["data"])
    return issue_notice(
        kind="change_filing", process=process, account=account,
        issuing_unit=account.supervisor_unit or account.unit.supervisor or account.unit,
        actor=actor, context={"before": before, "after": after, "reason": data["reason"]},
    )


# -- delegation, transfer, bulk ---------------------------------------------------------

ERR_DELEGATE_SELF = _("不能委托给自己。")
ERR_DELEGATION_DATES = _("结束日期不能早于开始日期，且不能早于今天。")
ERR_DELEGATION_NOT_YOURS = _("只能结束自己发起的委托。")
ERR_TRANSFER_NOT_HOLDER = _("只有当前办理人可以转办。")
ERR_TRANSFER_TARGET = _("转办对象必须是该环节的办理人员。")
ERR_BULK_ONLY_DECISIONS = _("批量办理只适用于审核环节。")


def delegation_create(
    *, user: Any, delegate: Any, starts_on: datetime.date, ends_on: datetime.date, reason: str = ""
):
    """`delegate` may claim and decide `user`'s tasks between the dates (acting-for)."""
    from django.utils import timezone

    from approvals.models import Delegation

    if delegate.pk == user.pk:
        raise ValidationError({"delegate": ERR_DELEGATE_SELF})
    if ends_on < starts_on or ends_on < timezone.localdate():
        raise ValidationError({"ends_on": ERR_DELEGATION_DATES})
    return Delegation.objects.create(
        user=user, delegate=delegate, starts_on=starts_on, ends_on=ends_on, reason=reason.strip()
    )


def delegation_end(*, delegation, actor: Any):
    from django.utils import timezone

    if delegation.user_id != actor.pk:
        raise TaskForbidden(str(ERR_DELEGATION_NOT_YOURS))
    if delegation.ended is None:
        delegation.ended = timezone.now()
        delegation.save(update_fields=["ended"])
    return delegation


def task_transfer(*, task: Task, actor: Any, to_user: Any) -> Task:
    """The holder hands a claimed task to another candidate of the same step (转办)."""
    from django.utils import timezone

    with task.flow_task.flow_class.lock(task.process_id):
        task = Task.objects.get(pk=task.pk)
        if task.status != STATUS.ASSIGNED or task.owner_id != actor.pk:
            raise TaskConflict(str(ERR_TRANSFER_NOT_HOLDER))
        if to_user.pk == actor.pk or not selectors.is_candidate(to_user, task):
            raise ValidationError({"to_user": ERR_TRANSFER_TARGET})
        task.data.setdefault("transfers", []).append(
            {"from": actor.get_username(), "to": to_user.get_username(),
             "at": timezone.now().isoformat()}
        )
        task.flow_task.activation_class(task).reassign(user=to_user)
    return task


def tasks_bulk_approve(*, tasks: list[Task], actor: Any, comment: str = "") -> dict[str, list]:
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

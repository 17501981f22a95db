"""Application services: open, close, merge, change an account, revise a returned
application, withdraw; forced closure after a failed recheck."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals import app_policy
from approvals.actions import (
    CHANGE_REQUIRED_FIELDS,
    CLOSURE_KINDS,
    check_successor_not_closing,
    closure_account_error,
    is_member,
    open_process,
    parse_iso_date,
    resolve_successor,
)
from approvals.chains import compute_chain
from approvals.errors import (
    ERR_CHANGE_BLANK,
    ERR_CHANGE_EMPTY,
    ERR_CHANGE_FIELD,
    ERR_CHANGE_PENDING,
    ERR_CHANGE_STATE,
    ERR_CLOSURE_KIND,
    ERR_MERGE_NEEDS_SUCCESSOR,
    ERR_NOT_ACCOUNT_APPLICANT,
    ERR_NOT_APPLICANT,
    ERR_PROCESS_FINISHED,
    ERR_STOP_ON_INVALID,
    ERR_STOP_ON_PAST,
    ERR_WITHDRAW_DECIDED,
    ERR_WITHDRAW_NOT_APPLICANT,
    NOTE_MERGE_OTHER_PLATFORM,
    TaskConflict,
    TaskForbidden,
)
from approvals.flows import ChangeFlow, ClosureFlow, OpeningFlow, start_forced_closure
from approvals.forms import RevisionForm
from approvals.forms.closure import ChangeApplyForm, ClosureApplyForm
from approvals.models import AccountProcess, Decision, ProcessKind
from approvals.nodes import acting_on
from lifecycle import services as lifecycle
from lifecycle.models import Account, AccountState, Role, Unit
from lifecycle.selectors import user_units
from lifecycle.types import User


def _require_role(*, actor: User, unit: Unit, role: str) -> None:
    if getattr(actor, "is_superuser", False):
        return
    if unit.pk not in {u.pk for u in user_units(actor, roles=(role,))}:
        raise ValidationError({"unit": ERR_NOT_APPLICANT})


# -- applications -----------------------------------------------------------------------


def opening_apply(
    *,
    actor: User,
    unit: Unit,
    platform: str,
    name: str,
    purpose: str = "",
    operator: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    exemption_reason: str = "",
    plan: Any = None,
) -> AccountProcess:
    """Create the account (applying) and start the OpeningFlow with a frozen chain."""
    _require_role(actor=actor, unit=unit, role=Role.APPLICANT)
    lifecycle.check_may_apply(unit=unit, platform=platform, exemption_reason=exemption_reason)
    app_policy.check_app_opening(unit=unit, platform=platform)
    extra = lifecycle.existing_on_platform(unit=unit, platform=platform) is not None
    chain = compute_chain(process_kind=ProcessKind.OPENING, unit=unit, extra_level=extra)
    with transaction.atomic():
        account = lifecycle.account_apply(
            unit=unit, platform=platform, name=name, actor=actor, purpose=purpose,
            operator=operator, contact_name=contact_name, contact_phone=contact_phone,
            contact_email=contact_email,
            exemption_reason=exemption_reason, plan=plan,
        )
        return OpeningFlow.start.run(account=account, unit=unit, actor=actor, chain=chain)


def process_withdraw(*, process: AccountProcess, actor: User, reason: str = "") -> AccountProcess:
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
    account = process.account
    if process.kind == ProcessKind.CLOSURE:
        return ClosureApplyForm.initial_for(process.data["closure"])
    if process.kind == ProcessKind.CHANGE:
        plan = process.data["change"]
        values = {f: getattr(account, f) or "" for f in ChangeApplyForm.base_fields if f != "reason"}
        return {**values, **plan["changes"], "reason": plan["reason"]}
    return {f: getattr(account, f) or "" for f in RevisionForm.base_fields}


def _plan_text(value: Any) -> str:
    if isinstance(value, list):  # a closure's successor channels
        return "；".join(f"{c.get('kind', '')}:{c.get('value', '')}" if isinstance(c, dict)
                        else str(c) for c in value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return "" if value is None else str(value)


def revision_diff(*, process: AccountProcess, cleaned: dict[str, Any]) -> list[dict[str, str]]:
    """What a resubmission changes against the application as it stands: one row per
    changed field {field, label, before, after} (empty: resubmitted unchanged)."""
    account = process.account
    if process.kind == ProcessKind.CLOSURE:
        old = process.data["closure"]
        keys = ("kind", "reason", "stop_on", "successor_account", "channels")
        labels = {k: f.label for k, f in ClosureApplyForm.base_fields.items()}
        labels["channels"] = _("承接渠道")
        before, after = {k: old.get(k) for k in keys}, {k: cleaned.get(k) for k in keys}
    elif process.kind == ProcessKind.CHANGE:
        old = process.data["change"]
        before = {**old.get("changes", {}), "reason": old.get("reason", "")}
        after = {**cleaned.get("changes", {}), "reason": cleaned.get("reason", "")}
        for key in set(before) ^ set(after):  # a field added to / dropped from the request
            current = "" if key == "reason" else getattr(account, key, "")
            before.setdefault(key, current)
            after.setdefault(key, current)
        labels = {k: f.label for k, f in ChangeApplyForm.base_fields.items()}
    else:
        after = {k: v for k, v in cleaned.items() if k in RevisionForm.base_fields}
        before = {k: getattr(account, k) or "" for k in after}
        labels = {k: f.label for k, f in RevisionForm.base_fields.items()}
    rows = []
    for key in [k for k in labels if k in after] + sorted(set(after) - set(labels)):
        old_text, new_text = _plan_text(before.get(key)), _plan_text(after.get(key))
        if old_text.strip() != new_text.strip():
            rows.append({"field": key, "label": str(labels.get(key) or Account.field_label(key)),
                         "before": old_text, "after": new_text})
    return rows


def revision_form(*, process: AccountProcess, data: dict | None = None, prefix: str | None = None):
    """The applicant's revision step: the application's own form, filled with the
    application as it stands. Bound data overlays those values, so an API client may send
    only what it changes (a closure's channels as `successor_channels`, as when applying)."""
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


def closure_plan(
    *,
    actor: User,
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
    if not is_member(actor=actor, unit=account.unit, roles=(Role.APPLICANT,)):
        errors["account"] = ERR_NOT_ACCOUNT_APPLICANT
    else:
        problem = closure_account_error(account, revising=process)
        if problem:
            errors["account"] = problem
    try:
        successor = resolve_successor(successor_account)
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
    check_successor_not_closing(successor)
    notes = []
    # A merge without a successor was refused above (ERR_MERGE_NEEDS_SUCCESSOR).
    if kind == "merge" and successor is not None and successor.platform != account.platform:
        notes.append(
            str(NOTE_MERGE_OTHER_PLATFORM).format(
                to=successor.get_platform_display(), frm=account.get_platform_display()
            )
        )
    assert stop_date is not None  # a missing or invalid stop_on was refused above
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
    actor: User,
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
    account = Account.objects.select_related("unit").get(pk=account.pk)
    plan = closure_plan(
        actor=actor, account=account, kind=kind, reason=reason, stop_on=stop_on,
        successor_account=successor_account, successor_channels=successor_channels,
    )
    chain = compute_chain(process_kind=ProcessKind.CLOSURE, unit=account.unit)
    with transaction.atomic():
        # Serialise applications for one account: a second one sees the first's process.
        locked = Account.objects.select_for_update().get(pk=account.pk)
        problem = closure_account_error(locked)
        if problem:
            raise ValidationError({"account": problem})
        return ClosureFlow.start.run(
            account=locked, unit=locked.unit, actor=actor, chain=chain, data={"closure": plan}
        )


def forced_closure_start(
    *,
    actor: User,
    account: Account,
    reason: str,
    successor_channels: Any = (),
    successor_account: Any = None,
) -> AccountProcess:
    """Start the ClosureFlow past the chain for an account already `closing` (failed
    rectification recheck): announcement, notice period and deregistration as usual.

    Successors are validated like an application's when given; when none is known the
    account's contact phone is named (docs/closure.md)."""
    return start_forced_closure(
        actor=actor, account=account, reason=reason, successor_channels=successor_channels,
        successor_account=successor_account,
    )


def change_plan(
    *, actor: User, account: Account, changes: dict, reason: str,
    process: AccountProcess | None = None,
) -> dict[str, Any]:
    """Check a change application and return process.data["change"] ({changes, before,
    reason}). Only fields of lifecycle.services.CHANGEABLE_FIELDS; at least one value must
    differ. `process` is the application being revised, if any."""
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
    if not is_member(actor=actor, unit=account.unit, roles=(Role.APPLICANT,)):
        errors["account"] = ERR_NOT_ACCOUNT_APPLICANT
    elif account.state not in (AccountState.ACTIVE, AccountState.RECTIFYING):
        errors["account"] = str(ERR_CHANGE_STATE).format(state=account.get_state_display())
    else:
        pending = open_process(account=account, kind=ProcessKind.CHANGE)
        if pending is not None and (process is None or pending.pk != process.pk):
            errors["account"] = str(ERR_CHANGE_PENDING).format(pk=pending.pk)
    if not cleaned and not errors:
        errors["changes"] = ERR_CHANGE_EMPTY
    if errors:
        raise ValidationError(errors)
    return {"changes": cleaned, "before": {f: getattr(account, f) for f in cleaned},
            "reason": reason}


def change_apply(*, actor: User, account: Account, changes: dict, reason: str) -> AccountProcess:
    """Start a ChangeFlow: rename, new operator, new verified subject, contact change."""
    account = Account.objects.select_related("unit").get(pk=account.pk)
    plan = change_plan(actor=actor, account=account, changes=changes, reason=reason)
    chain = compute_chain(process_kind=ProcessKind.CHANGE, unit=account.unit)
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        pending = open_process(account=locked, kind=ProcessKind.CHANGE)
        if pending is not None:
            raise ValidationError({"account": str(ERR_CHANGE_PENDING).format(pk=pending.pk)})
        return ChangeFlow.start.run(
            account=locked, unit=locked.unit, actor=actor, chain=chain, data={"change": plan},
        )


def closure_notice_period_end(*, task: Task, today: datetime.date) -> AccountProcess | None:
    """End a closure's notice period once its deregistration date (process.data.notice_period
    .due_on) is reached: under the process lock, the waiting node completes and the
    deregistration task is created. Returns the process; None when not due or already ended
    (idempotent)."""
    with ClosureFlow.lock(task.process_id):
        task = Task.objects.get(pk=task.pk)
        if task.status != STATUS.NEW or task.flow_task != ClosureFlow.wait_notice_period:
            return None
        process = AccountProcess.objects.get(pk=task.process_id)
        due_on = (process.data.get("notice_period") or {}).get("due_on")
        if not due_on or due_on > today.isoformat():
            return None
        with acting_on(process.pk, today):  # the deregistration task is dated from `today`
            ClosureFlow.wait_notice_period.run(task)
    return process

"""ClosureFlow (close or merge, also forced after a failed recheck) and how a forced closure starts."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from approvals import actions
from approvals.actions import (
    FORCED_CLOSURE_ROLES,
    check_successor_not_closing,
    open_process,
    resolve_successor,
)
from approvals.errors import ERR_CLOSURE_PENDING, ERR_FORCED_NOT_CLOSING, ERR_NOT_SUPERVISOR
from approvals.flows.chain import ChainFlow, applicant_step, audit_of, last_decider, revise_node
from approvals.forms import DeregistrationForm
from approvals.forms.closure import ClosureApplyForm, SuccessorsForm
from approvals.models import AccountProcess, FilingKind, ProcessKind
from approvals.nodes import AS_OF, forget_business_date
from lifecycle import services as lifecycle
from lifecycle import workdays
from lifecycle.models import Account, AccountState, ChannelKind
from lifecycle.selectors import user_units
from lifecycle.types import User


class ClosureFlow(ChainFlow, flow.Flow):
    """账号关停/整合

    Application (reason, stop date, named successors) → chain → the account enters
    `closing`, the owning unit's 关停公告/整合公告 is issued → notice period in working days
    (ended by `run_due`; skipped when NOTICE_PERIOD_WORKING_DAYS is 0) → the unit confirms
    deregistration on the platform → closed / merged.

    A forced closure (failed rectification recheck; the account is already `closing`) enters
    at `start_forced` and joins at `announce`, past the chain."""

    process_title = _("账号关停/整合")
    process_description = _(
        "申请单位提交关停或整合申请（理由、停更日期、承接账号或渠道）→ 逐级审核 → 主"
        "办单位发布关停公告或整合公告 → 公示期满（按工作日计算）→ 申请单位确认已在平"
        "台注销 → 账号关停或整合。整改复核不通过的账号进入强制关停：没有承接渠道的先由"
        "主办单位填报，再发布公告。"
    )
    process_kind = ProcessKind.CLOSURE

    start_forced = (
        flow.StartHandle(this.start_forced_process).Annotation(title=_("发起强制关停"))
        .Next(this.check_successors)
    )

    # A forced closure that knows no successor asks the owning unit before announcing:
    # an announcement never sends the public to "other platforms".
    check_successors = (
        flow.Switch()
        .Annotation(title=_("承接渠道"))
        .Case(this.name_successors, this.successors_needed)
        .Default(this.announce)
    )

    name_successors = applicant_step("successors", SuccessorsForm, _("填报承接账号/渠道")).Next(
        this.announce
    )

    revise = revise_node(ClosureApplyForm)

    approve = (
        flow.Function(this.on_approved)
        .Annotation(title=_("批准关停"))
        .Next(this.announce)
    )

    announce = (
        flow.Function(this.on_announce)
        .Annotation(title=_("发布关停公告"))
        .Next(this.check_period)
    )

    check_period = (
        flow.Switch()
        .Annotation(title=_("公告期"))
        .Case(this.deregister, this.period_is_zero)
        .Default(this.wait_notice_period)
    )

    # Completed by `manage.py run_due` once process.data["notice_period"]["due_on"] is reached.
    wait_notice_period = (
        flow.Handle(this.end_notice_period)
        .Annotation(title=_("公告期（工作日）"))
        .Next(this.deregister)
    )

    deregister = applicant_step("deregistration", DeregistrationForm, _("平台注销确认")).Next(
        this.finish
    )

    finish = flow.Function(this.on_deregistered).Annotation(title=_("账号关停")).Next(this.end)

    def start_forced_process(self, activation, *, account, unit, actor, data):
        return self.start_process(activation, account=account, unit=unit, actor=actor, chain=[],
                                  data=data)

    def on_rejected(self, activation, reason: str) -> None:
        """The account stays active: a rejected closure changes nothing on it."""

    def on_approved(self, activation) -> None:
        process = activation.process
        plan = process.data["closure"]
        successor = _closure_successor(plan)
        # Re-checked at approval: the successor may have closed while the chain ran.
        lifecycle.clean_successor_channels(
            channels=plan["channels"], successor=successor, account=process.account
        )
        lifecycle.account_start_closure(
            account=process.account, actor=last_decider(process), reason=plan["reason"],
            data={"kind": plan["kind"], "stop_on": plan["stop_on"]}, **audit_of(activation),
        )

    def on_announce(self, activation) -> None:
        actions.closure_announce(process=activation.process, actor=last_decider(activation.process))
        # The closure (关停) is public from its announcement — also a forced one: file it.
        actions.open_filings(process=activation.process, kind=FilingKind.CLOSURE)

    def successors_needed(self, activation) -> bool:
        return actions.successors_needed(activation.process.data["closure"])

    def period_is_zero(self, activation) -> bool:
        return activation.process.data["notice_period"]["working_days"] == 0

    def end_notice_period(self, activation) -> None:
        process = activation.process
        process.data["notice_period"]["ended"] = True
        process.save(update_fields=["data"])

    def on_deregistered(self, activation) -> None:
        process = activation.process
        plan = process.data["closure"]
        on = actions.parse_iso_date(process.data["deregistration"]["deregistered_on"])
        if plan["kind"] == "merge":
            lifecycle.account_merge(
                account=process.account, actor=last_decider(process), successor=_closure_successor(plan),
                deregistered_on=on, reason=plan["reason"], **audit_of(activation),
            )
        else:
            lifecycle.account_deregister(
                account=process.account, actor=last_decider(process), deregistered_on=on,
                reason=plan["reason"], **audit_of(activation),
            )
        actions.open_filings(process=process, kind=FilingKind.DEREGISTRATION, event_on=on)


def _closure_successor(plan: dict[str, Any]):


    pk = plan.get("successor_account")
    return Account.objects.get(pk=pk) if pk else None


# -- change (DESIGN §6 ChangeFlow) -----------------------------------------------------------


def start_forced_closure(
    *,
    actor: User,
    account: Account,
    reason: str,
    successor_channels: Any = (),
    successor_account: Any = None,
    today: datetime.date | None = None,
) -> AccountProcess:
    """Check and start a forced ClosureFlow (approvals.services.forced_closure_start and
    the rectification flow's failed/overdue nodes): the account is already `closing`;
    successors are validated like an application's, else the contact phone is named.
    `today`: the day it acts on (a due run's day when an overdue report escalates; the
    stop date, the announcement and the due dates of its tasks follow it)."""
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
        pending = open_process(account=account, kind=ProcessKind.CLOSURE)
        if pending is not None:
            errors["account"] = str(ERR_CLOSURE_PENDING).format(pk=pending.pk)
    successor = None
    try:
        successor = resolve_successor(successor_account)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    given = list(successor_channels or [])
    if given or successor is not None:
        channels = lifecycle.clean_successor_channels(
            channels=given, successor=successor, account=account
        )
        check_successor_not_closing(successor)
    elif account.contact_phone:
        channels = [{"kind": ChannelKind.PHONE.value, "value": account.contact_phone}]
    else:
        channels = []
    plan = {
        "kind": "close",
        "reason": reason,
        "stop_on": (today or workdays.today()).isoformat(),
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
        data: dict[str, Any] = {"closure": plan}
        if today is not None:
            data[AS_OF] = today.isoformat()  # the steps run at start act on `today`
        process = ClosureFlow.start_forced.run(
            account=locked, unit=locked.unit, actor=actor, data=data
        )
        if today is not None:
            forget_business_date(process.pk)
            process.refresh_from_db()
        return process

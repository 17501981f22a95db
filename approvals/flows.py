"""Account flows. Every flow shares one sign-off chain loop (DESIGN §6):

    start → fan_out (one task per unit of a 会签 step, one for a 或签 step) → sign_off
          → gather (Join; a reject/return cancels the siblings) → tally → route
    route: next step → fan_out · returned to applicant → revise → tally
           rejected/withdrawn → reject → rejected · last step approved → approve → …

Non-human nodes call lifecycle services; human nodes are RoutedView tasks decided through
approvals.services.task_decide (web, API and seed all go through it).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from approvals import actions
from approvals.actions import (
    FORCED_CLOSURE_ROLES,
    check_successor_not_closing,
    open_process,
    resolve_successor,
)
from approvals.chains import last_step_unit
from approvals.errors import ERR_CLOSURE_PENDING, ERR_FORCED_NOT_CLOSING, ERR_NOT_SUPERVISOR
from approvals.forms import DeregistrationForm, RegistrationForm, RevisionForm
from approvals.forms_closure import ChangeApplyForm, ClosureApplyForm, SuccessorsForm
from approvals.models import AccountProcess, Decision, DecisionKind, ProcessKind
from approvals.nodes import ChainSplit, RoutedView, task_redirect
from lifecycle import services as lifecycle
from lifecycle import workdays
from lifecycle.models import Account, AccountState, ChannelKind, Role
from lifecycle.selectors import user_units


def _actor(process: AccountProcess) -> Any:
    decision = Decision.objects.filter(process=process).order_by("-pk").first()
    return decision.actor if decision else process.applicant


def _audit(activation) -> dict[str, int]:
    return {"process_id": activation.process.pk, "task_id": activation.task.pk}


def applicant_route(process) -> dict[str, Any]:
    """Tasks for the applying unit's clerks (revision, registration, deregistration)."""
    return {"units": [process.unit.code], "role": Role.APPLICANT, "round": process.data["round"]}


def applicant_step(kind: str, form: Any, title: Any) -> RoutedView:
    """A data step for the applying unit's clerks (revise, register, deregister, …)."""
    return RoutedView(
        task_redirect, kind=kind, role=Role.APPLICANT, form=form, route=applicant_route,
    ).Annotation(title=title)


def revise_node(form: Any) -> RoutedView:
    """A returned application goes back to the applicant, who edits and resubmits it (or
    withdraws): approvals.services.revision_form / task_decide."""
    return applicant_step("revision", form, _("申请人修改")).Next(this.tally)


class ChainFlow:
    """Shared sign-off chain nodes, mixed into each flow (`class X(ChainFlow, flow.Flow)`).

    A plain mixin rather than a Flow subclass: viewflow resolves `this.*` references when a
    Flow subclass is created, so the nodes must first be resolved in each concrete flow.
    Each flow defines `approve` (its tail), `on_rejected` and `on_approved`."""

    process_class = AccountProcess
    lock_impl = lock.select_for_update_lock
    process_kind: str = ""

    start = flow.StartHandle(this.start_process).Annotation(title=_("发起")).Next(this.fan_out)

    fan_out = ChainSplit().Annotation(title=_("分派审核")).Next(this.sign_off)

    sign_off = (
        RoutedView(task_redirect, kind="decision")
        .Annotation(title=_("逐级审核"))
        .Next(this.gather)
    )

    gather = (
        flow.Join(continue_on_condition=this.round_settled)
        .Annotation(title=_("汇总意见"))
        .Next(this.tally)
    )

    tally = flow.Function(this.tally_round).Annotation(title=_("统计结果")).Next(this.route)

    route = (
        flow.Switch()
        .Annotation(title=_("流转"))
        .Case(this.fan_out, this.goes_on)
        .Case(this.revise, this.is_returned)
        .Case(this.reject, this.is_rejected)
        .Default(this.approve)
    )

    revise = revise_node(RevisionForm)

    reject = flow.Function(this.do_reject).Annotation(title=_("不予批准")).Next(this.rejected)
    rejected = flow.End().Annotation(title=_("未批准"))

    end = flow.End().Annotation(title=_("完成"))

    # -- start -------------------------------------------------------------------------

    def start_process(self, activation, *, account, unit, actor, chain, data=None):
        process = activation.process
        process.kind = self.process_kind
        process.account = account
        process.unit = unit
        process.applicant = actor
        process.data = {"chain": chain, "step": 0, "round": 0, **(data or {})}
        activation.task.owner = actor
        return process

    # -- the chain loop ----------------------------------------------------------------

    def round_settled(self, activation, active_tasks) -> bool:
        """A reject or return ends the round at once (siblings of a 会签 are cancelled)."""
        return Decision.objects.filter(
            process_id=activation.process.pk,
            round=activation.process.data["round"],
            decision__in=[DecisionKind.REJECT, DecisionKind.RETURN],
        ).exists()

    def tally_round(self, activation) -> None:
        process = activation.process
        data = process.data
        decisions = list(Decision.objects.filter(process=process, round=data["round"]))
        revision = [d for d in decisions if d.step is None]
        outcome: str
        if revision:
            outcome = "next" if revision[-1].decision == DecisionKind.APPROVE else "withdrawn"
        elif any(d.decision == DecisionKind.REJECT for d in decisions):
            outcome = "rejected"
        elif any(d.decision == DecisionKind.RETURN for d in decisions):
            returned = next(d for d in decisions if d.decision == DecisionKind.RETURN)
            if returned.return_to is None:
                outcome = "revise"
            else:
                data["step"] = max(0, min(returned.return_to, data["step"]))
                outcome = "next"
        else:
            data["step"] += 1
            outcome = "approved" if data["step"] >= len(data["chain"]) else "next"
        data["outcome"] = outcome
        data["round"] += 1
        process.save(update_fields=["data"])

    def goes_on(self, activation) -> bool:
        return activation.process.data.get("outcome") == "next"

    def is_returned(self, activation) -> bool:
        return activation.process.data.get("outcome") == "revise"

    def is_rejected(self, activation) -> bool:
        return activation.process.data.get("outcome") in ("rejected", "withdrawn")

    def do_reject(self, activation) -> None:
        process = activation.process
        last = Decision.objects.filter(process=process).order_by("-pk").first()
        reason = last.comment if last else ""
        if process.data.get("outcome") == "withdrawn":
            self.on_withdrawn(activation, reason)
        else:
            self.on_rejected(activation, reason)

    def on_withdrawn(self, activation, reason: str) -> None:
        self.on_rejected(activation, reason)


class OpeningFlow(ChainFlow, flow.Flow):
    """账号开设

    Application → unit head → chain → 批复 → registration → 备案回执 → active."""

    process_title = _("账号开设")
    process_description = _(
        "申请单位提交开设申请 → 单位负责人审核 → 按审批策略逐级审核 → 印发批复 "
        "→ 申请单位注册账号并填报平台信息 → 主管单位出具备案回执，账号启用。"
    )
    process_kind = ProcessKind.OPENING

    approve = (
        flow.Function(this.on_approved)
        .Annotation(title=_("批准开设并出具批复"))
        .Next(this.register)
    )

    register = applicant_step("registration", RegistrationForm, _("注册账号并备案")).Next(
        this.activate
    )

    activate = flow.Function(this.on_registered).Annotation(title=_("账号上线")).Next(this.end)

    def on_rejected(self, activation, reason: str) -> None:
        process = activation.process
        lifecycle.account_reject(
            account=process.account, actor=_actor(process), reason=reason, **_audit(activation)
        )

    def on_withdrawn(self, activation, reason: str) -> None:
        process = activation.process
        lifecycle.account_withdraw(
            account=process.account, actor=process.applicant, reason=reason, **_audit(activation)
        )

    def on_approved(self, activation) -> None:
        process = activation.process
        account = lifecycle.account_approve_opening(
            account=process.account, actor=_actor(process), reason="", **_audit(activation)
        )
        actions.issue_notice_for(
            kind="opening_approval",
            process=process,
            account=account,
            issuing_unit=last_step_unit(process.chain),
            actor=_actor(process),
        )

    def on_registered(self, activation) -> None:
        process = activation.process
        data = process.data.get("registration", {})
        account = lifecycle.account_register(
            account=process.account,
            actor=_actor(process),
            platform_id=data["platform_id"],
            verified_subject=data["verified_subject"],
            live_on=actions.parse_iso_date(data["live_on"]),
            **_audit(activation),
        )
        actions.issue_notice_for(
            kind="filing_receipt",
            process=process,
            account=account,
            issuing_unit=account.supervisor_unit or account.unit.supervisor or account.unit,
            actor=_actor(process),
            context=data,
        )


# -- closure / merger (DESIGN §6 ClosureFlow) ---------------------------------------------


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
            account=process.account, actor=_actor(process), reason=plan["reason"],
            data={"kind": plan["kind"], "stop_on": plan["stop_on"]}, **_audit(activation),
        )

    def on_announce(self, activation) -> None:
        actions.closure_announce(process=activation.process, actor=_actor(activation.process))

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
                account=process.account, actor=_actor(process), successor=_closure_successor(plan),
                deregistered_on=on, reason=plan["reason"], **_audit(activation),
            )
        else:
            lifecycle.account_deregister(
                account=process.account, actor=_actor(process), deregistered_on=on,
                reason=plan["reason"], **_audit(activation),
            )


def _closure_successor(plan: dict[str, Any]):


    pk = plan.get("successor_account")
    return Account.objects.get(pk=pk) if pk else None


# -- change (DESIGN §6 ChangeFlow) -----------------------------------------------------------


class ChangeFlow(ChainFlow, flow.Flow):
    """账号变更

    Rename / new operator / new verified subject / contact change → chain → the change is
    applied (history keeps before/after) → 变更备案函 from the account's supervisor unit."""

    process_title = _("账号变更")
    process_description = _(
        "申请单位提交更名、运维单位、认证主体或联系人变更 → 逐级审核 → 变更生效（保"
        "留变更前后记录）→ 主管单位出具变更备案函。"
    )
    process_kind = ProcessKind.CHANGE

    revise = revise_node(ChangeApplyForm)

    approve = (
        flow.Function(this.on_approved)
        .Annotation(title=_("批准变更并备案"))
        .Next(this.end)
    )

    def on_rejected(self, activation, reason: str) -> None:
        """Nothing was applied; the account keeps its values."""

    def on_approved(self, activation) -> None:
        actions.change_apply_approved(process=activation.process, actor=_actor(activation.process),
                                       audit=_audit(activation))


# -- forced closure (a failed rectification recheck, or a supervisor's decision) -----------


def start_forced_closure(
    *,
    actor: Any,
    account: Account,
    reason: str,
    successor_channels: Any = (),
    successor_account: Any = None,
) -> AccountProcess:
    """Check and start a forced ClosureFlow (approvals.services.forced_closure_start and
    the rectification flow's failed/overdue nodes): the account is already `closing`;
    successors are validated like an application's, else the contact phone is named."""
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


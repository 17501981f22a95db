"""Account flows. Every flow shares one sign-off chain loop (DESIGN §6):

    start → fan_out (one task per unit of a 会签 step, one for a 或签 step) → sign_off
          → gate (gathers the round — a reject/return cancels the siblings —, tallies it
            and routes, in one engine task: approvals.nodes.ChainGate)
    gate: next step → sign_off (fanned out) · returned to applicant → revise → gate
          rejected/withdrawn → reject → rejected · last step approved → approve → …

The former gather → tally → route nodes stay defined, unreachable, so the engine rows of
decisions taken before the gate (and a gather left open by a process in flight) resolve.

Non-human nodes call approvals.actions; human nodes are RoutedView tasks decided through
approvals.services.task_decide (web, API and seed all go through it)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from approvals.forms import RevisionForm
from approvals.models import AccountProcess, Decision, DecisionKind
from approvals.nodes import (
    LAST_DECIDER,
    ROUTED_UNITS,
    ChainGate,
    ChainJoin,
    ChainSplit,
    RoutedView,
    task_redirect,
)
from lifecycle.models import Role


def last_decider(process: AccountProcess) -> Any:
    """Who acts for a system step: the user of the latest decision (else the applicant) —
    as the decide path that wrote it left it on the process, else read."""
    if LAST_DECIDER in process.__dict__:
        return process.__dict__[LAST_DECIDER]
    decision = Decision.objects.filter(process=process).select_related("actor").order_by("-pk").first()
    return decision.actor if decision else process.applicant


def routed_units(process: AccountProcess) -> dict[str, Any]:
    """The units the decision just made was routed to, as the decide path left them on the
    process (by code); empty when the step did not run through it."""
    return process.__dict__.get(ROUTED_UNITS, {})


def audit_of(activation) -> dict[str, int]:
    """The process and task ids an account transition's audit row records."""
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
    return applicant_step("revision", form, _("申请人修改")).Next(this.gate)


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
        .Next(this.gate)
    )

    gate = (
        ChainGate(tally=this.tally_round, fan_out=this.sign_off,
                  arrivals=(this.sign_off,), legacy=(this.gather,))
        .Annotation(title=_("汇总意见并流转"))
        .Case(this.sign_off, this.goes_on)
        .Case(this.revise, this.is_returned)
        .Case(this.reject, this.is_rejected)
        .Default(this.approve)
    )

    # -- the former gateways (see the module docstring) ---------------------------------
    gather = (
        ChainJoin(continue_on_condition=this.round_settled)
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
        """A reject or return ends the round at once (siblings of a 会签 are cancelled).
        Asked several times per arrival at the join: answered once per activation."""
        if "_round_settled" not in activation.__dict__:
            activation.__dict__["_round_settled"] = self._round_settled(activation)
        return activation.__dict__["_round_settled"]

    def _round_settled(self, activation) -> bool:
        return Decision.objects.filter(
            process_id=activation.process.pk,
            round=activation.process.data["round"],
            decision__in=[DecisionKind.REJECT, DecisionKind.RETURN, DecisionKind.ADD_SIGNER],
        ).exists()

    def tally_round(self, activation, decisions: list[Decision] | None = None) -> None:
        """The round's outcome (process.data "outcome"), its step and round moved on;
        `decisions` are the round's when the caller read them already (the gate)."""
        process = activation.process
        data = process.data
        if decisions is None:
            decisions = list(Decision.objects.filter(process=process, round=data["round"]))
        revision = [d for d in decisions if d.step is None]
        outcome: str
        if revision:
            outcome = "withdrawn" if revision[-1].decision == DecisionKind.REJECT else "next"
        elif any(d.decision == DecisionKind.REJECT for d in decisions):
            outcome = "rejected"
        elif any(d.decision == DecisionKind.RETURN for d in decisions):
            returned = next(d for d in decisions if d.decision == DecisionKind.RETURN)
            if returned.return_to is None:
                outcome = "revise"
            else:
                data["step"] = max(0, min(returned.return_to, data["step"]))
                outcome = "next"
        elif any(d.decision == DecisionKind.ADD_SIGNER for d in decisions):
            outcome = "next"  # the added signer's step now stands at data["step"]
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

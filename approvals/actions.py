"""What flow nodes do (DESIGN §6): issue the notice a decision produces, announce a closure,
apply an approved change, record an inspection, order / pass / fail a rectification.

Below the flows (approvals.flows* call these) and below the entry services; never imports
either. Each action calls the lifecycle, notices and review services that own the rows."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from approvals import filings
from approvals.errors import (
    ERR_ACCOUNT_ALREADY_CLOSING,
    ERR_ACCOUNT_ENDED,
    ERR_ACCOUNT_NOT_ACTIVE,
    ERR_CLOSURE_PENDING,
    ERR_INSPECTION_RECORDED,
    ERR_RULE_SET_MISMATCH,
    ERR_SUCCESSOR_CLOSING,
    ERR_SUCCESSOR_UNKNOWN,
    FEEDBACK_EVIDENCE,
    OVERDUE_COMMENT,
)
from approvals.models import AccountProcess, Decision, DecisionKind, FilingKind, ProcessKind
from approvals.nodes import business_date
from lifecycle import services as lifecycle
from lifecycle.models import ENDED_STATES, Account, AccountState, ChannelKind, Role, Unit
from lifecycle.refs import account_ref
from lifecycle.selectors import user_units
from lifecycle.selectors_public import PUBLIC_STATES
from lifecycle.types import User
from lifecycle.workdays import add_working_days
from notices import services as notices_services
from notices.rendering import cn_date
from review import evaluation as review
from review import scoring
from review.models import (
    Finding,
    Indicator,
    IndicatorPart,
    Inspection,
)

logger = logging.getLogger("govmedia.review")


def parse_iso_date(value: Any) -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


def successors_needed(plan: dict[str, Any]) -> bool:
    """A closure plan that names no successor account and no concrete channel: the public
    would be told nothing (the 2019 failure). A forced closure then asks the unit first."""
    concrete = {ChannelKind.ACCOUNT, ChannelKind.WEBSITE, ChannelKind.APP, ChannelKind.PHONE}
    return not plan.get("successor_account") and not any(
        c.get("kind") in concrete for c in plan.get("channels") or [])


def revision_changes(cleaned: dict[str, Any]) -> dict[str, str]:
    return {k: cleaned.get(k, "") for k in ("name", "purpose", "operator", "contact_name",
                                            "contact_phone") if k in cleaned}


# -- notices ----------------------------------------------------------------------------


DECISION_LABELS = dict(DecisionKind.choices)


def issue_notice_for(
    *,
    kind: str,
    process: AccountProcess,
    account: Account,
    issuing_unit: Unit,
    actor: User | None,
    context: dict[str, Any] | None = None,
):
    """Issue the notice a decision produces; rendering runs after commit (notices app)."""


    facts = {
        "account_name": account.name,
        "platform_label": str(account.get_platform_display()),
        "unit_name": account.unit.name,
        "purpose": account.purpose,
        "chain": [
            {
                "unit": unit or "",
                "decision": str(DECISION_LABELS.get(decision, decision)),
                "comment": comment,
                # User.get_full_name(), else the username
                "actor": f"{first} {last}".strip() or username,
                "at": timezone.localdate(at).isoformat(),  # Beijing date, not UTC
            }
            # The sign-offs of the current round of the chain, as columns: no model rows.
            for unit, decision, comment, first, last, username, at in process.decisions.filter(
                step__isnull=False, round__gt=process.restart_round,
            ).order_by("pk").values_list("unit__name", "decision", "comment", "actor__first_name",
                                         "actor__last_name", "actor__username", "at")
        ],
    }
    facts.update(context or {})
    return notices_services.issue(
        kind=kind, account=account, issuing_unit=issuing_unit, actor=actor,
        process_id=process.pk, context=facts,
    )


# -- closure, merger, change (DESIGN §6; docs/closure.md) ----------------------------------

CLOSURE_KINDS = ("close", "merge")
# Roles that may start a forced closure for accounts in their unit's subtree or supervised by it.
FORCED_CLOSURE_ROLES = (Role.SUPERVISOR_REVIEWER, Role.APPROVER, Role.INSPECTOR)


def open_process(*, account: Account, kind: str) -> AccountProcess | None:
    return (
        AccountProcess.objects.filter(account=account, kind=kind, finished__isnull=True)
        .order_by("pk")
        .first()
    )


def is_member(*, actor: User, unit: Unit, roles: tuple[str, ...]) -> bool:
    if getattr(actor, "is_superuser", False):
        return True
    return unit.pk in {u.pk for u in user_units(actor, roles=roles)}


def closure_account_error(account: Account, revising: AccountProcess | None = None) -> str | None:
    state = account.get_state_display()
    if account.state == AccountState.ACTIVE:
        pending = open_process(account=account, kind=ProcessKind.CLOSURE)
        if pending is not None and (revising is None or pending.pk != revising.pk):
            return str(ERR_CLOSURE_PENDING).format(pk=pending.pk)
        return None
    if account.state == AccountState.CLOSING:
        return str(ERR_ACCOUNT_ALREADY_CLOSING).format(state=state)
    if account.state in ENDED_STATES:
        return str(ERR_ACCOUNT_ENDED).format(state=state)
    return str(ERR_ACCOUNT_NOT_ACTIVE).format(state=state)


def resolve_successor(value: Any) -> Account | None:
    """The successor named by id. Any account the public may look up can be named (a unit's
    account is often merged into a higher-level one outside the applicant's own subtree);
    accounts still in the application stages answer like unknown ids (no leak)."""
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


def check_successor_not_closing(successor: Account | None) -> None:
    if successor is None:
        return
    pending = open_process(account=successor, kind=ProcessKind.CLOSURE)
    if pending is not None:
        raise ValidationError({"successor_account": ERR_SUCCESSOR_CLOSING})


def successor_ref(successor: Account | None) -> dict[str, Any] | None:
    return account_ref(successor, with_label=True)


def closure_notice_context(*, plan: dict[str, Any], successor: Account | None) -> dict[str, Any]:
    """The announcement's facts (notices/templates/notices/{closure,merger}_announcement)."""

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


def closure_announce(*, process: AccountProcess, actor: User) -> Any:
    """Issue the owning unit's announcement, record it with the successor plan on the account
    and start the notice period (working days). Called by ClosureFlow.announce."""
    plan = process.data["closure"]
    named = process.data.get("successors")  # a forced closure's successors step, if it ran
    if named:
        plan["successor_account"] = named["successor_account"]
        plan["channels"] = named["channels"]
    successor = Account.objects.get(pk=plan["successor_account"]) if plan.get(
        "successor_account") else None
    account = process.account
    kind = "merger_announcement" if plan["kind"] == "merge" else "closure_announcement"
    notice = issue_notice_for(
        kind=kind, process=process, account=account, issuing_unit=account.unit, actor=actor,
        context=closure_notice_context(plan=plan, successor=successor),
    )
    today = business_date(process)
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
    lifecycle.account_announce_closure(
        account=account, actor=actor, successor=successor, channels=plan["channels"],
        kind=plan["kind"], number=notice.number,
        notice_id=notice.pk, reason=plan["reason"], stop_on=plan["stop_on"],
        announced_on=today.isoformat(), process_id=process.pk,
    )
    return notice


CHANGE_REQUIRED_FIELDS = ("name", "purpose", "contact_name", "contact_phone")


def open_filings(*, process: AccountProcess, kind: str, event_on: datetime.date | None = None) -> None:
    """Start the filing deadlines of an event of the process's account (issue 14 item 5)."""
    filings.filings_open(account=process.account, kind=kind, process=process,
                         event_on=event_on or business_date(process))


def change_apply_approved(*, process: AccountProcess, actor: User, audit: dict[str, int]) -> Any:
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
    open_filings(process=process, kind=FilingKind.CHANGE)
    return issue_notice_for(
        kind="change_filing", process=process, account=account,
        issuing_unit=account.supervisor_unit or account.unit.supervisor or account.unit,
        actor=actor, context={"before": before, "after": after, "reason": data["reason"]},
    )


# -- delegation, transfer, bulk ---------------------------------------------------------

# Roles that may order a rectification for accounts in (or supervised by) their unit.
RECTIFY_ROLES = (Role.SUPERVISOR_REVIEWER, Role.INSPECTOR)
def auto_evidence(code: str, account: Account, days: int | None) -> str:
    if code == scoring.NO_UPDATE:
        if days is None:
            return str(_("监测数据中没有发文记录。"))
        return str(_("最近发文 {day}，距监测时间点 {n} 天。")).format(
            day=cn_date(account.last_post_on), n=days)
    if code == scoring.NO_INTERACTION:
        return str(_("监测数据显示未开通互动功能。"))
    return ""


def campaign_feedback(
    *, period: str, as_of: datetime.date, account_ids: list[int],
    indicators: dict[str, Indicator], code: str,
) -> tuple[dict[int, tuple[int, int]], tuple[datetime.date, datetime.date] | None, Indicator | None]:
    """Public feedback of the sampled accounts in the campaign period up to its as-of date
    (unhandled 纠错, 差评), and the deduction indicator it is shown under (docs/review.md)."""
    indicator = indicators.get(code)
    bounds = review.period_bounds(period)
    if indicator is None or indicator.part != IndicatorPart.DEDUCTION or bounds is None:
        logger.info("event=campaign_feedback_skipped indicator=%s period=%s", code, period)
        return {}, None, None
    window = (bounds[0], min(bounds[1], as_of))
    counts = review.feedback_evidence(account_ids=account_ids, start=window[0], end=window[1])
    return counts, window, indicator


def feedback_evidence(errors: int, complaints: int, *, window) -> str:
    return str(FEEDBACK_EVIDENCE).format(
        start=window[0].isoformat(), end=window[1].isoformat(), errors=errors,
        complaints=complaints,
    )


def inspection_record(*, process: AccountProcess) -> Inspection:
    """InspectionFlow.record: store the inspector's findings and the verdict (scoring with
    the campaign's rule set; automatic vetoes as pre-filled)."""
    data = process.data["inspection"]
    inspection = Inspection.objects.select_related("campaign__rule_set").get(
        pk=process.data["inspection_id"])
    # InspectionFlow processes are started only for a campaign's inspections
    # (approvals.services.inspections.campaign_start_inspections), so campaign is set.
    assert inspection.campaign is not None
    rule_set = inspection.campaign.rule_set
    indicators = {i.code: i for i in Indicator.objects.filter(rule_set=rule_set)}
    errors = [str(ERR_RULE_SET_MISMATCH).format(code=c) for c in
              list(data["vetoes"]) + [d["code"] for d in data["deductions"]] if c not in indicators]
    if errors:
        raise ValidationError(errors)
    decision = Decision.objects.filter(process=process).order_by("-pk").first()
    actor = decision.actor if decision else None
    # Inspection records and findings are append-only (issue 12 item 3): the step records
    # once (verdict and manual findings), never replaces what was recorded.
    if inspection.verdict or Finding.objects.filter(inspection=inspection, automatic=False).exists():
        raise ValidationError(str(ERR_INSPECTION_RECORDED))
    evidence = {"evidence_text": data["evidence_text"], "evidence_url": data["evidence_url"]}
    screenshot = data.get("screenshot") or ""
    rows = [Finding(inspection=inspection, indicator=indicators[c], points=0, **evidence)
            for c in data["vetoes"]]
    rows += [Finding(inspection=inspection, indicator=indicators[d["code"]],
                     points=d["points"], **evidence) for d in data["deductions"]]
    for row in rows:
        row.evidence_file.name = screenshot
    Finding.objects.bulk_create(rows)
    auto = [c for c in inspection.vetoes if indicators.get(c) and indicators[c].automatic]
    rules = review.rules_from_rule_set(rule_set)
    order = {c: i for i, c in enumerate(rules.veto_codes)}
    vetoes = sorted(set(auto) | set(data["vetoes"]), key=lambda c: (order.get(c, 99), c))
    capped = [] if vetoes else scoring.capped_deductions(
        [(d["code"], d["points"]) for d in data["deductions"]], rules.max_points)
    score, verdict = scoring.score_of(vetoes=vetoes, deductions=capped, pass_mark=rules.pass_mark)
    inspection.vetoes = vetoes
    inspection.score = score
    inspection.verdict = verdict
    inspection.inspector = actor
    inspection.save(update_fields=["vetoes", "score", "verdict", "inspector", "updated"])
    return inspection


def rectification_order(*, process: AccountProcess, audit: dict[str, int]) -> Any:
    """RectificationFlow.order: active → rectifying and the 整改通知 with its deadline."""
    plan = process.data["rectification"]
    actor = process.applicant
    deadline = add_working_days(business_date(process), int(settings.RECTIFICATION_WORKING_DAYS))
    account = lifecycle.account_order_rectification(
        account=process.account, actor=actor, reason=plan["reason"], **audit)
    notice = issue_notice_for(
        kind="rectification_order", process=process, account=account,
        issuing_unit=Unit.objects.get(code=plan["issuing_unit"]), actor=actor,
        context={"deadline": deadline.isoformat(), "findings": plan["findings"],
                 "reason": plan["reason"],
                 # the report goes to the unit that rechecks it
                 "recheck_unit_name": Unit.objects.get(code=plan["recheck_unit"]).name},
    )
    plan["deadline"] = deadline.isoformat()
    plan["notice"] = {"id": notice.pk, "number": notice.number}
    process.save(update_fields=["data"])
    return notice


def rectification_pass(*, process: AccountProcess, audit: dict[str, int]) -> Account:
    decision = Decision.objects.filter(process=process).order_by("-pk").first()
    # RectificationFlow.passed follows the recheck step, whose decision (task_decide) holds
    # the "pass" result that routed here: there is always a decision row.
    assert decision is not None
    return lifecycle.account_pass_recheck(
        account=process.account, actor=decision.actor,
        reason=process.data["recheck"]["opinion"], **audit)


def rectification_fail(*, process: AccountProcess, audit: dict[str, int], start_closure: Any,
                       overdue: bool = False) -> AccountProcess:
    """rectifying → closing, then the forced ClosureFlow (announcement, notice period,
    deregistration) is started for the account by `start_closure` (the flows'
    start_forced_closure, handed in by the node: actions sit below the flows)."""
    decision = Decision.objects.filter(process=process).order_by("-pk").first()
    actor = decision.actor if decision else process.applicant
    if overdue:
        reason = str(OVERDUE_COMMENT).format(
            deadline=cn_date(process.data["rectification"]["deadline"]))
    else:
        reason = process.data["recheck"]["opinion"]
    account = lifecycle.account_fail_recheck(
        account=process.account, actor=actor, reason=reason, **audit)
    closure = start_closure(
        today=business_date(process),
        actor=actor, account=account,
        reason=str(_("整改复核不通过，强制关停：{reason}")).format(reason=reason))
    process.data["rectification"]["closure_process"] = closure.pk
    process.data["rectification"]["outcome"] = "overdue" if overdue else "fail"
    process.save(update_fields=["data"])
    return closure


# -- due work (approvals/management/commands/run_due.py) ------------------------------------



"""Periodic-review processes (DESIGN §6, docs/review.md): inspection campaigns and their
inspection tasks, and rectification orders started from findings."""

from __future__ import annotations

import datetime
import logging
import re
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals.actions import RECTIFY_ROLES, auto_evidence, campaign_feedback, feedback_evidence
from approvals.errors import (
    ERR_CAMPAIGN_CLOSED,
    ERR_CAMPAIGN_OPEN_TASKS,
    ERR_KIND,
    ERR_NOT_INSPECTOR,
    ERR_PERIOD,
    ERR_RATIO,
    ERR_RECTIFY_CLOSING,
    ERR_RECTIFY_FORBIDDEN,
    ERR_RECTIFY_PENDING,
    ERR_RECTIFY_REASON,
    ERR_RECTIFY_STATE,
    ERR_SCOPE_EMPTY,
    ERR_SCOPE_FORBIDDEN,
    ERR_SEED,
)
from approvals.flows import InspectionFlow, RectificationFlow
from approvals.models import AccountProcess, Decision, DecisionKind, ProcessKind, TaskAssignment
from approvals.services.tasks import store_task_file, task_decide
from approvals.tasks import campaign_start as campaign_start_job
from lifecycle import services as lifecycle
from lifecycle.models import Account, AccountState, Membership, Role, Unit
from lifecycle.selectors import user_units
from lifecycle.types import User
from notices import services as notices_services
from review import evaluation as review
from review import rules as review_rules
from review import scoring
from review import services as review_services
from review.models import (
    Campaign,
    CampaignKind,
    CampaignState,
    Finding,
    Indicator,
    IndicatorPart,
    Inspection,
    Verdict,
)

logger = logging.getLogger("govmedia.review")

def _inspecting_unit(*, actor: User, scope: Unit) -> Unit | None:
    """The nearest unit at or above `scope` where the actor is an inspector."""
    if getattr(actor, "is_superuser", False):
        return scope
    units = [u for u in user_units(actor, roles=(Role.INSPECTOR,)) if scope.is_within(u)]
    return max(units, key=lambda u: len(u.path), default=None)


def _check_ratio(value: Any) -> Decimal | None:
    try:
        ratio = Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    if not ratio.is_finite() or not (Decimal(0) < ratio <= Decimal(1)):
        return None
    return ratio


def sample_accounts(*, scope: Unit, ratio: Any, seed: int) -> list[int]:
    """The campaign sample: the same stratified, seeded draw as `review --sample` (strata =
    unit codes of active/rectifying accounts under `scope`), so both agree."""
    strata: dict[str, list[int]] = defaultdict(list)
    for pk, code in review.review_scope(unit=scope).values_list("pk", "unit__code"):
        strata[code].append(pk)
    picks = scoring.stratified_sample(strata, ratio=float(ratio), seed=int(seed))
    return sorted(pk for sample in picks.values() for pk in sample)


def campaign_create(
    *,
    actor: User,
    period: str,
    kind: str,
    ratio: Any,
    seed: Any,
    scope_unit: Unit | None,
    as_of: datetime.date | None = None,
) -> Campaign:
    """Create a campaign, draw its sample and pre-fill automatic findings (red lines, and the
    period's public feedback as evidence); after commit a
    job starts one InspectionFlow per sampled account (tasks for the inspecting unit's
    inspectors) — in-process by default, on a Celery worker in production."""
    errors: dict[str, Any] = {}
    period = (period or "").strip().upper()
    if not scoring_period_ok(period):
        errors["period"] = ERR_PERIOD
    if kind not in CampaignKind.values:
        errors["kind"] = ERR_KIND
    checked_ratio = _check_ratio(ratio)
    if checked_ratio is None:
        errors["ratio"] = ERR_RATIO
    try:
        seed = int(seed)
        if seed < 0:
            raise ValueError
    except (TypeError, ValueError):
        errors["seed"] = ERR_SEED
    inspecting = None
    if scope_unit is None:
        errors["scope_unit"] = lifecycle.ERR_REQUIRED
    else:
        inspecting = _inspecting_unit(actor=actor, scope=scope_unit)
        if inspecting is None:
            errors["scope_unit"] = ERR_SCOPE_FORBIDDEN
        elif not review.review_scope(unit=scope_unit).exists():
            errors["scope_unit"] = str(ERR_SCOPE_EMPTY).format(unit=scope_unit.name)
    try:
        rule_set = review.active_rule_set()
    except review.ReviewError as exc:
        errors["rule_set"] = str(exc)
        rule_set = None
    if rule_set is not None and scope_unit is not None and checked_ratio is not None:
        minimum = review_rules.min_sampling_ratio(rule_set, level=scope_unit.level, period=period)
        if minimum is not None and checked_ratio < minimum:
            errors["ratio"] = str(review_rules.ERR_MIN_SAMPLING).format(
                level=scope_unit.get_level_display(),
                period=review_rules.PERIOD_LABELS[review_rules.period_kind(period)],
                minimum=f"{(minimum * 100).normalize():f}%", rule_set=rule_set,
            )
    if errors:
        raise ValidationError(errors)
    # Each of these is None only together with its error above, and errors were raised.
    assert checked_ratio is not None and scope_unit is not None and rule_set is not None
    as_of = as_of or timezone.localdate()
    rules = review.rules_from_rule_set(rule_set)
    indicators = {i.code: i for i in Indicator.objects.filter(rule_set=rule_set)}
    with transaction.atomic():
        campaign = Campaign(
            period=period, kind=kind, scope_unit=scope_unit, ratio=checked_ratio, seed=seed,
            rule_set=rule_set, created_by=actor if getattr(actor, "pk", None) else None,
            inspecting_unit=inspecting, as_of=as_of,
        )
        campaign.full_clean()
        campaign.save()
        picked = sample_accounts(scope=scope_unit, ratio=checked_ratio, seed=seed)
        accounts = Account.objects.filter(pk__in=picked).select_related("unit").order_by("pk")
        feedback, window, feedback_indicator = campaign_feedback(
            period=period, as_of=as_of, account_ids=picked, indicators=indicators,
            code=review.feedback_indicator_code(rule_set),
        )
        for account in accounts:
            days = scoring.days_since(as_of, account.last_post_on)
            # Fair window: judged from go-live when the account is younger than the rule.
            judged = scoring.judged_days(as_of, account.last_post_on, account.opened_on)
            auto = scoring.automatic_vetoes(
                days_since_last_post=judged, interaction_enabled=account.interaction_enabled,
                rules=rules,
            )
            inspection = Inspection.objects.create(
                campaign=campaign, account=account, as_of=as_of, vetoes=auto,
                zombie=scoring.is_zombie(judged, limit=rules.zombie_days),
                days_since_last_post=days,
            )
            Finding.objects.bulk_create(
                Finding(inspection=inspection, indicator=indicators[code], automatic=True,
                        evidence_text=auto_evidence(code, account, days))
                for code in auto if code in indicators
            )
            # campaign_feedback finds feedback only when it has the indicator to show it under.
            if feedback_indicator is not None and account.pk in feedback:
                # Public feedback as evidence on the sheet: 0 points, the inspector decides.
                Finding.objects.create(
                    inspection=inspection, indicator=feedback_indicator, automatic=True,
                    evidence_text=feedback_evidence(*feedback[account.pk], window=window),
                )
        # Starting one inspection process per sampled account is a job after commit: a
        # province-wide sample (thousands of accounts) must not run inside the request.
        actor_id = getattr(actor, "pk", None)
        transaction.on_commit(
            lambda: campaign_start_job.delay(campaign.pk, actor_id)
        )
    logger.info("event=campaign_created campaign=%s sampled=%s", campaign.pk, len(picked))
    return campaign


def campaign_start_inspections(*, campaign: Campaign, actor: User | None) -> int:
    """Start the InspectionFlow of every inspection of the campaign that has none yet; each
    in its own transaction, so a crashed job resumes where it stopped. Idempotent: returns
    how many it started."""
    started = {
        p.data.get("inspection_id")
        for p in AccountProcess.objects.filter(kind=ProcessKind.INSPECTION, data__campaign=campaign.pk)
    }
    inspecting = campaign.inspecting_unit
    count = 0
    for inspection in campaign.inspections.select_related("account__unit").order_by("pk"):
        if inspection.pk in started:
            continue
        # campaign_create sets inspecting_unit on every campaign it queues this job for.
        assert inspecting is not None
        with transaction.atomic():
            InspectionFlow.start.run(
                account=inspection.account, unit=inspection.account.unit, actor=actor,
                data={"campaign": campaign.pk, "inspection_id": inspection.pk,
                      "inspecting_unit": inspecting.code},
            )
        count += 1
    logger.info("event=campaign_started campaign=%s processes=%s", campaign.pk, count)
    return count


def campaign_started_count(campaign: Campaign) -> int:
    return AccountProcess.objects.filter(kind=ProcessKind.INSPECTION, data__campaign=campaign.pk).count()


def scoring_period_ok(period: str) -> bool:
    return bool(re.fullmatch(r"\d{4}(Q[1-4]|H[12]|M(0[1-9]|1[0-2]))?", period or ""))


def inspection_decide(*, task: Task, actor: User, data: dict[str, Any], upload: Any = None) -> Task:
    """Decide an inspection task with an optional uploaded screenshot (inspection sheet).
    The file is stored only once the decision is valid; a failed decision removes it."""
    name = store_task_file(task=task, upload=upload) if upload else ""
    try:
        with transaction.atomic():
            task_decide(task=task, actor=actor, decision=DecisionKind.APPROVE,
                                 data=data, comment="")
            if name:
                process = AccountProcess.objects.get(pk=task.process_id)
                Finding.objects.filter(
                    inspection_id=process.data["inspection_id"], automatic=False
                ).update(evidence_file=name)
                process.data["inspection"]["screenshot"] = name
                process.save(update_fields=["data"])
                decision = Decision.objects.get(task=task)
                decision.data["screenshot"] = name  # the task page links it (evidence view)
                decision.save(update_fields=["data"])
    except Exception:
        if name:
            default_storage.delete(name)
        raise
    return task


def campaign_open_tasks(campaign: Campaign):
    return Task.objects.filter(
        flow_task=InspectionFlow.inspect, status__in=(STATUS.NEW, STATUS.ASSIGNED),
        process__in=AccountProcess.objects.filter(data__campaign=campaign.pk),
    )


def failed_reasons(inspection: Inspection) -> list[str]:
    names = {f.indicator.code: f.indicator.name for f in inspection.findings.all()}
    if inspection.vetoes:
        return [names.get(c, c) for c in inspection.vetoes]
    return [str(_("得分低于合格线"))]


def campaign_close(*, actor: User, campaign: Campaign) -> Campaign:
    """Close a campaign whose inspections are all recorded: store the pass rates (overall
    and per unit) and issue the inspecting unit's 通报 listing the failed accounts."""
    with transaction.atomic():
        # of=("self",): PostgreSQL cannot lock the nullable side of the outer joins.
        campaign = Campaign.objects.select_for_update(of=("self",)).select_related(
            "scope_unit", "inspecting_unit").get(pk=campaign.pk)
        if campaign.state != CampaignState.OPEN:
            raise ValidationError({"campaign": ERR_CAMPAIGN_CLOSED})
        if not review_services.campaign_may_close(campaign=campaign, actor=actor):
            raise ValidationError({"campaign": ERR_NOT_INSPECTOR})
        # Inspections whose process the start job has not created yet count as open too.
        open_count = campaign_open_tasks(campaign).count() + (
            campaign.inspections.count() - campaign_started_count(campaign)
        )
        if open_count:
            raise ValidationError({"campaign": str(ERR_CAMPAIGN_OPEN_TASKS).format(n=open_count)})
        inspections = list(
            campaign.inspections.select_related("account__unit")
            .prefetch_related("findings__indicator").order_by("account__unit__path",
                                                              "account__name", "pk")
        )
        by_unit: dict[str, dict[str, Any]] = {}
        failed = []
        for insp in inspections:
            row = by_unit.setdefault(insp.account.unit.code, {
                "unit": insp.account.unit.code, "name": insp.account.unit.name,
                "total": 0, "passed": 0})
            row["total"] += 1
            if insp.verdict == Verdict.PASS:
                row["passed"] += 1
            else:
                failed.append(insp)
        total = len(inspections)
        passed = total - len(failed)
        for row in by_unit.values():
            row["pass_rate"] = round(row["passed"] / row["total"], 4)
        results: dict[str, Any] = {
            "total": total, "passed": passed, "failed": len(failed),
            "pass_rate": round(passed / total, 4) if total else None,
            "by_unit": list(by_unit.values()),
            "failed_accounts": [i.account_id for i in failed],
        }
        label = f"{campaign.period}{campaign.get_kind_display()}"
        notice = notices_services.issue(
            kind="inspection_report", account=None,
            issuing_unit=campaign.inspecting_unit or campaign.scope_unit, actor=actor,
            context={
                "campaign": label,
                "pass_rate": results["pass_rate"],
                "failed": [
                    {"unit": i.account.unit.name, "name": i.account.name,
                     "platform_label": str(i.account.get_platform_display()),
                     "reasons": failed_reasons(i), "score": i.score}
                    for i in failed
                ],
            },
        )
        results["notice"] = {"id": notice.pk, "number": notice.number}
        campaign = review_services.campaign_mark_closed(
            campaign=campaign, actor=actor, results=results)
    logger.info("event=campaign_closed campaign=%s total=%s failed=%s notice=%s",
                campaign.pk, total, len(failed), notice.number)
    return campaign


# -- rectification ------------------------------------------------------------------------


def rectify_unit(*, actor: User, account: Account) -> Unit | None:
    """The actor's unit that orders the rectification: a supervisor reviewer or inspector
    of a unit above the account's unit, or of its supervisor unit (nearest first)."""
    if getattr(actor, "is_superuser", False):
        return account.supervisor_unit or account.unit.supervisor or account.unit
    supervisors = {u.pk for u in (account.supervisor_unit, account.unit.supervisor) if u}
    units = [u for u in user_units(actor, roles=RECTIFY_ROLES)
             if account.unit.is_within(u) or u.pk in supervisors]
    return max(units, key=lambda u: len(u.path), default=None)


def findings_from_inspection(inspection: Inspection) -> list[dict[str, Any]]:
    """The rectification order's findings (notices/rectification_order: label, text, points).
    Automatic deduction findings are left out: they are the public-feedback evidence of
    campaign_create (0 points), which the order must not state as a problem found."""
    return [
        {"code": f.indicator.code, "label": f.indicator.name,
         "text": f.evidence_text or f.evidence_url, "points": f.points}
        for f in inspection.findings.select_related("indicator").order_by(
            "indicator__part", "indicator__position", "pk")
        if not (f.automatic and f.indicator.part == IndicatorPart.DEDUCTION)
    ]


def rectification_start(
    *,
    actor: User,
    account: Account,
    reason: str,
    findings: list[dict[str, Any]] | None = None,
    campaign: Campaign | None = None,
    issuing_unit: Unit | None = None,
) -> AccountProcess:
    """Start a RectificationFlow for an active account (failed inspection, zombie list)."""
    account = Account.objects.select_related("unit__supervisor", "supervisor_unit").get(
        pk=account.pk)
    errors: dict[str, Any] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = ERR_RECTIFY_REASON
    unit = issuing_unit or (campaign.inspecting_unit if campaign else None)
    own = rectify_unit(actor=actor, account=account)
    if own is None:
        errors["account"] = ERR_RECTIFY_FORBIDDEN
    elif account.state != AccountState.ACTIVE:
        errors["account"] = str(ERR_RECTIFY_STATE).format(state=account.get_state_display())
    else:
        pending = _pending_rectification(account)
        closing = _pending_closure(account)
        if pending is not None:
            errors["account"] = str(ERR_RECTIFY_PENDING).format(pk=pending.pk)
        elif closing is not None:
            errors["account"] = str(ERR_RECTIFY_CLOSING).format(pk=closing.pk)
    if errors:
        raise ValidationError(errors)
    assert own is not None  # ERR_RECTIFY_FORBIDDEN was raised above otherwise
    unit = unit or own
    recheck = _staffed_unit(account.supervisor_unit or account.unit.supervisor or account.unit,
                            role=Role.SUPERVISOR_REVIEWER)
    plan = {
        "reason": reason,
        "issuing_unit": unit.code,
        "recheck_unit": recheck.code,
        "campaign": campaign.pk if campaign else None,
        "findings": findings or [],
        "overdue": False,
    }
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        pending = _pending_rectification(locked)
        if pending is not None:
            raise ValidationError({"account": str(ERR_RECTIFY_PENDING).format(pk=pending.pk)})
        closing = _pending_closure(locked)
        if closing is not None:
            raise ValidationError({"account": str(ERR_RECTIFY_CLOSING).format(pk=closing.pk)})
        process = RectificationFlow.start.run(
            account=locked, unit=locked.unit, actor=actor, data={"rectification": plan})
        deadline = process.data["rectification"]["deadline"]
        TaskAssignment.objects.filter(
            task__process=process, task__flow_task=RectificationFlow.report
        ).update(due_on=deadline)
    return process


def _pending_closure(account: Account) -> AccountProcess | None:
    return AccountProcess.objects.filter(
        account=account, kind=ProcessKind.CLOSURE, finished__isnull=True).first()


def _staffed_unit(unit: Unit, *, role: str) -> Unit:
    """`unit`, or the nearest unit above it with an active member holding `role`, so a task
    routed there always has someone to take it (a street office often has no reviewer of
    its communities' accounts; the district's then rechecks). `unit` itself when none has."""
    node: Unit | None = unit
    while node is not None:
        if Membership.objects.filter(unit=node, role=role, user__is_active=True).exists():
            return node
        node = node.parent
    return unit


def _pending_rectification(account: Account) -> AccountProcess | None:
    return AccountProcess.objects.filter(
        account=account, kind=ProcessKind.RECTIFICATION, finished__isnull=True
    ).first()



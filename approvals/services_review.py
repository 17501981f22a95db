"""Writers of the periodic review (DESIGN §6, §8; docs/review.md): inspection campaigns,
inspections, rectification processes and their due work (run_due).

Keyword-only services; every rule is checked before anything is written, and a
ValidationError names the fields. Flows call back into the `inspection_record` and
`rectification_*` functions from their nodes.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals.models import AccountProcess, Decision, DecisionKind, ProcessKind, TaskAssignment
from lifecycle import services as lifecycle
from lifecycle import workdays
from lifecycle.models import Account, AccountState, Role, Unit
from lifecycle.selectors import user_units
from lifecycle.services import TransitionError
from lifecycle.workdays import add_working_days
from notices.rendering import cn_date
from review import evaluation as review
from review import scoring
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

ERR_RATIO = _("抽查比例必须大于 0 且不超过 1。")
ERR_SEED = _("随机种子必须是非负整数。")
ERR_KIND = _("请选择季度抽查、年度考核或专项检查。")
ERR_PERIOD = _("期次格式如 2026Q4、2026H1、2026M06 或 2026。")
ERR_SCOPE_EMPTY = _("检查范围「{unit}」内没有运行中或整改中的账号，无法抽样。")
ERR_SCOPE_FORBIDDEN = _("您不是该范围所在单位或其上级单位的检查员。")
ERR_CAMPAIGN_CLOSED = _("检查活动已结束。")
ERR_CAMPAIGN_OPEN_TASKS = _("还有 {n} 个账号未完成检查，全部检查完毕后才能结束检查活动。")
ERR_NOT_INSPECTOR = _("只有检查单位（或其上级单位）的检查员可以结束检查活动。")
ERR_RULE_SET_MISMATCH = _("指标「{code}」不属于本次检查使用的指标体系。")
ERR_RECTIFY_STATE = _("账号当前状态为「{state}」，只有运行中的账号可以下发整改通知。")
ERR_RECTIFY_PENDING = _("该账号已有整改流程在办理中（流程 #{pk}）。")
ERR_RECTIFY_CLOSING = _("该账号已有关停/整合申请在办理中（流程 #{pk}），不能再责令整改。")
ERR_RECTIFY_FORBIDDEN = _("只有该账号主管单位或上级单位的主管复核人、检查员可以下发整改通知。")
ERR_RECTIFY_REASON = _("请填写整改事由。")
FEEDBACK_EVIDENCE = _(
    "公众反馈（{start}至{end}）：未处理的纠错 {errors} 条，差评 {complaints} 条。"
    "请在「公众反馈」页核实后决定是否扣分（系统不自动扣分）。"
)
OVERDUE_COMMENT = _("逾期未提交整改报告（整改期限 {deadline}），自动判定复核不通过。")

# Roles that may order a rectification for accounts in (or supervised by) their unit.
RECTIFY_ROLES = (Role.SUPERVISOR_REVIEWER, Role.INSPECTOR)
# Rectification reports are reminded this many working days before their deadline.
REMIND_WORKING_DAYS_BEFORE = 2


# -- campaigns ----------------------------------------------------------------------------


def _inspecting_unit(*, actor: Any, scope: Unit) -> Unit | None:
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
    actor: Any,
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
    from approvals.tasks import campaign_start as campaign_start_job

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
    if errors:
        raise ValidationError(errors)
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
        feedback, window, feedback_indicator = _campaign_feedback(
            period=period, as_of=as_of, account_ids=picked, indicators=indicators,
            code=review.feedback_indicator_code(rule_set),
        )
        for account in accounts:
            days = scoring.days_since(as_of, account.last_post_on)
            auto = scoring.automatic_vetoes(
                days_since_last_post=days, interaction_enabled=account.interaction_enabled,
                rules=rules,
            )
            inspection = Inspection.objects.create(
                campaign=campaign, account=account, as_of=as_of, vetoes=auto,
                zombie=scoring.is_zombie(days, limit=rules.zombie_days),
                days_since_last_post=days,
            )
            Finding.objects.bulk_create(
                Finding(inspection=inspection, indicator=indicators[code], automatic=True,
                        evidence_text=_auto_evidence(code, account, days))
                for code in auto if code in indicators
            )
            if account.pk in feedback:
                # Public feedback as evidence on the sheet: 0 points, the inspector decides.
                Finding.objects.create(
                    inspection=inspection, indicator=feedback_indicator, automatic=True,
                    evidence_text=_feedback_evidence(*feedback[account.pk], window=window),
                )
        # Starting one inspection process per sampled account is a job after commit: a
        # province-wide sample (thousands of accounts) must not run inside the request.
        actor_id = getattr(actor, "pk", None)
        transaction.on_commit(
            lambda: campaign_start_job.delay(campaign.pk, actor_id)
        )
    logger.info("event=campaign_created campaign=%s sampled=%s", campaign.pk, len(picked))
    return campaign


def campaign_start_inspections(*, campaign: Campaign, actor: Any) -> int:
    """Start the InspectionFlow of every inspection of the campaign that has none yet; each
    in its own transaction, so a crashed job resumes where it stopped. Idempotent: returns
    how many it started."""
    from approvals.flows_review import InspectionFlow

    started = {
        p.data.get("inspection_id")
        for p in AccountProcess.objects.filter(kind=ProcessKind.INSPECTION, data__campaign=campaign.pk)
    }
    inspecting = campaign.inspecting_unit
    count = 0
    for inspection in campaign.inspections.select_related("account__unit").order_by("pk"):
        if inspection.pk in started:
            continue
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
    import re

    return bool(re.fullmatch(r"\d{4}(Q[1-4]|H[12]|M(0[1-9]|1[0-2]))?", period or ""))


def _auto_evidence(code: str, account: Account, days: int | None) -> str:
    if code == scoring.NO_UPDATE:
        if days is None:
            return str(_("监测数据中没有发文记录。"))
        return str(_("最近发文 {day}，距监测时间点 {n} 天。")).format(
            day=cn_date(account.last_post_on), n=days)
    if code == scoring.NO_INTERACTION:
        return str(_("监测数据显示未开通互动功能。"))
    return ""


def _campaign_feedback(
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


def _feedback_evidence(errors: int, complaints: int, *, window) -> str:
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
    rule_set = inspection.campaign.rule_set
    indicators = {i.code: i for i in Indicator.objects.filter(rule_set=rule_set)}
    errors = [str(ERR_RULE_SET_MISMATCH).format(code=c) for c in
              list(data["vetoes"]) + [d["code"] for d in data["deductions"]] if c not in indicators]
    if errors:
        raise ValidationError(errors)
    decision = Decision.objects.filter(process=process).order_by("-pk").first()
    actor = decision.actor if decision else None
    Finding.objects.filter(inspection=inspection, automatic=False).delete()
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


def inspection_decide(*, task: Task, actor: Any, data: dict[str, Any], upload: Any = None) -> Task:
    """Decide an inspection task with an optional uploaded screenshot (inspection sheet).
    The file is stored only once the decision is valid; a failed decision removes it."""
    from django.core.files.storage import default_storage

    from approvals import services

    name = services.store_task_file(task=task, upload=upload) if upload else ""
    try:
        with transaction.atomic():
            services.task_decide(task=task, actor=actor, decision=DecisionKind.APPROVE,
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
    from approvals.flows_review import InspectionFlow

    return Task.objects.filter(
        flow_task=InspectionFlow.inspect, status__in=(STATUS.NEW, STATUS.ASSIGNED),
        process__in=AccountProcess.objects.filter(data__campaign=campaign.pk),
    )


def _may_close(*, actor: Any, campaign: Campaign) -> bool:
    if getattr(actor, "is_superuser", False):
        return True
    unit = campaign.inspecting_unit or campaign.scope_unit
    return any(unit.is_within(u) for u in user_units(actor, roles=(Role.INSPECTOR,)))


def failed_reasons(inspection: Inspection) -> list[str]:
    names = {f.indicator.code: f.indicator.name for f in inspection.findings.all()}
    if inspection.vetoes:
        return [names.get(c, c) for c in inspection.vetoes]
    return [str(_("得分低于合格线"))]


def campaign_close(*, actor: Any, campaign: Campaign) -> Campaign:
    """Close a campaign whose inspections are all recorded: store the pass rates (overall
    and per unit) and issue the inspecting unit's 通报 listing the failed accounts."""
    from notices.services import notice_issue

    with transaction.atomic():
        # of=("self",): PostgreSQL cannot lock the nullable side of the outer joins.
        campaign = Campaign.objects.select_for_update(of=("self",)).select_related(
            "scope_unit", "inspecting_unit").get(pk=campaign.pk)
        if campaign.state != CampaignState.OPEN:
            raise ValidationError({"campaign": ERR_CAMPAIGN_CLOSED})
        if not _may_close(actor=actor, campaign=campaign):
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
        results = {
            "total": total, "passed": passed, "failed": len(failed),
            "pass_rate": round(passed / total, 4) if total else None,
            "by_unit": list(by_unit.values()),
            "failed_accounts": [i.account_id for i in failed],
        }
        label = f"{campaign.period}{campaign.get_kind_display()}"
        notice = notice_issue(
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
        campaign.results = results
        campaign.state = CampaignState.CLOSED
        campaign.closed_at = timezone.now()
        campaign.save(update_fields=["results", "state", "closed_at"])
    logger.info("event=campaign_closed campaign=%s total=%s failed=%s notice=%s",
                campaign.pk, total, len(failed), notice.number)
    return campaign


# -- rectification ------------------------------------------------------------------------


def _rectify_unit(*, actor: Any, account: Account) -> Unit | None:
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
    actor: Any,
    account: Account,
    reason: str,
    findings: list[dict[str, Any]] | None = None,
    campaign: Campaign | None = None,
    issuing_unit: Unit | None = None,
) -> AccountProcess:
    """Start a RectificationFlow for an active account (failed inspection, zombie list)."""
    from approvals.flows_review import RectificationFlow

    account = Account.objects.select_related("unit__supervisor", "supervisor_unit").get(
        pk=account.pk)
    errors: dict[str, Any] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = ERR_RECTIFY_REASON
    unit = issuing_unit or (campaign.inspecting_unit if campaign else None)
    own = _rectify_unit(actor=actor, account=account)
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
    from lifecycle.models import Membership

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


def rectification_order(*, process: AccountProcess, audit: dict[str, int]) -> Any:
    """RectificationFlow.order: active → rectifying and the 整改通知 with its deadline."""
    from approvals.services import issue_notice

    plan = process.data["rectification"]
    actor = process.applicant
    deadline = add_working_days(workdays.today(), int(settings.RECTIFICATION_WORKING_DAYS))
    account = lifecycle.account_order_rectification(
        account=process.account, actor=actor, reason=plan["reason"], **audit)
    notice = issue_notice(
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
    return lifecycle.account_pass_recheck(
        account=process.account, actor=decision.actor,
        reason=process.data["recheck"]["opinion"], **audit)


def rectification_fail(*, process: AccountProcess, audit: dict[str, int],
                       overdue: bool = False) -> AccountProcess:
    """rectifying → closing, then the forced ClosureFlow (announcement, notice period,
    deregistration) is started for the account."""
    from approvals.services import forced_closure_start

    decision = Decision.objects.filter(process=process).order_by("-pk").first()
    actor = decision.actor if decision else process.applicant
    if overdue:
        reason = str(OVERDUE_COMMENT).format(
            deadline=cn_date(process.data["rectification"]["deadline"]))
    else:
        reason = process.data["recheck"]["opinion"]
    account = lifecycle.account_fail_recheck(
        account=process.account, actor=actor, reason=reason, **audit)
    closure = forced_closure_start(
        actor=actor, account=account,
        reason=str(_("整改复核不通过，强制关停：{reason}")).format(reason=reason))
    process.data["rectification"]["closure_process"] = closure.pk
    process.data["rectification"]["outcome"] = "overdue" if overdue else "fail"
    process.save(update_fields=["data"])
    return closure


# -- due work (approvals/management/commands/run_due.py) ------------------------------------


def overdue_rectifications(today: datetime.date):
    """Open `report` tasks whose rectification deadline is before `today`."""
    from approvals.flows_review import RectificationFlow

    late = TaskAssignment.objects.filter(due_on__lt=today).values("task_id")
    return Task.objects.filter(
        flow_task=RectificationFlow.report, status__in=(STATUS.NEW, STATUS.ASSIGNED),
        pk__in=late,
    ).order_by("pk")


def process_one_overdue_rectification(*, task: Task, today: datetime.date) -> bool:
    """No report by the deadline: the report step is closed as overdue and the flow goes on
    to `escalate` (fail recheck → forced closure). False when already handled or not due."""
    from approvals.flows_review import RectificationFlow

    with RectificationFlow.lock(task.process_id):
        task = Task.objects.get(pk=task.pk)
        if task.status not in (STATUS.NEW, STATUS.ASSIGNED):
            return False
        process = AccountProcess.objects.get(pk=task.process_id)
        plan = process.data["rectification"]
        if plan.get("deadline", "9999-12-31") >= today.isoformat():
            return False
        actor = process.applicant
        node = task.flow_task
        activation = node.activation_class(task)
        if task.status == STATUS.NEW:
            activation.assign(actor)
        elif task.owner_id != actor.pk:
            activation.reassign(user=actor)
        comment = str(OVERDUE_COMMENT).format(deadline=cn_date(plan["deadline"]))
        Decision.objects.create(
            process=process, task=task, round=0, decision=DecisionKind.REJECT,
            comment=comment, data={"overdue": True}, actor=actor,
        )
        plan["overdue"] = True
        process.save(update_fields=["data"])
        activation = node.activation_class(Task.objects.get(pk=task.pk))
        activation.start(None)
        activation.execute()
    logger.warning("event=rectification_overdue process=%s account=%s deadline=%s",
                   process.pk, process.account_id, plan["deadline"])
    return True


def rectification_reminders(today: datetime.date):
    """Report assignments not yet reminded whose deadline is within the reminder window."""
    from approvals.flows_review import RectificationFlow

    soon = add_working_days(today, REMIND_WORKING_DAYS_BEFORE)
    return TaskAssignment.objects.filter(
        task__flow_task=RectificationFlow.report,
        task__status__in=(STATUS.NEW, STATUS.ASSIGNED),
        reminded_on__isnull=True, due_on__gte=today, due_on__lte=soon,
    ).select_related("unit").order_by("pk")


def process_one_rectification_reminder(*, assignment: TaskAssignment,
                                       today: datetime.date) -> bool:
    claimed = TaskAssignment.objects.filter(pk=assignment.pk, reminded_on=None).update(
        reminded_on=today)
    if claimed != 1:
        return False
    logger.warning("event=rectification_due_soon task=%s unit=%s due_on=%s",
                   assignment.task_id, assignment.unit.code, assignment.due_on)
    return True


def run_due(*, today: datetime.date) -> dict[str, int]:
    """The review part of `run_due`: reminders before the deadline, escalation after it."""
    reminded = sum(process_one_rectification_reminder(assignment=a, today=today)
                   for a in rectification_reminders(today))
    escalated = failed = 0
    for task in overdue_rectifications(today):
        # One account that cannot be escalated (e.g. a closure started meanwhile) must not
        # stop the rest of the due work: it is logged and retried on the next run.
        try:
            escalated += process_one_overdue_rectification(task=task, today=today)
        except (ValidationError, TransitionError) as exc:
            failed += 1
            logger.error("event=rectification_escalation_failed task=%s process=%s error=%s",
                         task.pk, task.process_id, "; ".join(_messages(exc)))
    return {"rectifications_reminded": reminded, "rectifications_escalated": escalated,
            "rectifications_failed": failed}


def _messages(exc: Exception) -> list[str]:
    return list(getattr(exc, "messages", None) or [str(exc)])

"""Due work (DESIGN §6, `manage.py run_due`, the one Celery task config.celery.run_due): every
function takes `today` explicitly."""

from __future__ import annotations

import datetime
import logging

from django.core.exceptions import ValidationError
from django.dispatch import Signal
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals import filing_mail, run_due_mail, warning_mail
from approvals.claims import claim_unset
from approvals.errors import OVERDUE_COMMENT
from approvals.flows import ClosureFlow, RectificationFlow
from approvals.models import AccountProcess, DecisionKind, TaskAssignment
from approvals.nodes import acting_on
from approvals.services.applications import closure_notice_period_end
from approvals.services.tasks import task_decide
from lifecycle.services import TransitionError
from lifecycle.workdays import add_working_days
from notices.rendering import cn_date

# Rectification deadlines log as periodic review; the rest as run_due (as they always did).
review_logger = logging.getLogger("govmedia.review")
logger = logging.getLogger("govmedia.run_due")

# Rectification reports are reminded this many working days before their deadline.
REMIND_WORKING_DAYS_BEFORE = 2


# -- campaigns ----------------------------------------------------------------------------


def overdue_rectifications(today: datetime.date):
    """Open `report` tasks whose rectification deadline is before `today`."""
    late = TaskAssignment.objects.filter(due_on__lt=today).values("task_id")
    return Task.objects.filter(
        flow_task=RectificationFlow.report, status__in=(STATUS.NEW, STATUS.ASSIGNED),
        pk__in=late,
    ).order_by("pk")


def process_one_overdue_rectification(*, task: Task, today: datetime.date) -> bool:
    """No report by the deadline: the report step is closed as overdue through the one decide
    path (approvals.services.task_decide, overdue=True) and the flow goes on to `escalate`
    (fail recheck → forced closure). False when already handled or not due."""
    with RectificationFlow.lock(task.process_id):
        task = Task.objects.get(pk=task.pk)
        if task.status not in (STATUS.NEW, STATUS.ASSIGNED):
            return False
        process = AccountProcess.objects.get(pk=task.process_id)
        plan = process.data["rectification"]
        if plan.get("deadline", "9999-12-31") >= today.isoformat():
            return False
        plan["overdue"] = True  # RectificationFlow.check_overdue reads it
        process.save(update_fields=["data"])
        # A rectification is started by a user (services.rectification_start), kept as its
        # applicant (on_delete=PROTECT); the overdue step is closed in that user's name.
        assert process.applicant is not None
        # The forced closure that follows is announced and dated on `today`.
        with acting_on(process.pk, today):
            task_decide(
                task=task, actor=process.applicant, decision=DecisionKind.REJECT,
                comment=str(OVERDUE_COMMENT).format(deadline=cn_date(plan["deadline"])),
                overdue=True,
            )
    review_logger.warning("event=rectification_overdue process=%s account=%s deadline=%s",
                   process.pk, process.account_id, plan["deadline"])
    return True


def rectification_reminders(today: datetime.date):
    """Report assignments not yet reminded whose deadline is within the reminder window."""
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
    review_logger.warning("event=rectification_due_soon task=%s unit=%s due_on=%s",
                   assignment.task_id, assignment.unit.code, assignment.due_on)
    return True


def rectifications_due(*, today: datetime.date) -> dict[str, int]:
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
            review_logger.error("event=rectification_escalation_failed task=%s process=%s error=%s",
                         task.pk, task.process_id, "; ".join(_messages(exc)))
    return {"rectifications_reminded": reminded, "rectifications_escalated": escalated,
            "rectifications_failed": failed}


def _messages(exc: Exception) -> list[str]:
    return list(getattr(exc, "messages", None) or [str(exc)])


# -- notice periods and overdue tasks -------------------------------------------------------

# Sent once per overdue task assignment (unit × role), when it is first marked reminded.
# Other receivers hook in here; the escalation e-mail is sent by approvals.run_due_mail.
task_overdue = Signal()


# -- notice periods -------------------------------------------------------------------

def due_notice_periods(today: datetime.date):
    tasks = Task.objects.filter(
        flow_task=ClosureFlow.wait_notice_period, status=STATUS.NEW
    ).order_by("pk")
    due_process_ids = [
        p.pk
        for p in AccountProcess.objects.filter(pk__in=tasks.values("process_id"))
        if (p.data.get("notice_period") or {}).get("due_on", "9999-12-31") <= today.isoformat()
    ]
    return tasks.filter(process_id__in=due_process_ids)

def process_one_notice_period(*, task: Task, today: datetime.date) -> bool:
    """End one notice period through its service (→ deregistration task). False when it is
    not due yet or someone else already ended it."""
    process = closure_notice_period_end(task=task, today=today)
    if process is None:
        return False
    logger.info(
        "event=notice_period_ended process=%s account=%s due_on=%s",
        process.pk, process.account_id, process.data["notice_period"]["due_on"],
    )
    return True


# -- reminders --------------------------------------------------------------------------

def overdue_assignments(today: datetime.date):
    return (
        TaskAssignment.objects.filter(
            due_on__lt=today, reminded_on__isnull=True,
            task__status__in=(STATUS.NEW, STATUS.ASSIGNED),
        )
        .select_related("task", "unit")
        .order_by("pk")
    )

def process_one_reminder(*, assignment: TaskAssignment, today: datetime.date) -> bool:
    """Mark one overdue assignment reminded (compare-and-swap) and send the hook."""
    claimed = TaskAssignment.objects.filter(pk=assignment.pk, reminded_on=None).update(
        reminded_on=today
    )
    if claimed != 1:
        return False
    _reminded(assignment, today)
    return True


# Overdue assignments are marked this many at a time (one UPDATE each batch).
REMIND_BATCH = 1000


def remind_overdue(*, today: datetime.date) -> int:
    """process_one_reminder for every overdue assignment, a batch at a time: one
    `UPDATE … WHERE reminded_on IS NULL … RETURNING id` marks the batch and names the rows
    it changed, so of two concurrent runs each assignment is claimed (logged, hooked) by
    exactly one. Returns how many were marked."""
    rows = list(overdue_assignments(today))
    marked = 0
    for start in range(0, len(rows), REMIND_BATCH):
        batch = rows[start:start + REMIND_BATCH]
        claimed = claim_unset(TaskAssignment, [a.pk for a in batch], "reminded_on", today)
        for assignment in batch:
            if assignment.pk in claimed:
                _reminded(assignment, today)
                marked += 1
    return marked


def _reminded(assignment: TaskAssignment, today: datetime.date) -> None:
    logger.warning(
        "event=task_overdue task=%s process=%s unit=%s role=%s due_on=%s",
        assignment.task_id, assignment.task.process_id, assignment.unit.code,
        assignment.role, assignment.due_on,
    )
    task_overdue.send(sender=None, assignment=assignment, today=today)


# -- all of it ------------------------------------------------------------------------------


def run_due(*, today: datetime.date) -> str:
    """All due work of `today`, idempotently; returns the one-line summary."""
    ended = sum(
        process_one_notice_period(task=task, today=today) for task in due_notice_periods(today)
    )
    reminded = remind_overdue(today=today)
    # Rectification deadlines: remind, then escalate.
    review_due = rectifications_due(today=today)
    # E-mail last: escalations go to the assignments marked overdue above.
    mail = run_due_mail.send_due_mail(today=today)
    # Early warnings (预警): each unit told once per threshold crossing.
    warned = warning_mail.send_warning_mail(today=today)
    # Filing deadlines: remind before, notify once overdue.
    filed = filing_mail.send_filing_mail(today=today)
    summary = (
        f"run_due {today.isoformat()}: notice periods ended: {ended}; "
        f"overdue tasks reminded: {reminded}; "
        f"rectifications reminded: {review_due['rectifications_reminded']}; "
        f"rectifications escalated: {review_due['rectifications_escalated']}; "
        f"reminder e-mails sent: {mail['reminders_sent']}; "
        f"escalation e-mails sent: {mail['escalations_sent']}; "
        f"e-mails failed: {mail['failed']}; "
        f"warnings opened: {warned['opened']}; warnings cleared: {warned['cleared']}; "
        f"warning e-mails sent: {warned['sent']}; "
        f"filings reminded: {filed['reminded']}; filings overdue: {filed['overdue']}"
    )
    logger.info(
        "event=run_due ended=%s reminded=%s mail_sent=%s mail_failed=%s", ended, reminded,
        mail["reminders_sent"] + mail["escalations_sent"], mail["failed"],
    )
    return summary


def waiting_notice_periods() -> list[tuple[AccountProcess, str]]:
    """Closures waiting in their notice period, with the day each one ends (ISO), soonest
    first (the demo operator page lists them)."""
    process_ids = Task.objects.filter(
        flow_task=ClosureFlow.wait_notice_period, status=STATUS.NEW
    ).values("process_id")
    rows = [
        (p, (p.data.get("notice_period") or {}).get("due_on", ""))
        for p in AccountProcess.objects.filter(pk__in=process_ids).select_related("account", "unit")
    ]
    return sorted(rows, key=lambda row: (row[1] or "9999-12-31", row[0].pk))

"""run_due: the periodic work of the approval flows (beat every minute, cron, `make run`)."""

from __future__ import annotations

import datetime
import logging

from django.core.management.base import CommandError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from viewflow.fsm import TransitionNotAllowed
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals import run_due_mail
from approvals.flows import ClosureFlow
from approvals.models import AccountProcess, TaskAssignment
from lifecycle import workdays
from lifecycle.management.base import GovCommand

logger = logging.getLogger("govmedia.run_due")

# Sent once per overdue task assignment (unit × role), when it is first marked reminded.
# Other receivers hook in here; the escalation e-mail is sent by approvals.run_due_mail.
task_overdue = Signal()


def parse_now(value: str | None) -> datetime.datetime:
    """--now as an aware datetime: an ISO date (midnight) or datetime. Anything else, also a
    well-formed but impossible value (2026-11-27T25:00, 2026-02-30), is a CommandError
    naming --now (exit 1, no traceback)."""
    if not value:
        return timezone.now()
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            if day is None:
                raise ValueError(value)
            moment = datetime.datetime.combine(day, datetime.time(0, 0))
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
    except (ValueError, OverflowError):
        raise CommandError(
            f"--now: not a valid ISO date or datetime (YYYY-MM-DD or YYYY-MM-DDTHH:MM): {value!r}"
        ) from None
    return moment


class Command(GovCommand):
    help = (
        "Process due work once, idempotently: "
        "(1) every ClosureFlow waiting in its notice period whose deregistration date "
        "(process.data.notice_period.due_on: the day after the last of "
        "NOTICE_PERIOD_WORKING_DAYS working days after the announcement, never before the "
        "stop date) is on or before --now's date gets its deregistration task; "
        "(2) every open task assignment whose due date is before --now's date and that was "
        "never reminded is marked reminded_on=today, logged and the task_overdue hook sent. "
        "(3) rectification reports (RectificationFlow) due within 2 working days are reminded "
        "once; those still missing after their deadline fail the recheck automatically and "
        "start the forced closure (approvals.services_review.run_due). "
        "(4) e-mail (approvals.run_due_mail): every open task due within "
        "TASK_REMIND_WORKING_DAYS working days gets one reminder to its holder or candidates "
        "(members of the assigned units with the task's role, and their delegates); every "
        "assignment marked overdue gets one escalation to the unit's heads (the supervisor "
        "unit's heads when the task is the heads' own or no head has an address). Users "
        "without an e-mail address are skipped; a failed send is logged, recorded in "
        "Task.data['mail'] and retried by later runs (at most 3 attempts), never fatal. "
        "Running it twice does nothing more the second time. "
        "Tasks created during the run take their due dates from --now's date "
        "(lifecycle.workdays.today())."
    )

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO date or datetime to act as 'now' (default: now)")

    # -- notice periods -------------------------------------------------------------------

    def due_notice_periods(self, today: datetime.date):
        tasks = Task.objects.filter(
            flow_task=ClosureFlow.wait_notice_period, status=STATUS.NEW
        ).order_by("pk")
        due_process_ids = [
            p.pk
            for p in AccountProcess.objects.filter(pk__in=tasks.values("process_id"))
            if (p.data.get("notice_period") or {}).get("due_on", "9999-12-31") <= today.isoformat()
        ]
        return tasks.filter(process_id__in=due_process_ids)

    def process_one_notice_period(self, task: Task, today: datetime.date) -> bool:
        """End one notice period: complete the wait node (→ deregistration task). False when
        it is not due yet or someone else already ended it."""
        task.refresh_from_db()
        if task.status != STATUS.NEW:
            return False
        process = AccountProcess.objects.get(pk=task.process_id)
        due_on = (process.data.get("notice_period") or {}).get("due_on")
        if not due_on or due_on > today.isoformat():
            return False
        try:
            with transaction.atomic():
                ClosureFlow.wait_notice_period.run(task)
        except TransitionNotAllowed:
            return False  # a concurrent run_due won the lock first
        logger.info(
            "event=notice_period_ended process=%s account=%s due_on=%s",
            process.pk, process.account_id, due_on,
        )
        return True

    # -- reminders --------------------------------------------------------------------------

    def overdue_assignments(self, today: datetime.date):
        return (
            TaskAssignment.objects.filter(
                due_on__lt=today, reminded_on__isnull=True,
                task__status__in=(STATUS.NEW, STATUS.ASSIGNED),
            )
            .select_related("task", "unit")
            .order_by("pk")
        )

    def process_one_reminder(self, assignment: TaskAssignment, today: datetime.date) -> bool:
        """Mark one overdue assignment reminded (compare-and-swap) and send the hook."""
        claimed = TaskAssignment.objects.filter(pk=assignment.pk, reminded_on=None).update(
            reminded_on=today
        )
        if claimed != 1:
            return False
        logger.warning(
            "event=task_overdue task=%s process=%s unit=%s role=%s due_on=%s",
            assignment.task_id, assignment.task.process_id, assignment.unit.code,
            assignment.role, assignment.due_on,
        )
        task_overdue.send(sender=self.__class__, assignment=assignment, today=today)
        return True

    def handle(self, *args, **options):
        now = parse_now(options.get("now"))
        today = timezone.localdate(now)
        # Work created by this run (the deregistration task of an ended notice period, a
        # forced closure's tasks) dates itself from `today`, also a simulated --now.
        with workdays.simulated_today(today):
            return self.process_all(today)

    def process_all(self, today: datetime.date) -> str:
        ended = sum(
            self.process_one_notice_period(task, today) for task in self.due_notice_periods(today)
        )
        reminded = sum(
            self.process_one_reminder(a, today) for a in self.overdue_assignments(today)
        )
        # Rectification deadlines (approvals.services_review): remind, then escalate.
        from approvals import services_review

        review_due = services_review.run_due(today=today)
        # E-mail last: escalations go to the assignments marked overdue above.
        mail = run_due_mail.send_due_mail(today=today)
        summary = (
            f"run_due {today.isoformat()}: notice periods ended: {ended}; "
            f"overdue tasks reminded: {reminded}; "
            f"rectifications reminded: {review_due['rectifications_reminded']}; "
            f"rectifications escalated: {review_due['rectifications_escalated']}; "
            f"reminder e-mails sent: {mail['reminders_sent']}; "
            f"escalation e-mails sent: {mail['escalations_sent']}; "
            f"e-mails failed: {mail['failed']}"
        )
        logger.info(
            "event=run_due ended=%s reminded=%s mail_sent=%s mail_failed=%s", ended, reminded,
            mail["reminders_sent"] + mail["escalations_sent"], mail["failed"],
        )
        return summary

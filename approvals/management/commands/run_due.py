"""run_due: the periodic work of the approval flows (beat every minute, cron, `make run`)."""

from __future__ import annotations

import datetime

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from approvals import due
from approvals.due import task_overdue  # noqa: F401  (receivers connect here too)
from lifecycle.management.base import GovCommand


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
        "start the forced closure (approvals.due). "
        "(4) e-mail (approvals.run_due_mail): every open task due within "
        "TASK_REMIND_WORKING_DAYS working days gets one reminder to its holder or candidates "
        "(members of the assigned units with the task's role, and their delegates); every "
        "assignment marked overdue gets one escalation to the unit's heads (the supervisor "
        "unit's heads when the task is the heads' own or no head has an address). Users "
        "without an e-mail address are skipped; a failed send is logged, recorded in "
        "Task.data['mail'] and retried by later runs (at most 3 attempts), never fatal. "
        "Running it twice does nothing more the second time. "
        "Tasks created during the run take their due dates from --now's date "
        "(approvals.due passes it on)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--now", help="ISO date or datetime to act as 'now' (default: now)")

    def handle(self, *args, **options):
        now = parse_now(options.get("now"))
        today = timezone.localdate(now)
        # Work created by this run (the deregistration task of an ended notice period, a
        # forced closure's tasks) dates itself from `today`, also a simulated --now: the due
        # services pass it on (approvals.due).
        return due.run_due(today=today)


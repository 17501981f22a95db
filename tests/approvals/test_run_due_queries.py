"""run_due's statements do not grow with the number of reminders and escalations it sends
(issue 15 item 6): the overdue assignments are marked, their recipients read, their
once-only ledger claimed and recorded and their in-app notifications written a batch at a
time (approvals.due.remind_overdue, approvals.run_due_mail.BATCH); the filings likewise
(approvals.filing_mail.BATCH)."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals import due, filing_mail
from approvals.models import Filing, FilingKind, FilingSystem, TaskAssignment
from lifecycle import notifications
from lifecycle import services as lifecycle
from lifecycle.models import Notification
from tests.approvals.closure_helpers import apply_closure, njzj_account, world_fixture  # noqa: F401
from tests.approvals.helpers import only_open_task

pytestmark = pytest.mark.django_db


def _closures(world, count: int, prefix: str) -> list[TaskAssignment]:
    """`count` closures of NJZJ's accounts, each waiting at its first step (质监负责人)."""
    rows = []
    for i in range(count):
        account = njzj_account(world, f"{prefix}{i}", f"{prefix}-{i}")
        process = apply_closure(world, account)
        rows.append(TaskAssignment.objects.get(task=only_open_task(process)))
    return rows


def _run_counted(day: datetime.date) -> tuple[int, str]:
    mail.outbox.clear()
    with CaptureQueriesContext(connection) as queries:
        summary = due.run_due(today=day)
    return len(queries), summary


def test_run_due_runs_the_same_statements_for_3_and_for_30_overdue_tasks(world):
    head = world.p.njzj_head
    head.email = "head@njzj.example"
    head.save(update_fields=["email"])
    nj_head = lifecycle.user_upsert(username="nj_head", full_name="市府办负责人",
                                    email="head@nj.example", password="pw",
                                    memberships=[(world.u.nj, "unit_head")])
    few = _closures(world, 3, "few")
    many = _closures(world, 30, "many")
    day = few[0].due_on
    later = day + datetime.timedelta(days=28)
    TaskAssignment.objects.filter(pk__in=[a.pk for a in many]).update(due_on=later)

    reminded_3, summary = _run_counted(day)  # within the window: reminders
    assert "reminder e-mails sent: 3" in summary
    escalated_3, summary = _run_counted(day + datetime.timedelta(days=1))
    assert "overdue tasks reminded: 3" in summary and "escalation e-mails sent: 3" in summary
    assert sorted({m.to[0] for m in mail.outbox}) == [nj_head.email]  # the heads' own tasks

    reminded_30, summary = _run_counted(later)
    assert "reminder e-mails sent: 30" in summary
    escalated_30, summary = _run_counted(later + datetime.timedelta(days=1))
    assert "overdue tasks reminded: 30" in summary and "escalation e-mails sent: 30" in summary
    assert len(mail.outbox) == 30

    assert reminded_30 == reminded_3
    assert escalated_30 == escalated_3
    # Every escalation also reached its heads and the task's own people in-app, once.
    overdue = Notification.objects.filter(kind=notifications.OVERDUE)
    assert overdue.filter(recipient=nj_head).count() == 33
    assert overdue.filter(recipient=head).count() == 33
    assert Notification.objects.filter(kind=notifications.REMINDER, recipient=head).count() == 33


def _filings(world, count: int, prefix: str, due_on: datetime.date) -> list[Filing]:
    rows = []
    for i in range(count):
        account = njzj_account(world, f"{prefix}{i}", f"{prefix}-{i}")
        rows.append(Filing.objects.create(
            account=account, kind=FilingKind.CHANGE, system=FilingSystem.PROVINCIAL,
            event_on=due_on - datetime.timedelta(days=7), due_on=due_on))
    return rows


def _filing_statements(day: datetime.date) -> tuple[int, dict[str, int]]:
    with CaptureQueriesContext(connection) as queries:
        counts = filing_mail.send_filing_mail(today=day)
    return len(queries), counts


def test_filing_reminders_and_overdue_notices_run_the_same_statements_for_3_and_30(world):
    for user in (world.p.njzj_head, world.p.njzj_clerk):
        user.email = f"{user.username}@njzj.example"
        user.save(update_fields=["email"])
    day = datetime.date(2026, 12, 7)
    _filings(world, 3, "few", day)
    _filings(world, 30, "many", day + datetime.timedelta(days=28))

    few = [_filing_statements(day), _filing_statements(day + datetime.timedelta(days=1))]
    later = day + datetime.timedelta(days=28)
    many = [_filing_statements(later), _filing_statements(later + datetime.timedelta(days=1))]

    assert [c for _n, c in few] == [{"reminded": 3, "overdue": 0, "sent": 6, "failed": 0},
                                    {"reminded": 0, "overdue": 3, "sent": 3, "failed": 0}]
    assert [c for _n, c in many] == [{"reminded": 30, "overdue": 0, "sent": 60, "failed": 0},
                                     {"reminded": 0, "overdue": 30, "sent": 30, "failed": 0}]
    assert [n for n, _c in many] == [n for n, _c in few]
    assert Notification.objects.filter(key__startswith="filing-remind:").count() == 66
    assert Notification.objects.filter(key__startswith="filing-overdue:").count() == 33


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError(111, "Connection refused")


def test_a_filing_whose_messages_all_failed_is_released_for_the_next_run(world, settings):
    head = world.p.njzj_head
    head.email = "head@njzj.example"
    head.save(update_fields=["email"])
    day = datetime.date(2026, 12, 7)
    filing, = _filings(world, 1, "down", day)

    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    assert filing_mail.send_filing_mail(today=day)["failed"] == 1
    filing.refresh_from_db()
    assert filing.reminded_on is None  # released

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert filing_mail.send_filing_mail(today=day)["reminded"] == 1
    filing.refresh_from_db()
    assert filing.reminded_on == day
    assert [m.to for m in mail.outbox] == [[head.email]]
    assert Notification.objects.filter(key=f"filing-remind:{filing.pk}").count() == 2  # once each

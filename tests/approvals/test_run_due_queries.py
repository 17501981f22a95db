"""run_due's statements do not grow with the number of reminders and escalations it sends
(issue 15 item 6): the overdue assignments are marked, their recipients read, their
once-only ledger claimed and recorded and their in-app notifications written a batch at a
time (approvals.due.remind_overdue, approvals.run_due_mail.BATCH)."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals import due
from approvals.models import TaskAssignment
from lifecycle import notifications
from lifecycle import services as lifecycle
from lifecycle.models import Account, AccountState, Notification, Platform
from tests.approvals.closure_helpers import apply_closure, world_fixture  # noqa: F401
from tests.approvals.helpers import only_open_task

pytestmark = pytest.mark.django_db


def _closures(world, count: int, prefix: str) -> list[TaskAssignment]:
    """`count` closures of NJZJ's accounts, each waiting at its first step (质监负责人)."""
    rows = []
    for i in range(count):
        account = Account.objects.create(
            name=f"{prefix}{i}", platform=Platform.WEIBO, platform_id=f"{prefix}-{i}",
            unit=world.u.njzj, supervisor_unit=world.u.nj, state=AccountState.ACTIVE,
            contact_phone="025-8000",
        )
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

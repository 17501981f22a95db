"""run_due: ends notice periods once their date is reached, reminds overdue tasks once,
and does nothing more when run twice."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from approvals import due
from approvals.due import task_overdue
from approvals.management.commands.run_due import Command
from approvals.models import TaskAssignment
from tests.approvals.closure_helpers import apply_closure, approve_chain, wait_task, world_fixture  # noqa: F401
from tests.approvals.helpers import only_open_task

pytestmark = pytest.mark.django_db


def _run(now):
    out = io.StringIO()
    call_command("run_due", now=now, stdout=out)
    return out.getvalue()


def _due(process) -> datetime.date:
    return datetime.date.fromisoformat(process.data["notice_period"]["due_on"])


def test_it_ends_a_notice_period_only_on_its_due_date(world):
    process = approve_chain(world, apply_closure(world))
    task = wait_task(process)
    assert due.process_one_notice_period(task=task, today=_due(process) - datetime.timedelta(days=1)) is False
    assert due.process_one_notice_period(task=task, today=_due(process)) is True
    assert due.process_one_notice_period(task=task, today=_due(process)) is False  # already ended
    assert only_open_task(process).flow_task.task_kind == "deregistration"


def test_it_is_idempotent_when_run_twice(world):
    process = approve_chain(world, apply_closure(world))
    due = _due(process).isoformat()
    first = _run(due)
    assert "notice periods ended: 1" in first
    second = _run(due)
    assert "notice periods ended: 0" in second and "reminded: 0" in second
    assert only_open_task(process).flow_task.task_kind == "deregistration"


def test_it_reminds_an_overdue_task_once(world):
    process = apply_closure(world)
    assignment = TaskAssignment.objects.get(task=only_open_task(process))
    received = []
    task_overdue.connect(lambda **kw: received.append(kw["assignment"].pk), weak=False,
                         dispatch_uid="test-run-due")
    try:
        late = assignment.due_on + datetime.timedelta(days=1)
        assert due.process_one_reminder(assignment=assignment, today=late) is True
        assert due.process_one_reminder(assignment=assignment, today=late) is False
        assert "reminded: 0" in _run(late.isoformat())
    finally:
        task_overdue.disconnect(dispatch_uid="test-run-due")
    assignment.refresh_from_db()
    assert assignment.reminded_on == late
    assert received == [assignment.pk]


def test_it_skips_tasks_not_yet_due(world):
    process = apply_closure(world)
    assignment = TaskAssignment.objects.get(task=only_open_task(process))
    assert "reminded: 0" in _run(assignment.due_on.isoformat())
    assignment.refresh_from_db()
    assert assignment.reminded_on is None


def test_it_states_the_rule_in_help():
    assert "NOTICE_PERIOD_WORKING_DAYS" in Command.help and "twice" in Command.help


def test_it_runs_from_the_celery_task(world):
    from config.celery import run_due  # the one Celery entry of due work

    assert "run_due" in run_due.apply().get()
    assert timezone.localdate().isoformat() in run_due()

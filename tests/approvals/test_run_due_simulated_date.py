"""`run_due --now DATE`: tasks created during the run take their due dates from DATE, not
from the real clock (lifecycle.workdays.today())."""

from __future__ import annotations

import datetime
import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from approvals.models import TaskAssignment
from lifecycle import workdays
from tests.approvals.closure_helpers import apply_closure, approve_chain, world_fixture  # noqa: F401
from tests.approvals.helpers import only_open_task


def test_it_is_the_local_date_outside_a_simulation():
    assert workdays.today() == timezone.localdate()


def test_it_is_the_simulated_date_inside_and_restored_after():
    day = datetime.date(2031, 3, 3)
    with pytest.raises(RuntimeError), workdays.simulated_today(day):
        assert workdays.today() == day
        with workdays.simulated_today(day + datetime.timedelta(days=1)):
            assert workdays.today() == datetime.date(2031, 3, 4)
        assert workdays.today() == day
        raise RuntimeError("the block fails")
    assert workdays.today() == timezone.localdate()


@pytest.mark.django_db
def test_it_dates_the_deregistration_task_from_the_simulated_day(world):
    process = approve_chain(world, apply_closure(world))
    due = datetime.date.fromisoformat(process.data["notice_period"]["due_on"])
    # Far from the real date, so a due date computed from the real clock cannot match.
    simulated = due + datetime.timedelta(days=400)
    call_command("run_due", now=simulated.isoformat(), stdout=io.StringIO())

    task = only_open_task(process)
    assert task.flow_task.task_kind == "deregistration"
    assignment = TaskAssignment.objects.get(task=task)
    assert assignment.due_on == workdays.add_working_days(
        simulated, settings.TASK_DUE_WORKING_DAYS
    )
    assert workdays.today() == timezone.localdate()  # the run left no simulation behind


@pytest.mark.django_db
def test_it_dates_tasks_from_the_real_day_without_now(world):
    process = apply_closure(world)
    assignment = TaskAssignment.objects.get(task=only_open_task(process))
    assert assignment.due_on == workdays.add_working_days(
        timezone.localdate(), settings.TASK_DUE_WORKING_DAYS
    )

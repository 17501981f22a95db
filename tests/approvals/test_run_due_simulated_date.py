"""`run_due --now DATE`: work created during the run takes its dates from DATE, not from the
real clock. The date is passed in (approvals.due) and travels on the process it moves
(approvals.nodes.acting_on / business_date) — no ambient state."""

from __future__ import annotations

import datetime
import io

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from approvals.models import Delegation, TaskAssignment
from approvals.nodes import AS_OF, acting_on, business_date
from lifecycle import workdays
from tests.approvals.closure_helpers import apply_closure, approve_chain, world_fixture  # noqa: F401
from tests.approvals.helpers import only_open_task


def test_it_is_the_local_date_outside_a_due_run():
    assert workdays.today() == timezone.localdate()


@pytest.mark.django_db
def test_a_step_acts_on_the_day_marked_on_its_process_and_the_mark_goes(world):
    process = apply_closure(world)
    assert business_date(process) == timezone.localdate()
    day = datetime.date(2031, 3, 3)
    with acting_on(process.pk, day):
        process.refresh_from_db()
        assert business_date(process) == day
    process.refresh_from_db()
    assert AS_OF not in process.data and business_date(process) == timezone.localdate()


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
    process.refresh_from_db()
    assert AS_OF not in process.data  # the run left no date behind


@pytest.mark.django_db
def test_it_dates_tasks_from_the_real_day_without_now(world):
    process = apply_closure(world)
    assignment = TaskAssignment.objects.get(task=only_open_task(process))
    assert assignment.due_on == workdays.add_working_days(
        timezone.localdate(), settings.TASK_DUE_WORKING_DAYS
    )


@pytest.mark.django_db
def test_it_reminds_the_delegate_of_the_simulated_day(world):
    """Delegation windows are read on the run's day: a delegation that starts in the future
    is in force for `run_due --now` that day."""
    world.p.njzj_head.email = "head@njzj.example"
    world.p.njzj_head.save(update_fields=["email"])
    deputy = get_user_model().objects.create_user("njzj_deputy2", email="deputy@njzj.example")
    process = apply_closure(world)
    assignment = TaskAssignment.objects.get(task=only_open_task(process))
    Delegation.objects.create(user=world.p.njzj_head, delegate=deputy,
                              starts_on=assignment.due_on, ends_on=assignment.due_on)
    call_command("run_due", now=assignment.due_on.isoformat(), stdout=io.StringIO())
    assert sorted(a for m in mail.outbox for a in m.to) == [
        "deputy@njzj.example", "head@njzj.example"]

"""The demo operator page ends a closure's notice period from the web through run_due, in
demo mode only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from approvals.models import AccountProcess
from tests.approvals.closure_helpers import (
    apply_closure,
    world_fixture,  # noqa: F401
)
from tests.approvals.helpers import decide, only_open_task

pytestmark = pytest.mark.django_db


def _in_notice_period(world) -> AccountProcess:
    process = apply_closure(world, world.zj)
    for user in (world.p.njzj_head, world.p.nj_approver):
        decide(process, user, "approve")
    process.refresh_from_db()
    return process


def test_it_lists_the_closures_waiting_and_ends_their_notice_period(client, world):
    process = _in_notice_period(world)
    due_on = process.data["notice_period"]["due_on"]
    client.force_login(world.p.njzj_clerk)
    page = client.get(reverse("work:operator")).content.decode()
    assert "南京质检" in page and due_on in page and f'value="{due_on}"' in page

    response = client.post(reverse("work:operator"), {"day": due_on}, follow=True)
    assert response.status_code == 200
    assert "notice periods ended: 1" in response.content.decode()
    task = only_open_task(process)
    assert task.flow_task.name == "deregister"


def test_it_does_nothing_before_the_due_day(client, world):
    process = _in_notice_period(world)
    client.force_login(world.p.njzj_clerk)
    client.post(reverse("work:operator"), {"day": "2000-01-01"})
    assert only_open_task(process).flow_task.name == "wait_notice_period"


def test_it_names_the_field_on_a_bad_date_and_runs_nothing(client, world):
    process = _in_notice_period(world)
    client.force_login(world.p.njzj_clerk)
    response = client.post(reverse("work:operator"), {"day": "not-a-day"})
    assert response.status_code == 400
    assert 'data-testid="field-error-day"' in response.content.decode()
    assert only_open_task(process).flow_task.name == "wait_notice_period"


def test_it_is_not_there_outside_demo_mode(client, world, settings):
    process = _in_notice_period(world)
    settings.GOVMEDIA_DEMO = False
    client.force_login(world.p.njzj_clerk)
    assert client.get(reverse("work:operator")).status_code == 404
    response = client.post(reverse("work:operator"), {"day": process.data["notice_period"]["due_on"]})
    assert response.status_code == 404
    assert only_open_task(process).flow_task.name == "wait_notice_period"

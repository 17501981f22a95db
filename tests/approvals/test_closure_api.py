"""Closure and merger driven through the REST API: POST /api/applications/closure/, the
task list and decide routes, run_due, and the deregistration data step."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from approvals.models import AccountProcess
from lifecycle.models import AccountState
from notices.models import Notice
from tests.approvals.closure_helpers import world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _only_task(user):
    tasks = api(user).get("/api/tasks/").json()["results"]
    assert len(tasks) == 1, tasks
    return tasks[0]


def _run_through_api(world, body):
    response = api(world.p.njzj_clerk).post("/api/applications/closure/", body, format="json")
    assert response.status_code == 201, response.content
    process = AccountProcess.objects.get(pk=response.json()["process_id"])
    for user in (world.p.njzj_head, world.p.nj_approver):
        task = _only_task(user)
        assert task["kind"] == "decision"
        decided = api(user).post(f"/api/tasks/{task['id']}/decide/",
                                 {"decision": "approve", "comment": "同意"}, format="json")
        assert decided.status_code == 200, decided.content
    process.refresh_from_db()
    assert process.account.state == AccountState.CLOSING
    assert api(world.p.njzj_clerk).get("/api/tasks/").json()["results"] == []  # notice period
    call_command("run_due", now=process.data["notice_period"]["due_on"], stdout=io.StringIO())
    task = _only_task(world.p.njzj_clerk)
    assert task["kind"] == "deregistration"
    assert "deregistered_on" in task["fields"]
    decided = api(world.p.njzj_clerk).post(
        f"/api/tasks/{task['id']}/decide/",
        {"decision": "approve", "data": {"deregistered_on": timezone.localdate().isoformat()}},
        format="json",
    )
    assert decided.status_code == 200, decided.content
    process.account.refresh_from_db()
    return process


def test_it_closes_an_account_through_the_api(world):
    process = _run_through_api(world, {
        "account": world.zj.pk, "kind": "close", "reason": "职能划转",
        "stop_on": timezone.localdate().isoformat(), "successor_account": world.sy.pk,
        "successor_channels": [{"kind": "phone", "value": "025-12345"}],
    })
    assert process.account.state == AccountState.CLOSED
    assert process.account.successor == world.sy
    assert Notice.objects.get(process_id=process.pk).kind == "closure_announcement"
    lookup = APIClient().get("/api/public/successor/", {"name": "njzhijian"}).json()
    assert lookup["matches"][0]["chain"][0]["platform_id"] == "njshiyaojian"


def test_it_merges_an_account_through_the_api(world):
    process = _run_through_api(world, {
        "account": world.zj.pk, "kind": "merge", "reason": "整合",
        "stop_on": timezone.localdate().isoformat(), "successor_account": world.sy.pk,
        "successor_channels": [],
    })
    assert process.account.state == AccountState.MERGED
    assert process.account.successor == world.sy
    assert Notice.objects.get(process_id=process.pk).kind == "merger_announcement"


def test_it_answers_an_account_already_closing_with_400(world):
    body = {"account": world.zj.pk, "kind": "close", "reason": "x",
            "stop_on": timezone.localdate().isoformat(),
            "successor_channels": [{"kind": "phone", "value": "025-1"}]}
    assert api(world.p.njzj_clerk).post("/api/applications/closure/", body,
                                        format="json").status_code == 201
    again = api(world.p.njzj_clerk).post("/api/applications/closure/", body, format="json")
    assert again.status_code == 400
    assert "account" in again.json()

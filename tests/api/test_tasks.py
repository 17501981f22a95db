"""GET /api/tasks/, /api/tasks/{id}/, POST claim and decide — through approvals.services."""

from __future__ import annotations

import pytest
from viewflow.workflow.status import STATUS

from approvals.models import Decision
from lifecycle.models import AccountState
from lifecycle.services import membership_add
from tests.api.helpers import results
from tests.approvals.helpers import apply_xl, decide, only_open_task

pytestmark = pytest.mark.django_db

TASK_FIELDS = {"id", "process_id", "flow", "step", "kind", "title", "account", "unit", "status",
               "assigned_to", "due_on", "created", "fields"}


def test_it_lists_my_claimable_task_with_the_contract_fields(nanjing, client_for):
    process = apply_xl(nanjing)
    task = only_open_task(process)
    rows = results(client_for(nanjing.p.xl_head).get("/api/tasks/"))
    assert len(rows) == 1
    row = rows[0]
    assert set(row) == TASK_FIELDS
    assert row["id"] == task.pk and row["process_id"] == process.pk
    assert row["flow"] == "opening" and row["kind"] == "decision"
    assert row["step"] == "单位负责人审核"
    assert row["account"] == {"id": process.account.pk, "name": "兴隆发布",
                              "platform": "wechat_official", "platform_id": ""}
    assert row["unit"] == {"code": "JYXL", "name": "兴隆街道办事处"}
    assert row["status"] == "new" and row["assigned_to"] is None
    assert row["due_on"] and row["fields"] == {}
    assert "兴隆发布" in row["title"]


def test_other_approvers_see_no_task(nanjing, client_for):
    apply_xl(nanjing)
    for user in (nanjing.p.jy_approver, nanjing.p.jb_approver, nanjing.p.xl_clerk):
        assert results(client_for(user).get("/api/tasks/")) == []


def test_it_filters_by_status(nanjing, client_for):
    p = nanjing.p
    process = apply_xl(nanjing)
    client = client_for(p.xl_head)
    assert [r["status"] for r in results(client.get("/api/tasks/?status=new"))] == ["new"]
    assert results(client.get("/api/tasks/?status=assigned")) == []
    task_id = only_open_task(process).pk
    assert client.post(f"/api/tasks/{task_id}/claim/").status_code == 200
    assert results(client.get("/api/tasks/?status=new")) == []
    assert [r["id"] for r in results(client.get("/api/tasks/?status=assigned"))] == [task_id]
    assert [r["id"] for r in results(client.get("/api/tasks/"))] == [task_id]
    decide(process, p.xl_head)
    assert results(client.get("/api/tasks/")) == []
    done = results(client.get("/api/tasks/?status=done"))
    assert [(r["id"], r["status"]) for r in done] == [(task_id, "done")]
    assert done[0]["assigned_to"] == {"username": "xl_head", "full_name": "兴隆负责人"}
    # The district approver completed nothing yet.
    assert results(client_for(p.jy_approver).get("/api/tasks/?status=done")) == []


def test_it_lists_canceled_tasks_in_scope(nanjing, client_for):
    from approvals import services

    process = apply_xl(nanjing)
    services.process_withdraw(process=process, actor=nanjing.p.xl_clerk)
    rows = results(client_for(nanjing.p.xl_head).get("/api/tasks/?status=canceled"))
    assert [r["status"] for r in rows] == ["canceled"]
    assert results(client_for(nanjing.p.jb_approver).get("/api/tasks/?status=canceled")) == []


def test_it_refuses_an_unknown_status(nanjing, client_for):
    response = client_for(nanjing.p.xl_head).get("/api/tasks/?status=open")
    assert response.status_code == 400
    assert list(response.json()) == ["status"]


def test_it_shows_a_registration_step_with_its_fields(nanjing, client_for):
    p = nanjing.p
    process = apply_xl(nanjing)
    for user in (p.xl_head, p.jy_approver, p.nj_approver):
        decide(process, user)
    task = only_open_task(process)
    body = client_for(p.xl_clerk).get(f"/api/tasks/{task.pk}/").json()
    assert body["kind"] == "registration" and body["step"] == "注册账号并备案"
    assert set(body["fields"]) == {"platform_id", "verified_subject", "live_on"}
    assert body["fields"]["live_on"]["type"] == "date"
    assert body["fields"]["platform_id"] == {"type": "string", "label": "平台账号ID（微信号/UID）",
                                             "required": True}


def test_it_claims_a_task(nanjing, client_for):
    process = apply_xl(nanjing)
    task = only_open_task(process)
    response = client_for(nanjing.p.xl_head).post(f"/api/tasks/{task.pk}/claim/")
    assert response.status_code == 200
    assert response.json()["status"] == "assigned"
    assert response.json()["assigned_to"]["username"] == "xl_head"
    task.refresh_from_db()
    assert task.owner == nanjing.p.xl_head and task.status == STATUS.ASSIGNED


def test_claiming_a_task_someone_else_holds_is_409(nanjing, client_for):
    p = nanjing.p
    membership_add(user=p.jb_approver, unit=nanjing.u.jy, role="approver")
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    task = only_open_task(process)
    assert client_for(p.jy_approver).post(f"/api/tasks/{task.pk}/claim/").status_code == 200
    response = client_for(p.jb_approver).post(f"/api/tasks/{task.pk}/claim/")
    assert response.status_code == 409
    assert response.json() == {"detail": "该任务已由建邺审核人签收办理。"}
    response = client_for(p.jb_approver).post(f"/api/tasks/{task.pk}/decide/",
                                              {"decision": "approve"}, format="json")
    assert response.status_code == 409
    assert not Decision.objects.filter(task=task).exists()


def test_claiming_a_done_task_is_409(nanjing, client_for):
    process = apply_xl(nanjing)
    task = only_open_task(process)
    decide(process, nanjing.p.xl_head)
    response = client_for(nanjing.p.xl_head).post(f"/api/tasks/{task.pk}/claim/")
    assert response.status_code == 409
    assert response.json() == {"detail": "该任务已办结，不能重复处理。"}


def test_a_non_candidate_in_scope_gets_403(nanjing, client_for):
    # The 建邺 approver sees 兴隆's process (its subtree) but is not the street's unit head.
    process = apply_xl(nanjing)
    task = only_open_task(process)
    client = client_for(nanjing.p.jy_approver)
    assert client.get(f"/api/tasks/{task.pk}/").status_code == 200
    assert client.post(f"/api/tasks/{task.pk}/claim/").status_code == 403
    response = client.post(f"/api/tasks/{task.pk}/decide/", {"decision": "approve"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "您无权办理该任务。"}
    assert not Decision.objects.exists()


def test_it_approves_a_task_and_moves_the_chain_on(nanjing, client_for):
    p = nanjing.p
    process = apply_xl(nanjing)
    task = only_open_task(process)
    response = client_for(p.xl_head).post(f"/api/tasks/{task.pk}/decide/",
                                          {"decision": "approve", "comment": "同意"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "done"
    row = Decision.objects.get(task=task)
    assert (row.decision, row.comment, row.actor) == ("approve", "同意", p.xl_head)
    assert [r["step"] for r in results(client_for(p.jy_approver).get("/api/tasks/"))] == [
        "建邺区人民政府办公室审核"]


def test_reject_needs_a_comment(nanjing, client_for):
    process = apply_xl(nanjing)
    task = only_open_task(process)
    client = client_for(nanjing.p.xl_head)
    response = client.post(f"/api/tasks/{task.pk}/decide/", {"decision": "reject"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"comment": ["不同意或退回时必须说明理由。"]}
    response = client.post(f"/api/tasks/{task.pk}/decide/",
                           {"decision": "reject", "comment": "重复"}, format="json")
    assert response.status_code == 200
    process.account.refresh_from_db()
    assert process.account.state == AccountState.DRAFT


def test_it_returns_to_an_earlier_step(nanjing, client_for):
    p = nanjing.p
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    task = only_open_task(process)
    client = client_for(p.jy_approver)
    response = client.post(f"/api/tasks/{task.pk}/decide/",
                           {"decision": "return", "comment": "补充", "return_to": 5}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["return_to"]
    response = client.post(f"/api/tasks/{task.pk}/decide/",
                           {"decision": "return", "comment": "补充", "return_to": 0}, format="json")
    assert response.status_code == 200
    assert only_open_task(process).data["step"] == 0


@pytest.mark.parametrize("payload, field", [
    ({}, "decision"),
    ({"decision": "maybe"}, "decision"),
    ({"decision": "approve", "data": "x"}, "data"),
    ({"decision": "return", "comment": "x", "return_to": -1}, "return_to"),
    ({"decision": "return", "comment": "x", "return_to": "one"}, "return_to"),
])
def test_it_refuses_malformed_decisions(nanjing, client_for, payload, field):
    process = apply_xl(nanjing)
    task = only_open_task(process)
    response = client_for(nanjing.p.xl_head).post(f"/api/tasks/{task.pk}/decide/", payload,
                                                  format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_it_registers_through_data_and_activates_the_account(nanjing, client_for):
    p = nanjing.p
    process = apply_xl(nanjing)
    for user in (p.xl_head, p.jy_approver, p.nj_approver):
        decide(process, user)
    task = only_open_task(process)
    client = client_for(p.xl_clerk)
    url = f"/api/tasks/{task.pk}/decide/"
    response = client.post(url, {"decision": "approve", "data": {"platform_id": "gh_xl"}},
                           format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"verified_subject", "live_on"}
    response = client.post(url, {"decision": "reject", "comment": "x", "data": {}}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["decision"]
    response = client.post(url, {"decision": "approve", "data": {
        "platform_id": "gh_xl", "verified_subject": "兴隆街道办事处", "live_on": "2026-12-01"}},
        format="json")
    assert response.status_code == 200, response.content
    process.account.refresh_from_db()
    assert process.account.state == AccountState.ACTIVE
    assert process.account.platform_id == "gh_xl"


def test_a_second_decision_is_409_and_writes_nothing(nanjing, client_for):
    process = apply_xl(nanjing)
    task = only_open_task(process)
    client = client_for(nanjing.p.xl_head)
    url = f"/api/tasks/{task.pk}/decide/"
    assert client.post(url, {"decision": "approve"}, format="json").status_code == 200
    response = client.post(url, {"decision": "approve"}, format="json")
    assert response.status_code == 409
    assert response.json() == {"detail": "该任务已办结，不能重复处理。"}
    assert Decision.objects.filter(task=task).count() == 1


def test_unknown_tasks_are_404(nanjing, client_for):
    client = client_for(nanjing.p.xl_head)
    assert client.get("/api/tasks/999999/").status_code == 404
    assert client.post("/api/tasks/999999/claim/").status_code == 404
    assert client.post("/api/tasks/999999/decide/", {"decision": "approve"},
                       format="json").status_code == 404


def test_the_start_task_is_not_an_api_task(nanjing, client_for):
    from viewflow.workflow.models import Task

    process = apply_xl(nanjing)
    start = Task.objects.filter(process=process).exclude(flow_task_type="HUMAN").first()
    assert start is not None
    assert client_for(nanjing.p.xl_clerk).get(f"/api/tasks/{start.pk}/").status_code == 404

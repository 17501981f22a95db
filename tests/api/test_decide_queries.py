"""The decide path stays lean (issue 15, bench/decisions.py): the SQL one decision costs
through the API and the task page is pinned, the task is loaded once for the request and
once under the lock, and what the leaner path reads from memory is still right (the
response, the decision's unit, the next step's routing)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from viewflow.workflow.status import STATUS

from approvals.models import Decision, TaskAssignment
from approvals.nodes import task_url
from tests.approvals.helpers import apply_xl, decide, only_open_task

pytestmark = pytest.mark.django_db

# Statements of one whole request on SQLite (token auth, scope, the task, the lock, the
# checks, the decision, viewflow moving the chain loop on, the answer). Measured 61 before
# issue 15 (intermediate step) and 91 at the final step.
API_INTERMEDIATE_MAX = 46
API_FINAL_MAX = 73  # 68 + the opening flow's check_app gateway (its task row, savepoints)
# The task page: GET (the page) + POST (the decision); 73 before.
WEB_INTERMEDIATE_MAX = 66  # 59 + the redesigned task page's own reads (issue 11a)


def _api_decide(client, task_id):
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(f"/api/tasks/{task_id}/decide/",
                               {"decision": "approve", "comment": "同意"},
                               content_type="application/json")
    assert response.status_code == 200, response.content
    return response, [q["sql"] for q in ctx.captured_queries]


def _task_row_loads(queries, task_id):
    return [q for q in queries
            if q.startswith('SELECT "viewflow_task"."id"') and f'"viewflow_task"."id" = {task_id}' in q]


def test_an_intermediate_api_decision_runs_at_most_the_pinned_sql(nanjing, client_for):
    p = nanjing.p
    process = apply_xl(nanjing)
    task = only_open_task(process)
    response, queries = _api_decide(client_for(p.xl_head), task.pk)
    assert len(queries) <= API_INTERMEDIATE_MAX, "\n".join(queries)
    # once for the request (scope), once under the lock — no reload for the answer
    assert len(_task_row_loads(queries, task.pk)) == 2
    body = response.json()
    assert body["status"] == "done"
    assert body["assigned_to"] == {"username": "xl_head", "full_name": "兴隆负责人"}
    decision = Decision.objects.get(task_id=task.pk)
    assert (decision.actor, decision.unit, decision.acting_for) == (p.xl_head, nanjing.u.xl, None)
    nxt = only_open_task(process)
    assert nxt.data["step"] == 1
    assert [(a.unit, a.role) for a in TaskAssignment.objects.filter(task=nxt)] == [
        (nanjing.u.jy, "approver")]


def test_the_final_api_decision_issues_the_notice_within_its_pin(nanjing, client_for):
    p = nanjing.p
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    decide(process, p.jy_approver)
    task = only_open_task(process)
    response, queries = _api_decide(client_for(p.nj_approver), task.pk)
    assert len(queries) <= API_FINAL_MAX, "\n".join(queries)
    assert response.json()["status"] == "done"
    process.account.refresh_from_db()
    assert process.account.state == "approved"
    assert process.account.notices.filter(kind="opening_approval").count() == 1
    assert only_open_task(process).flow_task.task_kind == "registration"


def test_the_answer_to_a_registration_shows_the_account_it_changed(nanjing, client_for):
    p = nanjing.p
    process = apply_xl(nanjing)
    for actor in (p.xl_head, p.jy_approver, p.nj_approver):
        decide(process, actor)
    task = only_open_task(process)
    response = client_for(p.xl_clerk).post(
        f"/api/tasks/{task.pk}/decide/",
        {"decision": "approve", "data": {"platform_id": "gh_xl", "verified_subject": "兴隆街道办事处",
                                         "live_on": "2026-06-10"}},
        content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["account"]["platform_id"] == "gh_xl"
    assert response.json()["status"] == "done"


def test_a_web_decision_runs_at_most_the_pinned_sql(nanjing, client):
    p = nanjing.p
    process = apply_xl(nanjing)
    task = only_open_task(process)
    client.force_login(p.xl_head)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(task_url(task)).status_code == 200
        response = client.post(task_url(task), {"d-decision": "approve", "d-comment": "同意"})
    assert response.status_code == 302
    assert len(ctx.captured_queries) <= WEB_INTERMEDIATE_MAX, "\n".join(
        q["sql"] for q in ctx.captured_queries)
    task.refresh_from_db()
    assert task.status == STATUS.DONE
    assert Decision.objects.get(task_id=task.pk).unit == nanjing.u.xl


def test_a_stranger_is_still_refused_when_the_routing_rows_come_with_the_task(nanjing, client_for):
    process = apply_xl(nanjing)
    task = only_open_task(process)
    response = client_for(nanjing.p.jy_approver).post(
        f"/api/tasks/{task.pk}/decide/", {"decision": "approve"}, content_type="application/json")
    assert response.status_code == 403
    assert not Decision.objects.filter(task_id=task.pk).exists()

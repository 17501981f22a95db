"""The decide path stays lean (issue 15, bench/decisions.py): the SQL one decision costs
through the API and the task page is pinned — with its announcements and what runs after commit, as the
benchmark counts them —, the task is loaded once for the request and once under the lock,
and nothing was traded for it: the lock, the candidate and separation-of-duties checks, the
Decision row, the engine rows of the chain's gate, the next step's routing rows, the
account transition and the notifications are all still written. What the leaner path reads
from memory is still right (the response, the decision's unit, the next step's routing)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals import selectors, services
from approvals.flows import OpeningFlow
from approvals.models import Decision, TaskAssignment
from approvals.nodes import task_url
from lifecycle.models import AccountTransition, Notification
from tests.approvals.helpers import apply_xl, decide, only_open_task
from tests.approvals.test_countersign_flow import _to_countersign, countersign  # noqa: F401

pytestmark = pytest.mark.django_db

# Statements of one whole request on SQLite (token auth, scope, the task, the lock, the
# checks, the decision, the chain moving on, the announcements, the answer) and what runs
# after its commit, without the test transaction's own savepoint pair. Issue 15: 61 before
# (intermediate step; 91 at the final step, 73 through the task page GET + POST), then
# 46/73/66 (helper 15, without the announcements), 60 with them (main's new-task
# notifications); the chain's gate (approvals.nodes.ChainGate), the one notify_many and
# the reads kept in memory brought it to 23; 22: the routing rows come with their units in
# one query (approvals.api.with_task_rows).
API_INTERMEDIATE_MAX = 22
# + the account transition, the 批复 (number, row), the registration step; and, as the
# tests render eagerly, the 批复's rendering after commit (~20 statements of its own; the
# benchmark queues it to its worker as production does). 91 before issue 15; 71, then 68:
# the transition hands the moved account back without re-reading it, the account's unit
# is the applying unit the lock's reload joined, and so is the registration step's unit;
# 67: the 批复's issuing unit is the final step's routing row's (approvals.nodes.ROUTED_UNITS)
# and its chain of sign-offs is read as columns; 66: the routing rows with their units in one
# query.
API_FINAL_MAX = 66
# The task page: GET (the page) + POST (the decision) + the announcements; 73 before, 36,
# then 35: the timeline reuses the page task's routing rows; 34: the 加签 and 转办 pickers
# are pages of their own (workbench.views.oa.TaskOaPage), not looked up on every view; 33:
# the timeline's holders from the routing rows the page loaded (approvals.selectors.holders_of).
WEB_INTERMEDIATE_MAX = 33  # 10 for the page, 23 for the decision


def _statements(ctx) -> list[str]:
    """The statements of a request, without the test transaction's savepoint pair around
    the decision's atomic block (in production that block is the transaction)."""
    queries = [q["sql"] for q in ctx.captured_queries]
    marks = [q for q in queries if "SAVEPOINT" in q]
    outer = {marks[0], marks[-1]} if marks else set()
    return [q for q in queries if q not in outer]


def _api_decide(client, task_id, callbacks):
    with CaptureQueriesContext(connection) as ctx, callbacks(execute=True):
        response = client.post(f"/api/tasks/{task_id}/decide/",
                               {"decision": "approve", "comment": "同意"},
                               content_type="application/json")
    assert response.status_code == 200, response.content
    return response, _statements(ctx)


def _task_row_loads(queries, task_id):
    return [q for q in queries
            if q.startswith('SELECT "viewflow_task"."id"') and f'"viewflow_task"."id" = {task_id}' in q]


def test_an_intermediate_api_decision_runs_at_most_the_pinned_sql(
        nanjing, client_for, django_capture_on_commit_callbacks):
    p = nanjing.p
    process = apply_xl(nanjing)
    task = only_open_task(process)
    response, queries = _api_decide(client_for(p.xl_head), task.pk,
                                    django_capture_on_commit_callbacks)
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


def test_the_final_api_decision_issues_the_notice_within_its_pin(
        nanjing, client_for, django_capture_on_commit_callbacks):
    p = nanjing.p
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    decide(process, p.jy_approver)
    task = only_open_task(process)
    response, queries = _api_decide(client_for(p.nj_approver), task.pk,
                                    django_capture_on_commit_callbacks)
    assert len(queries) <= API_FINAL_MAX, "\n".join(queries)
    assert response.json()["status"] == "done"
    process.account.refresh_from_db()
    assert process.account.state == "approved"
    assert process.account.notices.filter(kind="opening_approval").count() == 1
    # the 批复 is the last step's unit's, and names every sign-off of the chain in order
    notice = process.account.notices.get(kind="opening_approval")
    assert notice.issuing_unit == nanjing.u.nj
    assert [(row["unit"], row["decision"], row["comment"], row["actor"])
            for row in notice.context["chain"]] == [
        ("兴隆街道办事处", "同意", "", "兴隆负责人"), ("建邺区人民政府办公室", "同意", "", "建邺审核人"),
        ("南京市人民政府办公室", "同意", "同意", "南京审核人")]
    registration = only_open_task(process)
    assert registration.flow_task.task_kind == "registration"
    # nothing traded: the account's transition row, the 批复, the applicant's new to-do
    transition = AccountTransition.objects.get(account=process.account, to_state="approved")
    assert (transition.actor, transition.process_id) == (p.nj_approver, process.pk)
    assert Notification.objects.filter(recipient=p.xl_clerk, key=f"task:{registration.pk}").exists()
    assert [(a.unit, a.role) for a in TaskAssignment.objects.filter(task=registration)] == [
        (nanjing.u.xl, "applicant")]


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


def test_a_web_decision_runs_at_most_the_pinned_sql(
        nanjing, client, django_capture_on_commit_callbacks):
    p = nanjing.p
    process = apply_xl(nanjing)
    task = only_open_task(process)
    client.force_login(p.xl_head)
    with CaptureQueriesContext(connection) as page:
        assert client.get(task_url(task)).status_code == 200
    with CaptureQueriesContext(connection) as ctx, django_capture_on_commit_callbacks(
            execute=True):
        response = client.post(task_url(task), {"d-decision": "approve", "d-comment": "同意"})
    assert response.status_code == 302
    queries = [q["sql"] for q in page.captured_queries] + _statements(ctx)
    assert len(queries) <= WEB_INTERMEDIATE_MAX, "\n".join(queries)
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


def test_the_lean_path_still_locks_checks_and_writes_every_row(
        nanjing, client_for, django_capture_on_commit_callbacks):
    """One intermediate API decision: the process row locked before the task is read
    again, the candidate and separation-of-duties checks asked, the Decision row, the task
    done with its holder, one gate row (done, after the sign-off) for the engine, the next
    step's task with its routing row, and the announcements (the applicant's 审批通过, the
    next candidates' 新待办) written."""
    p = nanjing.p
    process = apply_xl(nanjing)
    task = only_open_task(process)
    _response, queries = _api_decide(client_for(p.xl_head), task.pk,
                                     django_capture_on_commit_callbacks)
    lock = next(i for i, q in enumerate(queries) if '"approvals_accountprocess"' in q
                and q.lstrip().startswith("SELECT"))
    reload = next(i for i, q in enumerate(queries) if i > lock and q.startswith(
        'SELECT "viewflow_task"."id"') and f'"viewflow_task"."id" = {task.pk}' in q)
    duties = next(i for i, q in enumerate(queries) if '"approvals_decision"' in q
                  and '"actor_id" IN' in q)
    insert = next(i for i, q in enumerate(queries) if q.startswith('INSERT INTO "approvals_decision"'))
    assert lock < reload < duties < insert
    task.refresh_from_db()
    assert (task.status, task.owner_id) == (STATUS.DONE, p.xl_head.pk)
    decision = Decision.objects.get(task=task)
    assert (decision.decision, decision.step, decision.round, decision.actor) == (
        "approve", 0, 0, p.xl_head)
    gate = Task.objects.get(process=process, flow_task=OpeningFlow.gate)
    assert gate.status == STATUS.DONE and gate.finished is not None
    assert list(gate.previous.all()) == [task]
    nxt = only_open_task(process)
    assert list(nxt.previous.all()) == [gate]
    assert TaskAssignment.objects.filter(task=nxt, unit=nanjing.u.jy, role="approver").exists()
    assert Notification.objects.filter(recipient=p.xl_clerk, kind="decided",
                                       key=f"decision:{decision.pk}").exists()
    assert Notification.objects.filter(recipient=p.jy_approver, kind="task_new",
                                       key=f"task:{nxt.pk}").exists()
    # the former four gateway nodes are not walked any more
    assert not Task.objects.filter(process=process, flow_task__in=[
        OpeningFlow.gather, OpeningFlow.tally, OpeningFlow.route]).exists()


def test_a_countersign_waits_at_one_gate_row_and_a_gather_left_in_flight_is_closed(
        countersign):  # noqa: F811
    """会签: the first sibling's arrival opens the gate (started, waiting); the second one
    completes it. A process in flight under the former graph — its gather join left open
    by the first sibling — is moved on by the gate too, the gather closed."""
    p = countersign.p
    process = _to_countersign(countersign)
    by_unit = {t.data["units"][0]: t for t in selectors.open_tasks(process)}
    services.task_decide(task=by_unit["JB"], actor=p.jb_approver, decision="approve")
    gate = Task.objects.get(process=process, flow_task=OpeningFlow.gate, status=STATUS.STARTED)
    assert list(gate.previous.all()) == [by_unit["JB"]]
    # as the former graph left it: the waiting join is a gather row
    Task.objects.filter(pk=gate.pk).update(flow_task=OpeningFlow.gather, flow_task_type="JOIN")
    services.task_decide(task=by_unit["NJZJ"], actor=p.njzj_head, decision="approve")
    gather = Task.objects.get(pk=gate.pk)
    assert gather.status == STATUS.DONE
    process.account.refresh_from_db()
    assert process.account.state == "approved"
    assert only_open_task(process).flow_task.task_kind == "registration"

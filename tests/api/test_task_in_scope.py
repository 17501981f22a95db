"""One task by id within the caller's scope (approvals.selectors.task_in_scope, issue 15):
loaded by its key, the scope checked on the loaded process — the same rule as
tasks_in_scope, for the task page, the API's task routes and `decide`. A process of a unit
under the user's units answers from the request's memberships; the chain and copy parts
of the rule still ask the database; everyone else gets a 404."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from viewflow.workflow.models import Process, Task

from approvals import selectors, services
from approvals.flows import OpeningFlow
from approvals.models import ProcessCopy
from approvals.nodes import task_url
from lifecycle.services import user_upsert
from tests.approvals.helpers import apply_xl, decide, only_open_task
from tests.approvals.test_countersign_flow import _to_countersign, countersign  # noqa: F401

pytestmark = pytest.mark.django_db


def _rule(user, task):
    return selectors.tasks_in_scope(user).filter(pk=task.pk).exists()


def test_it_answers_as_tasks_in_scope_for_every_persona(nanjing):
    process = apply_xl(nanjing)
    task = only_open_task(process)
    for user in vars(nanjing.p).values():
        found = selectors.task_in_scope(user, task.pk)
        assert (found is not None) == _rule(user, task), user.username
    assert selectors.task_in_scope(nanjing.p.jy_approver, task.pk).pk == task.pk
    assert selectors.task_in_scope(nanjing.p.jb_approver, task.pk) is None
    assert selectors.task_in_scope(nanjing.p.jy_approver, 10**9) is None


def test_a_unit_under_the_users_units_costs_no_scope_query(nanjing):
    process = apply_xl(nanjing)
    task = only_open_task(process)
    user = nanjing.p.jy_approver
    selectors.task_in_scope(user, task.pk)  # the request's memberships, read once
    with CaptureQueriesContext(connection) as ctx:
        assert selectors.task_in_scope(user, task.pk) is not None
    assert len(ctx.captured_queries) == 1


def test_a_countersigning_unit_outside_the_tree_sees_its_task_through_the_chain(
        countersign, client):  # noqa: F811
    """江北 is no ancestor of 兴隆街道: its approver sees the process only because the chain
    passes 江北 — the database part of the rule."""
    p = countersign.p
    process = _to_countersign(countersign)
    jb_task = next(t for t in selectors.open_tasks(process) if t.data["units"] == ["JB"])
    assert selectors.task_in_scope(p.jb_approver, jb_task.pk).pk == jb_task.pk
    client.force_login(p.jb_approver)
    assert client.get(task_url(jb_task)).status_code == 200
    # 顶山街道 is under 江北 but neither above 兴隆 nor on the chain
    client.force_login(p.jbdp_clerk)
    assert client.get(task_url(jb_task)).status_code == 404
    assert selectors.task_in_scope(p.jbdp_clerk, jb_task.pk) is None


def test_a_copy_opens_the_task_to_its_reader_and_nobody_else(nanjing, client_for):
    p = nanjing.p
    process = apply_xl(nanjing)
    task = only_open_task(process)
    assert client_for(p.jb_approver).get(f"/api/tasks/{task.pk}/").status_code == 404
    services.process_copy(process=process, actor=p.nj_approver, users=[p.jb_approver])
    assert ProcessCopy.objects.filter(process=process, user=p.jb_approver).exists()
    assert client_for(p.jb_approver).get(f"/api/tasks/{task.pk}/").status_code == 200
    assert client_for(p.jbdp_clerk).get(f"/api/tasks/{task.pk}/").status_code == 404


def test_a_superuser_sees_every_task_and_others_no_task_of_another_flow(nanjing):
    process = apply_xl(nanjing)
    decide(process, nanjing.p.xl_head)
    admin = user_upsert(username="root_admin", full_name="管理员", password="x-12345678")
    admin.is_superuser = True
    admin.save()
    task = Task.objects.filter(process=process).order_by("pk").first()
    assert selectors.task_in_scope(admin, task.pk).pk == task.pk
    # a task whose process is not an account flow's: outside every scope but the superuser's
    bare = Process.objects.create(flow_class=OpeningFlow)
    other = Task.objects.create(process=bare, flow_task=OpeningFlow.sign_off)
    assert selectors.task_in_scope(admin, other.pk).pk == other.pk
    assert selectors.task_in_scope(nanjing.p.nj_approver, other.pk) is None

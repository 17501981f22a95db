"""The authorization table (issue 12 item 4, issue 11 item 7): persona × route × object →
expected status, for govmedia's own pages, the REST API and viewflow's URLs — including an
in-scope process id paired with another process's task id (the finding: a 江北 approver read
a 建邺 task that way)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from approvals.flows import OpeningFlow
from approvals.models import AccountProcess, Decision
from approvals.nodes import process_url
from lifecycle.models import AccountState
from tests.approvals.helpers import apply_xl, decide, only_open_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(nanjing):
    """A: 兴隆 (建邺) application at the district step; B: 顶山 (江北) at the street step."""
    from approvals import services

    a = apply_xl(nanjing)
    decide(a, nanjing.p.xl_head)
    b = services.opening_apply(
        actor=nanjing.p.jbdp_clerk, unit=nanjing.u.jbdp, platform="weibo", name="顶山发布",
        purpose="发布街道信息", operator="某公司", contact_name="李四", contact_phone="025-87654321")
    root = get_user_model().objects.create_superuser("root", "root@example.gov.cn", "pw")
    return nanjing, a, only_open_task(a), b, only_open_task(b), root


def _flow(name, process, task=None, node="sign_off"):
    flow = OpeningFlow.instance
    if task is None:
        return flow.reverse(name, args=[process.pk]) if process else flow.reverse(name)
    return flow.reverse(f"{node}:{name}", args=[process.pk, task.pk])


# (persona, route builder, expected status); the builders take (a, task_a, b, task_b).
WEB = [
    # govmedia's task page checks the task itself
    ("jy_approver", lambda a, ta, b, tb: reverse("work:task", args=[ta.pk]), 200),
    ("jb_approver", lambda a, ta, b, tb: reverse("work:task", args=[ta.pk]), 404),
    ("jy_approver", lambda a, ta, b, tb: reverse("work:task", args=[tb.pk]), 404),
    # viewflow's process page: scoped by process
    ("jy_approver", lambda a, ta, b, tb: process_url(a), 200),
    ("jb_approver", lambda a, ta, b, tb: process_url(a), 404),
    ("root", lambda a, ta, b, tb: process_url(a), 200),
    # viewflow's task pages with mismatched ids: 404 for everyone
    ("jb_approver", lambda a, ta, b, tb: _flow("detail", b, ta), 404),
    ("jy_approver", lambda a, ta, b, tb: _flow("detail", a, tb), 404),
    ("root", lambda a, ta, b, tb: _flow("detail", a, tb), 404),
    ("jb_approver", lambda a, ta, b, tb: _flow("execute", b, ta), 404),
    ("jb_approver", lambda a, ta, b, tb: _flow("index", b, ta), 404),
    # matching ids: our node's execute is the holder's redirect to the task page (viewflow
    # refuses a non-holder); engine pages are for root
    ("jy_approver", lambda a, ta, b, tb: _flow("execute", a, ta), 403),
    ("jy_approver", lambda a, ta, b, tb: _flow("detail", a, ta), 404),
    ("root", lambda a, ta, b, tb: _flow("detail", a, ta), 200),
    # dashboards, node lists and charts: superusers only
    ("jy_approver", lambda a, ta, b, tb: _flow("index", None), 404),
    ("jy_approver", lambda a, ta, b, tb: _flow("process_list", None), 404),
    ("jy_approver", lambda a, ta, b, tb: _flow("task_list", None), 404),
    ("jy_approver", lambda a, ta, b, tb: _flow("chart", None), 404),
    ("jy_approver", lambda a, ta, b, tb: _flow("process_chart", a), 404),
    ("root", lambda a, ta, b, tb: _flow("process_list", None), 200),
    ("root", lambda a, ta, b, tb: _flow("task_list", None), 200),
    # built-in actions: closed to everyone (govmedia's services do these)
    ("jy_approver", lambda a, ta, b, tb: _flow("assign", a, ta), 403),
    ("root", lambda a, ta, b, tb: _flow("assign", a, ta), 403),
    ("root", lambda a, ta, b, tb: _flow("unassign", a, ta), 403),
    ("root", lambda a, ta, b, tb: _flow("cancel", a, ta), 403),
    ("root", lambda a, ta, b, tb: _flow("undo", a, ta), 403),
    ("root", lambda a, ta, b, tb: _flow("revive", a, ta), 403),
    ("root", lambda a, ta, b, tb: _flow("process_cancel", a), 403),
    ("xl_clerk", lambda a, ta, b, tb: _flow("process_cancel", a), 403),
    # the anonymous user is sent to the login page
    (None, lambda a, ta, b, tb: process_url(a), 302),
    (None, lambda a, ta, b, tb: reverse("work:task", args=[ta.pk]), 302),
]

API = [
    ("jy_approver", "get", lambda a, ta, b, tb: f"/api/tasks/{ta.pk}/", 200),
    ("jb_approver", "get", lambda a, ta, b, tb: f"/api/tasks/{ta.pk}/", 404),
    ("jb_approver", "post", lambda a, ta, b, tb: f"/api/tasks/{ta.pk}/claim/", 404),
    ("jb_approver", "post", lambda a, ta, b, tb: f"/api/tasks/{ta.pk}/decide/", 404),
    ("xl_clerk", "post", lambda a, ta, b, tb: f"/api/tasks/{ta.pk}/decide/", 403),
    ("jy_approver", "get", lambda a, ta, b, tb: f"/api/accounts/{b.account_id}/", 404),
]


def _user(nanjing, persona):
    return getattr(nanjing.p, persona) if hasattr(nanjing.p, persona) else (
        get_user_model().objects.get(username=persona))


@pytest.mark.parametrize("persona,route,expected", WEB)
@pytest.mark.parametrize("method", ["get", "post"])
def test_web(client, world, persona, route, expected, method):
    nanjing, a, ta, b, tb, _root = world
    if persona:
        client.force_login(_user(nanjing, persona))
    url = route(a, ta, b, tb)
    status = getattr(client, method)(url).status_code
    if method == "post" and expected == 200:
        expected = (200, 302, 400, 405)  # a page that exists: a form answer, never 403/404
    assert status in (expected if isinstance(expected, tuple) else (expected,)), (persona, url)
    # nothing moved
    a.refresh_from_db()
    assert a.status == "NEW" and a.account.state == AccountState.APPLYING
    assert Decision.objects.filter(process=a).count() == 1


@pytest.mark.parametrize("persona,method,route,expected", API)
def test_api(world, persona, method, route, expected):
    nanjing, a, ta, b, tb, _root = world
    client = APIClient()
    token = Token.objects.get_or_create(user=_user(nanjing, persona))[0]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    body = {"decision": "approve"} if method == "post" else None
    response = getattr(client, method)(route(a, ta, b, tb), body, format="json")
    assert response.status_code == expected, response.content
    assert Decision.objects.filter(process=a).count() == 1
    assert AccountProcess.objects.get(pk=a.pk).account.state == AccountState.APPLYING

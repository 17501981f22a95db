"""Approvers see only tasks and processes of their units — in lists and by URL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals import selectors
from approvals.nodes import process_url
from tests.approvals.helpers import apply_xl, decide, only_open_task

pytestmark = pytest.mark.django_db


def _process_url(process):
    return process_url(process)


def test_it_hides_another_districts_process_page(client, nanjing):
    process = apply_xl(nanjing)
    client.force_login(nanjing.p.jb_approver)
    assert client.get(_process_url(process)).status_code == 404
    client.force_login(nanjing.p.jy_approver)
    page = client.get(_process_url(process))
    assert page.status_code == 200


def test_it_hides_another_districts_task_page_and_viewflow_task_urls(client, nanjing):
    process = apply_xl(nanjing)
    task = only_open_task(process)
    client.force_login(nanjing.p.jb_approver)
    assert client.get(reverse("work:task", args=[task.pk])).status_code == 404
    detail = task.flow_task.reverse("detail", args=[process.pk, task.pk])
    assert client.get(detail).status_code == 404


def test_it_lists_only_own_units_work_in_queue_and_inbox(client, nanjing):
    p = nanjing.p
    mine = apply_xl(nanjing)
    decide(mine, p.xl_head)
    from approvals import services

    other = services.opening_apply(
        actor=p.jbdp_clerk, unit=nanjing.u.jbdp, platform="douyin", name="顶山抖音",
        purpose="发布", contact_name="李四", contact_phone="025-2",
    )
    assert other.chain[1]["units"] == ["JB"]
    client.force_login(p.jy_approver)
    body = client.get(reverse("workflow:queue")).content.decode()
    assert "兴隆发布" in body and "顶山抖音" not in body
    assert list(selectors.processes_for(p.jy_approver)) == [mine]
    assert list(selectors.processes_for(p.jb_approver)) == [other]
    client.force_login(p.jb_approver)
    body = client.get(reverse("workflow:queue")).content.decode()
    assert "兴隆发布" not in body


def test_it_keeps_the_inbox_query_count_flat(client, nanjing):
    """The queue page's queries do not grow with the number of tasks listed."""
    p = nanjing.p

    def queue_queries():
        client.force_login(p.xl_head)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("workflow:queue")).status_code == 200
        return len(ctx)

    apply_xl(nanjing, name="一号", platform="weibo")
    one = queue_queries()
    for i, platform in enumerate(["douyin", "kuaishou", "toutiao", "bilibili"]):
        apply_xl(nanjing, name=f"账号{i}", platform=platform)
    assert len(selectors.queue_for(p.xl_head)) == 5
    assert queue_queries() == one


@pytest.mark.parametrize("page", ["", "flows/", "tasks/"])
def test_it_keeps_viewflows_per_flow_lists_for_superusers(client, nanjing, page, django_user_model):
    """The flow dashboard, its process list and its task list are engine pages: approvers get
    404 (their work is in the workbench), whether or not the process is in their scope; a
    superuser sees the process."""
    from django.urls import get_resolver

    from approvals.flows import OpeningFlow

    assert get_resolver().url_patterns  # the flows' namespaces exist once the URLconf is loaded
    process = apply_xl(nanjing, name="兴隆发布")
    url = OpeningFlow.instance.reverse("index") + page
    marker = f"/opening/{process.pk}/"
    for approver in (nanjing.p.jy_approver, nanjing.p.jb_approver):
        client.force_login(approver)
        assert client.get(url).status_code == 404, (approver, url)
    root = django_user_model.objects.create_superuser("root_scoping", password="x-Long-enough-9")
    client.force_login(root)
    response = client.get(url)
    assert response.status_code == 200 and marker in response.content.decode(), url

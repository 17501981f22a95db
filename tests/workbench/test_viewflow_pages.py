"""viewflow's own pages as govmedia's users see them: no dead 取消 button on the process
page, archive rows of start tasks lead somewhere, flows described in Chinese (not their
developer docstrings), viewflow's labels translated, no raw routing data on task pages."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation
from viewflow.workflow.models import Task

from approvals.flows import ChangeFlow, ClosureFlow, InspectionFlow, OpeningFlow, RectificationFlow
from approvals.nodes import process_url
from tests.approvals.helpers import apply_xl, decide

pytestmark = pytest.mark.django_db
FLOWS = (OpeningFlow, ClosureFlow, ChangeFlow, InspectionFlow, RectificationFlow)


@pytest.fixture
def submitted(client, nanjing):
    """兴隆发布 applied for by the clerk, approved by the street's head (next: 建邺区)."""
    process = apply_xl(nanjing)
    decide(process, nanjing.p.xl_head)
    client.force_login(nanjing.p.xl_clerk)
    return process


def _text(html: str) -> str:
    """What a reader sees: no scripts, no material icon ligatures, no tags."""
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    html = re.sub(r'<(i|span) class="[^"]*material-icons[^"]*"[^>]*>[a-z_]+</\1>', "", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&times;", "×")


def _as_superuser(client):
    """viewflow's dashboards, node lists and engine task pages are for superusers only
    (issue 11 item 7): their wording is checked as a superuser sees it."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username="超级管理员").first() or \
        get_user_model().objects.create_superuser("超级管理员", "", "pw")
    client.force_login(user)


def _flow_urls(flow):
    return [flow.instance.reverse(name) for name in ("index", "process_list", "task_list")]


def test_it_shows_no_cancel_button_on_the_process_page(client, submitted):
    html = client.get(process_url(submitted)).content.decode()
    assert "/cancel/" not in html and "取消" not in html
    # viewflow's cancel view itself stays closed to everyone.
    assert client.get(OpeningFlow.instance.reverse("process_cancel", args=[submitted.pk])).status_code == 403


def test_it_links_start_tasks_in_the_archive_to_the_process_page(client, submitted):
    start = Task.objects.get(process=submitted, flow_task=OpeningFlow.start)
    html = client.get(reverse("workflow:archive")).content.decode()
    assert reverse("work:task", args=[start.pk]) not in html
    assert f'href="{process_url(submitted)}"' in html
    assert client.get(process_url(submitted)).status_code == 200
    assert "发起" in _text(html) and "Start" not in _text(html)
    # Tasks with a govmedia task page still link to it.
    review = Task.objects.get(process=submitted, owner=submitted.account.unit.memberships.get(
        role="unit_head").user)
    client.force_login(review.owner)
    html = client.get(reverse("workflow:archive")).content.decode()
    assert f'href="{reverse("work:task", args=[review.pk])}"' in html


def test_it_describes_every_flow_in_chinese(client, submitted):
    _as_superuser(client)
    for flow in FLOWS:
        for url in _flow_urls(flow):
            text = _text(client.get(url).content.decode())
            assert "`" not in text and "NOTICE_PERIOD_WORKING_DAYS" not in text, url
            developer = (flow.__doc__ or "").strip().split("\n\n")[-1].strip().split("\n")[0]
            assert developer[:30] not in text, url
        summary = _text(client.get(flow.instance.reverse("index")).content.decode())
        assert "→" in summary or "检查员" in summary, flow  # the Chinese summary, not the title only
    text = _text(client.get(process_url(submitted)).content.decode())
    assert "申请单位提交开设申请 → 单位负责人审核" in text
    assert "Application → unit head" not in text
    # The inbox's "new process" dialog too.
    text = _text(client.get(reverse("workflow:inbox")).content.decode())
    assert "Application → unit head" not in text and "`" not in text


def test_it_translates_viewflows_labels(client, submitted):
    text = _text(client.get(reverse("workflow:archive")).content.decode())
    assert "发起申请" in text and " of " not in text  # 已办 is govmedia's page (todo.DoneView)
    _as_superuser(client)
    text = _text(client.get(OpeningFlow.instance.reverse("process_list")).content.decode())
    for english in ("Process id", "Brief", "Active tasks"):
        assert english not in text
    assert "流程编号" in text and "进行中的任务" in text and "账号开设 #" in text
    text = _text(client.get(OpeningFlow.instance.reverse("task_list")).content.decode())
    assert "Process summary" not in text and "所属流程" in text
    assert not re.search(r"\b(Start|Review|Fan Out|Route|Tally|Gather)\b", text)
    text = _text(client.get(process_url(submitted)).content.decode())
    assert "download BPMN" not in text and "下载流程图（BPMN）" in text
    assert not re.search(r"\bStart\b", text) and "发起" in text


def test_it_hides_raw_task_data_on_task_pages(client, submitted):
    _as_superuser(client)
    for task in Task.objects.filter(process=submitted):
        url = OpeningFlow.instance.reverse("process_detail", args=[submitted.pk]) + \
            f"{task.flow_task.name}/{task.pk}/detail/"
        response = client.get(url)
        assert response.status_code == 200, url
        text = _text(response.content.decode())
        for raw in ("'role'", "'round'", "'units'", "unit_head", "JYXL", "Brief", "Permission"):
            assert raw not in text, (url, raw)
        assert not re.search(r"[A-Za-z]{3,}", text.replace("BPMN", "").replace("xl_clerk", "")
                             .replace("xl_head", "").replace("menu", "")), (url, text)


def test_it_speaks_english_when_asked(client, submitted):
    try:
        html = client.get(process_url(submitted), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    finally:
        translation.activate("zh-hans")
    text = _text(html)
    assert "The unit applies → unit head → chain sign-off" in text
    assert "申请单位提交开设申请" not in text

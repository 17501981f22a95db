"""The opening flow through the web inbox: apply, three approvers sign off, register."""

from __future__ import annotations

import pytest
from django.urls import reverse

from approvals import selectors
from approvals.models import AccountProcess
from lifecycle.models import Account, AccountState
from tests.approvals.helpers import apply_xl, only_open_task

pytestmark = pytest.mark.django_db


def _decide(client, user, task, **post):
    client.force_login(user)
    return client.post(reverse("work:task", args=[task.pk]), {f"d-{k}": v for k, v in post.items()})


def test_it_applies_from_the_web_form(client, nanjing):
    client.force_login(nanjing.p.xl_clerk)
    page = client.get(reverse("work:apply_opening"))
    assert page.status_code == 200
    assert "兴隆街道办事处" in page.content.decode()
    response = client.post(
        reverse("work:apply_opening"),
        {"unit": "JYXL", "platform": "weibo", "name": "兴隆微博", "purpose": "发布信息",
         "operator": "", "contact_name": "张三", "contact_phone": "025-12345678"},
    )
    assert response.status_code == 302
    account = Account.objects.get(name="兴隆微博")
    assert account.state == AccountState.APPLYING
    assert AccountProcess.objects.get(account=account).applicant == nanjing.p.xl_clerk


def test_it_shows_the_rule_message_on_the_form_and_writes_nothing(client, nanjing):
    apply_xl(nanjing, platform="weibo", name="兴隆微博")
    client.force_login(nanjing.p.xl_clerk)
    response = client.post(
        reverse("work:apply_opening"),
        {"unit": "JYXL", "platform": "weibo", "name": "兴隆微博二号", "purpose": "发布",
         "contact_name": "张三", "contact_phone": "025-12345678"},
    )
    assert response.status_code == 400
    assert "原则上一个单位在同一平台只开设一个账号" in response.content.decode()
    assert not Account.objects.filter(name="兴隆微博二号").exists()


def test_it_runs_the_chain_through_three_approvers_in_the_browser_views(client, nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    for approver in (p.xl_head, p.jy_approver, p.nj_approver):
        task = only_open_task(process)
        client.force_login(approver)
        todo = client.get(reverse("workflow:inbox"))
        assert todo.status_code == 200
        assert "兴隆发布" in todo.content.decode()
        page = client.get(reverse("work:task", args=[task.pk])).content.decode()
        for button in ('value="approve" data-testid="approve"', 'value="reject" data-testid="reject"',
                       'value="return" data-testid="return"'):
            assert button in page
        response = _decide(client, approver, task, decision="approve", comment="同意")
        assert response.status_code == 302, response.content.decode()[:2000]
    task = only_open_task(process)
    response = _decide(client, p.xl_clerk, task, platform_id="gh_xl", verified_subject="兴隆街道办事处",
                       live_on="2026-12-01")
    assert response.status_code == 302
    process.account.refresh_from_db()
    assert process.account.state == AccountState.ACTIVE


def test_it_shows_a_form_error_when_rejecting_without_a_reason(client, nanjing):
    process = apply_xl(nanjing)
    task = only_open_task(process)
    response = _decide(client, nanjing.p.xl_head, task, decision="reject", comment="")
    assert response.status_code == 400
    assert "必须说明理由" in response.content.decode()
    assert only_open_task(process).pk == task.pk


def test_it_answers_409_to_a_double_submission(client, nanjing):
    process = apply_xl(nanjing)
    task = only_open_task(process)
    assert _decide(client, nanjing.p.xl_head, task, decision="approve").status_code == 302
    response = _decide(client, nanjing.p.xl_head, task, decision="approve")
    assert response.status_code == 409
    assert "已办结" in response.content.decode()


def test_it_forbids_a_forged_post_to_another_units_task(client, nanjing):
    process = apply_xl(nanjing)
    task = only_open_task(process)
    # 江北新区's approver cannot even see a 建邺 process: 404, nothing decided.
    response = _decide(client, nanjing.p.jb_approver, task, decision="approve")
    assert response.status_code == 404
    # 建邺's approver sees it (their subtree) but is not the step's candidate: 403.
    response = _decide(client, nanjing.p.jy_approver, task, decision="approve")
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.owner is None and list(selectors.open_tasks(process)) == [task]

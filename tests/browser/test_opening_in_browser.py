"""A newcomer's path in a real browser: apply, three approvers sign off, register."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lifecycle.models import Account, AccountState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _decide_from_queue(page, base_url, account_name):
    page.goto(base_url + reverse("workflow:inbox"))
    page.get_by_role("link", name=account_name).first.click()
    page.wait_for_selector("[data-testid=decide-form]")
    page.fill("#id_d-comment", "同意")
    page.once("dialog", lambda dialog: dialog.accept())  # the last step asks to confirm
    with page.expect_navigation():
        page.click("[data-testid=approve]")


def test_it_opens_an_account_end_to_end(live_server, login, nanjing):
    base = live_server.url
    clerk = login("xl_clerk")
    clerk.goto(base + reverse("work:apply_opening"))
    clerk.select_option("#id_unit", "JYXL")
    clerk.select_option("#id_platform", "douyin")
    clerk.fill("#id_name", "兴隆街道抖音")
    clerk.fill("#id_purpose", "发布街道政务信息")
    clerk.fill("#id_contact_name", "张三")
    clerk.fill("#id_contact_phone", "025-12345678")
    with clerk.expect_navigation():
        clerk.click("[data-testid=submit]")
    account = Account.objects.get(name="兴隆街道抖音")
    assert account.state == AccountState.APPLYING

    for username in ("xl_head", "jy_approver", "nj_approver"):
        _decide_from_queue(login(username), base, "兴隆街道抖音")
    account.refresh_from_db()
    assert account.state == AccountState.APPROVED

    clerk.goto(base + reverse("workflow:inbox"))
    clerk.get_by_role("link", name="兴隆街道抖音").first.click()
    clerk.wait_for_selector("[data-testid=decide-form]")
    clerk.fill("#id_d-platform_id", "xinglong_douyin")
    clerk.fill("#id_d-verified_subject", "兴隆街道办事处")
    clerk.fill("#id_d-live_on", "2026-12-01")
    with clerk.expect_navigation():
        clerk.click("[data-testid=submit]")
    account.refresh_from_db()
    assert account.state == AccountState.ACTIVE
    assert account.platform_id == "xinglong_douyin"


def test_it_shows_nothing_of_jianye_to_a_jiangbei_approver(live_server, login, nanjing):
    from approvals import services

    process = services.opening_apply(
        actor=nanjing.p.xl_clerk, unit=nanjing.u.xl, platform="weibo", name="兴隆微博",
        purpose="发布", contact_name="张三", contact_phone="025-1",
    )
    page = login("jb_approver")
    page.goto(live_server.url + reverse("workflow:inbox"))
    assert "兴隆微博" not in page.content()
    task = process.task_set.filter(flow_task_type="HUMAN").first()
    response = page.goto(live_server.url + reverse("work:task", args=[task.pk]))
    assert response.status == 404

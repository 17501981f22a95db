"""OA journeys in a real browser at desktop and phone width: 催办 reaching the holder's
notification centre, 抄送 through the unit picker, 加签 and 转办 through the searchable
pickers, 撤回 behind a confirm dialog. Screenshots go to var/test-artifacts/oa/ (gitignored);
any console error fails the test."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from approvals.models import ProcessCopy, ProcessEvent
from approvals.nodes import process_url
from lifecycle import services as lifecycle
from lifecycle.models import Notification
from tests.approvals.helpers import apply_xl, decide, only_open_task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(settings.BASE_DIR) / "var" / "test-artifacts" / "oa"
WIDTHS = [1366, 390]


@pytest.fixture
def open_as(login):
    """open_as(username, width) → a logged-in page of that width whose console errors
    are collected in page.errors (asserted empty by each test)."""
    pages = []

    def _open(username: str, width: int):
        page = login(username)
        page.errors = []
        page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.set_viewport_size({"width": width, "height": 900})
        pages.append(page)
        return page

    yield _open
    for page in pages:
        assert page.errors == [], page.errors


def _shot(page, name: str, width: int) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("width", WIDTHS)
def test_urge_reaches_the_holders_notification_centre(live_server, open_as, nanjing, width):
    process = apply_xl(nanjing)
    clerk = open_as("xl_clerk", width)
    clerk.goto(live_server.url + process_url(process))
    clerk.fill("[data-testid=urge-form] input[name=comment]", "材料急用，请尽快审核")
    with clerk.expect_navigation():
        clerk.click("[data-testid=urge]")
    assert "已催办当前办理人员" in clerk.content()
    assert "材料急用，请尽快审核" in clerk.inner_text("[data-testid=process-events]")
    _shot(clerk, "urge-process-page", width)
    if width <= 600:
        _no_sideways_scroll(clerk)

    head = open_as("xl_head", width)
    head.goto(live_server.url + "/work/accounts/")
    # the new task and the urge
    assert head.inner_text("[data-testid=unread-count]").strip() == "2"
    head.click("[data-testid=notification-bell]")
    head.wait_for_selector("[data-testid=notification]")
    assert "兴隆填报员催办：兴隆发布" in head.inner_text("[data-testid=notification]")
    _shot(head, "notifications", width)
    with head.expect_navigation():
        head.click("[data-testid=notification] button[name=open]")
    assert "/work/tasks/" in head.url
    assert Notification.objects.get(recipient=nanjing.p.xl_head, kind="urged").read_at


@pytest.mark.parametrize("width", WIDTHS)
def test_copy_to_a_unit_through_the_picker(live_server, open_as, nanjing, width):
    process = apply_xl(nanjing)
    approver = open_as("jy_approver", width)
    approver.goto(live_server.url + process_url(process))
    approver.fill("[data-testid=copy-units-search]", "兴隆街道办")
    options = approver.locator("[data-testid=copy-units] option:not([hidden])")
    assert options.all_inner_texts() == ["兴隆街道办事处"]
    approver.select_option("[data-testid=copy-units]", label="兴隆街道办事处")
    approver.fill("[data-testid=copy-form] input[name=comment]", "请街道知悉")
    _shot(approver, "copy-picker", width)
    with approver.expect_navigation():
        approver.click("[data-testid=copy]")
    assert "已抄送" in approver.content()
    assert ProcessCopy.objects.filter(process=process, unit=nanjing.u.xl).exists()
    assert Notification.objects.filter(recipient=nanjing.p.xl_head, kind="copied").exists()


@pytest.mark.parametrize("width", WIDTHS)
def test_add_a_signer_then_transfer_through_the_pickers(live_server, open_as, nanjing, width):
    p, u = nanjing.p, nanjing.u
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    task = only_open_task(process)
    for username, name in (("jy_second", "建邺二审"), ("jy_third", "建邺三审")):
        lifecycle.user_upsert(username=username, full_name=name, password="pw",
                              memberships=[(u.jy, "approver")])
    approver = open_as("jy_approver", width)
    approver.goto(live_server.url + f"/work/tasks/{task.pk}/")
    approver.locator("[data-testid=task-oa]").scroll_into_view_if_needed()
    _shot(approver, "task-oa-links", width)
    with approver.expect_navigation():
        approver.click("[data-testid=open-add-signer]")
    approver.wait_for_selector("[data-picker][data-picker-ready]")  # picker.js set it up
    approver.fill("[data-testid=signer-search]", "二审")
    assert approver.locator("[data-testid=signer] option:not([hidden])").all_inner_texts() == [
        "建邺二审（jy_second）· 建邺区人民政府办公室审核人"]
    approver.select_option("[data-testid=signer]", label="建邺二审（jy_second）· 建邺区人民政府办公室审核人")
    approver.fill("[data-testid=signer-reason]", "涉及网络安全，请二审把关")
    _shot(approver, "add-signer", width)
    with approver.expect_navigation():
        approver.click("[data-testid=add-signer]")
    assert "已加签" in approver.content()
    process.refresh_from_db()
    assert process.data["chain"][2]["label"] == "加签：建邺二审（建邺区人民政府办公室）"

    task.refresh_from_db()
    assert task.owner == p.jy_approver  # adding a signer claimed the task
    approver.goto(live_server.url + f"/work/tasks/{task.pk}/")
    with approver.expect_navigation():
        approver.click("[data-testid=open-transfer]")
    approver.wait_for_selector("[data-picker][data-picker-ready]")
    approver.fill("[data-testid=transfer-to-search]", "三审")
    approver.select_option("[data-testid=transfer-to]", value="jy_third")
    approver.fill("[data-testid=transfer-form] input[name=comment]", "本周出差")
    _shot(approver, "transfer-picker", width)
    with approver.expect_navigation():
        approver.click("[data-testid=transfer]")
    task.refresh_from_db()
    assert task.owner.username == "jy_third"
    assert ProcessEvent.objects.filter(kind="transfer", comment="本周出差").exists()
    if width <= 600:
        approver.goto(live_server.url + f"/work/tasks/{task.pk}/")
        _no_sideways_scroll(approver)
        approver.goto(live_server.url + f"/work/tasks/{task.pk}/add-signer/", wait_until="load")
        _no_sideways_scroll(approver)


def test_withdraw_asks_for_confirmation(live_server, open_as, nanjing):
    process = apply_xl(nanjing)
    clerk = open_as("xl_clerk", 390)
    clerk.goto(live_server.url + process_url(process))
    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.dismiss() if len(asked) == 1 else dialog.accept()

    clerk.on("dialog", answer)
    clerk.click("[data-testid=withdraw]")  # dismissed: nothing happens
    clerk.wait_for_timeout(300)
    process.refresh_from_db()
    assert process.finished is None
    with clerk.expect_navigation():
        clerk.click("[data-testid=withdraw]")
    process.refresh_from_db()
    assert process.status == "CANCELED"
    assert asked and "确定撤回吗" in asked[0]

"""The approvers' and clerks' journeys in Debian's Chromium at desk (1366 px) and phone
(390 px) width (issue 11 §10): apply → three sign-offs with a return and a changed
resubmission (the chain restarts); a closure through its notice period to deregistration;
a rectification report with evidence, a recheck that asks for more material, the second
report and the pass. Every page is screenshotted under var/test-artifacts/workbench/, and
any console error, uncaught page error or sideways scrolling fails the test."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from approvals import services
from approvals.models import AccountProcess, Decision, DecisionKind
from lifecycle.models import Account, AccountState
from tests.approvals.closure_helpers import world_fixture  # noqa: F401
from tests.approvals.review_helpers import review_world_fixture  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(settings.BASE_DIR) / "var" / "test-artifacts" / "workbench"
WIDTHS = {"desk": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(params=list(WIDTHS))
def as_user(request, browser, live_server):
    """as_user(username) → a logged-in page at the parametrised width that records console
    errors; shot(page, name) saves a full-page screenshot. Errors fail the test at teardown."""
    width = request.param
    errors: list[str] = []
    contexts = []

    def _as_user(username: str):
        context = browser.new_context(locale="zh-CN", viewport=WIDTHS[width],
                                      is_mobile=width == "phone", has_touch=width == "phone")
        context.set_default_timeout(90_000)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: errors.append(f"{username}: {m.text}")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"{username}: {e}"))
        page.on("dialog", lambda d: d.accept())  # confirmations: accepted, and counted below
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", "pw")
        page.click("button[type=submit]")
        page.wait_for_load_state()
        return page

    _as_user.width = width
    _as_user.errors = errors
    _as_user.base = live_server.url
    yield _as_user
    for context in contexts:
        context.close()
    assert errors == [], errors


def shot(as_user, page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}-{as_user.width}.png"
    page.screenshot(path=str(path), full_page=True)
    # Nothing is wider than the viewport (no sideways scrolling on the phone).
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTHS[as_user.width]["width"] + 1, (name, width)


def open_from_todo(as_user, page, account_name: str, name: str) -> None:
    page.goto(as_user.base + reverse("workflow:inbox"))
    shot(as_user, page, f"{name}-todo")
    page.locator("[data-testid=todo-row]", has_text=account_name).first.locator(
        "[data-testid=todo-link]").click()
    page.wait_for_selector("[data-testid=decide-form]")


def approve(as_user, page, account_name: str, name: str, comment: str = "同意") -> None:
    open_from_todo(as_user, page, account_name, name)
    shot(as_user, page, f"{name}-task")
    page.fill("#id_d-comment", comment)
    with page.expect_navigation():
        page.click("[data-testid=approve]")


def test_apply_sign_off_return_resubmit_and_restart(as_user, nanjing):
    clerk = as_user("xl_clerk")
    clerk.goto(as_user.base + reverse("work:apply_opening"))
    clerk.select_option("#id_unit", "JYXL")
    clerk.select_option("#id_platform", "douyin")
    clerk.fill("#id_name", "兴隆街道抖音")
    clerk.fill("#id_purpose", "发布街道政务信息")
    clerk.fill("#id_contact_name", "张三")
    clerk.fill("#id_contact_phone", "025-12345678")
    with clerk.expect_navigation():
        clerk.click("[data-testid=submit]")
    process = AccountProcess.objects.get(account__name="兴隆街道抖音")

    approve(as_user, as_user("xl_head"), "兴隆街道抖音", "01-head")

    # The district returns it to the applicant, with a reason, from the 退回 box.
    district = as_user("jy_approver")
    open_from_todo(as_user, district, "兴隆街道抖音", "02-district")
    district.click("[data-testid=return-box] summary")
    district.select_option("[data-testid=return-to]", "")
    district.click("[data-testid=return]")  # no reason yet: the browser asks for one
    assert not Decision.objects.filter(process=process, decision=DecisionKind.RETURN).exists()
    district.fill("#id_d-comment", "请写明发布内容和频次")
    shot(as_user, district, "02-district-return")
    with district.expect_navigation():
        district.click("[data-testid=return]")

    # The clerk finds it in 待办, changes the purpose and resubmits: the chain restarts.
    clerk = as_user("xl_clerk")
    open_from_todo(as_user, clerk, "兴隆街道抖音", "03-clerk")
    assert "请写明发布内容和频次" in clerk.content()
    clerk.fill("#id_d-purpose", "发布街道政务信息、办事指南，每周不少于3条")
    shot(as_user, clerk, "03-clerk-revise")
    with clerk.expect_navigation():
        clerk.click("[data-testid=submit]")
    resubmitted = Decision.objects.get(process=process, decision=DecisionKind.RESUBMIT)
    assert [c["field"] for c in resubmitted.data["_changes"]] == ["purpose"]

    head = as_user("xl_head")
    open_from_todo(as_user, head, "兴隆街道抖音", "04-head-again")
    assert "重新提交的修改" in head.content() and "每周不少于3条" in head.content()
    shot(as_user, head, "04-head-again-task")
    with head.expect_navigation():
        head.click("[data-testid=approve]")
    approve(as_user, as_user("jy_approver"), "兴隆街道抖音", "05-district-again")
    approve(as_user, as_user("nj_approver"), "兴隆街道抖音", "06-city", comment="同意开设")

    process.account.refresh_from_db()
    assert process.account.state == AccountState.APPROVED
    # The applicant's view: 我的申请, then the process page's timeline and chain.
    clerk.goto(as_user.base + reverse("work:applications"))
    shot(as_user, clerk, "07-my-applications")
    clerk.goto(as_user.base + reverse("work:task", args=[resubmitted.task_id]))
    assert clerk.locator("[data-testid=superseded]").count() == 2
    assert clerk.locator("[data-testid=chain-svg] [data-state=done]").count() == 3
    shot(as_user, clerk, "08-timeline")
    head.goto(as_user.base + reverse("workflow:archive"))
    assert "同意" in head.locator("[data-testid=done]").inner_text()
    shot(as_user, head, "09-done")


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), (30, 120, 200)).save(out, "PNG")
    return out.getvalue()


def report(as_user, clerk, name: str, text: str, tmp_path) -> None:
    open_from_todo(as_user, clerk, "兴隆旧号", name)
    assert "超过两周未更新" in clerk.locator("[data-testid=rectification]").inner_text()
    clerk.fill("#id_d-report", text)
    evidence = tmp_path / f"{name}.png"
    evidence.write_bytes(_png())
    clerk.set_input_files("#id_d-evidence_file", str(evidence))
    shot(as_user, clerk, f"{name}-report")
    with clerk.expect_navigation():
        clerk.click("[data-testid=submit]")


def test_rectification_report_recheck_more_material_and_pass(as_user, review_world, tmp_path):
    w = review_world
    process = services.rectification_start(
        actor=w.p.jy_reviewer, account=w.stale, reason="超过两周未更新",
        findings=[{"label": "内容更新", "text": "200天未发布信息", "points": 5}])
    clerk = as_user("xl_clerk")
    report(as_user, clerk, "11-rectify", "已恢复更新", tmp_path)

    reviewer = as_user("jy_reviewer")
    open_from_todo(as_user, reviewer, "兴隆旧号", "12-recheck")
    preview = reviewer.locator("[data-testid=preview-image]").first
    # The preview is loading="lazy": bring it into view, then wait for the image (a loaded
    # machine may take a moment) rather than reading it once.
    preview.scroll_into_view_if_needed()
    expect(preview).to_have_js_property("naturalWidth", 120)
    shot(as_user, reviewer, "12-recheck-task")
    reviewer.select_option("#id_d-result", "more")
    reviewer.fill("#id_d-opinion", "请补充近两周的发布截图")
    with reviewer.expect_navigation():
        reviewer.click("[data-testid=submit]")

    report(as_user, clerk, "13-rectify-again", "已补充近两周截图", tmp_path)
    open_from_todo(as_user, reviewer, "兴隆旧号", "14-recheck-again")
    reviewer.select_option("#id_d-result", "pass")
    reviewer.fill("#id_d-opinion", "整改到位")
    with reviewer.expect_navigation():
        reviewer.click("[data-testid=submit]")
    w.stale.refresh_from_db()
    assert w.stale.state == AccountState.ACTIVE
    reviewer.goto(as_user.base + reverse("work:task", args=[
        Decision.objects.filter(process=process).order_by("-pk").first().task_id]))
    text = reviewer.locator("[data-testid=timeline]").inner_text()
    assert "退回补充材料" in text and "复核通过" in text
    assert len(re.findall("提交整改报告", text)) >= 2
    shot(as_user, reviewer, "15-rectification-timeline")
    assert Account.objects.get(pk=w.stale.pk).state == AccountState.ACTIVE


def test_closure_sign_offs_notice_period_and_deregistration(as_user, world):
    from django.utils import timezone

    from tests.approvals.closure_helpers import apply_closure, end_notice_period

    process = apply_closure(world)
    head = as_user("njzj_head")
    open_from_todo(as_user, head, "南京质检", "21-closure-head")
    closure = head.locator("[data-testid=closure-request]").inner_text()
    assert "职能划转，账号停止运营" in closure and "https://amr.nanjing.gov.cn" in closure
    shot(as_user, head, "21-closure-head-task")
    head.fill("#id_d-comment", "同意关停")
    with head.expect_navigation():
        head.click("[data-testid=approve]")
    approve(as_user, as_user("nj_approver"), "南京质检", "22-closure-city", comment="同意")
    process.refresh_from_db()
    end_notice_period(process)  # run_due on the period's last day

    clerk = as_user("njzj_clerk")
    open_from_todo(as_user, clerk, "南京质检", "23-deregister")
    clerk.fill("#id_d-deregistered_on", timezone.localdate().isoformat())
    shot(as_user, clerk, "23-deregister-task")
    with clerk.expect_navigation():
        clerk.click("[data-testid=submit]")
    world.zj.refresh_from_db()
    assert world.zj.state == AccountState.CLOSED
    clerk.goto(as_user.base + reverse("workflow:archive"))
    shot(as_user, clerk, "24-closure-done")

"""In Chromium at 1366 and 390 px: applying (validation errors, chain preview, draft), the
login page, our error page and the public portal in English. Any console error fails a test;
screenshots go to var/test-artifacts/ (gitignored)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from lifecycle.models import Account, AccountState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
WIDTHS = [1366, 390]


@pytest.fixture
def open_page(browser, live_server):
    """open_page(width, username=None, lang="zh-CN") → (page, console errors list)."""
    contexts = []

    def _open(width: int, username: str | None = None, lang: str = "zh-CN"):
        context = browser.new_context(viewport={"width": width, "height": 900}, locale=lang)
        context.set_default_timeout(90_000)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(f"{m.text} @ {m.location.get('url', '')}")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        if username:
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", "pw")
            with page.expect_navigation():
                page.click("button[type=submit]:not([name])")
        return page, errors

    yield _open
    for context in contexts:
        context.close()


def _shot(page, name: str, width: int) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)


def _no_horizontal_scroll(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"page is {overflow}px wider than the screen"


@pytest.mark.parametrize("width", WIDTHS)
def test_it_applies_with_errors_preview_and_draft(open_page, live_server, nanjing, width):
    page, errors = open_page(width, "xl_clerk")
    page.goto(live_server.url + reverse("work:apply_opening"))

    steps = page.locator("[data-testid=chain-step]")
    assert steps.count() == 3
    assert "兴隆负责人" in steps.nth(0).inner_text() and "南京审核人" in steps.nth(2).inner_text()
    assert page.locator("[data-testid=field-name] .gm-required").count() == 1
    _no_horizontal_scroll(page)

    # A draft with only some fields: no browser validation, nothing applied for.
    page.select_option("#id_platform", "douyin")
    page.fill("#id_name", "兴隆抖音")
    with page.expect_navigation():
        page.click("[data-testid=save-draft]")
    assert "草稿已保存" in page.locator("[data-testid=message]").inner_text()
    page.goto(live_server.url + reverse("work:apply_opening"))  # come back later
    assert page.locator("[data-testid=draft-restored]").is_visible()
    assert page.input_value("#id_name") == "兴隆抖音" and page.input_value("#id_platform") == "douyin"

    # A malformed phone: the server names the field, nothing is written.
    page.fill("#id_purpose", "发布街道政务信息")
    page.fill("#id_contact_name", "张三")
    page.fill("#id_contact_phone", "025-1")
    with page.expect_navigation():
        page.click("[data-testid=submit]")
    error = page.locator("[data-testid=field-error-contact_phone]").inner_text()
    assert "联系电话" in error and "格式不正确" in error
    assert page.locator("[data-testid=error-summary]").is_visible()
    assert not Account.objects.filter(name="兴隆抖音").exists()
    _shot(page, "apply-errors", width)

    page.fill("#id_contact_phone", "13812345678")
    with page.expect_navigation():
        page.click("[data-testid=submit]")
    account = Account.objects.get(name="兴隆抖音")
    assert account.state == AccountState.APPLYING and account.contact_phone == "13812345678"
    page.goto(live_server.url + reverse("work:apply_opening"))
    assert page.locator("[data-testid=draft-restored]").count() == 0  # submitted: draft gone
    _shot(page, "apply", width)
    # The one expected entry: the browser logs the form's own 400 answer (invalid input).
    assert [e for e in errors if not re.search(r"status of 400 .* @ .*/work/apply/opening/$", e)] == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_chain_preview_follows_the_platform(open_page, live_server, nanjing, width):
    from tests.approvals.helpers import apply_xl

    apply_xl(nanjing, platform="weibo", name="兴隆微博")
    page, errors = open_page(width, "xl_clerk")
    page.goto(live_server.url + reverse("work:apply_opening"))
    page.select_option("#id_platform", "weibo")
    page.wait_for_selector("[data-testid=chain-extra]")
    assert page.locator("[data-testid=chain-step]").count() == 4
    page.select_option("#id_platform", "douyin")
    page.wait_for_selector("[data-testid=chain-extra]", state="detached")
    assert page.locator("[data-testid=chain-step]").count() == 3
    assert errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_login_page(open_page, live_server, width):
    page, errors = open_page(width)
    page.goto(live_server.url + "/accounts/login/")
    color = page.evaluate(
        "getComputedStyle(document.querySelector('button[type=submit]:not([name])')).backgroundColor"
    )
    assert color == "rgb(31, 78, 140)"  # the one palette's primary, not the old red
    assert "Noto Sans CJK SC" in page.evaluate("getComputedStyle(document.body).fontFamily")
    _no_horizontal_scroll(page)
    _shot(page, "login", width)
    assert errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_our_error_page_in_both_languages(open_page, live_server, nanjing, width):
    page, errors = open_page(width, "xl_clerk")
    response = page.goto(live_server.url + "/no-such-page/")
    assert response.status == 404
    assert page.locator("[data-testid=error-page]").is_visible()
    assert "页面不存在" in page.inner_text("body")
    _shot(page, "error-404", width)
    with page.expect_navigation():
        page.click("[data-testid=language-switch] button[value=en]")
    assert "Page not found" in page.inner_text("body")
    _no_horizontal_scroll(page)
    # The only console entries are the 404 answers of the page itself.
    assert [e for e in errors if not re.search(r"404 \(Not Found\) @ .*/no-such-page/", e)] == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_public_portal_in_english(open_page, live_server, nanjing, width):
    page, errors = open_page(width, lang="en-US")
    page.goto(live_server.url + "/public/")
    body = page.inner_text("body")
    assert "Where did an account go?" in body and "Find where it went" in body
    assert not re.search(r"首页|账号去向查询|关停与整合公告|公文核验|查询去向", body)
    for path in ("/public/announcements/", "/public/verify/", "/public/lookup/?q=abc"):
        page.goto(live_server.url + path)
        assert not re.search(r"首页|全部公告|筛选|核验|未找到相关账号", page.inner_text("body")), path
    _no_horizontal_scroll(page)
    page.goto(live_server.url + "/public/")
    _shot(page, "portal-en", width)
    assert errors == []

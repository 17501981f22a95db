"""Issue 14's pages in Chromium at desk (1366 px) and phone (390 px) width: an account at
risk on the warnings page and the dashboard (whose charts must fit the phone), a 错敏
finding on the inspection sheet, a pending filing and the annual statistics. No sideways
scrolling, no console error."""

from __future__ import annotations

import datetime
from importlib import import_module

import pytest
from django.conf import settings
from django.utils import timezone

from approvals import services as approvals
from approvals.models import AccountProcess, Filing
from approvals.selectors import open_tasks
from review import services
from review.models import Post, RuleSet
from review.warnings import warnings_record
from tests.approvals.review_helpers import make_account, review_world_fixture  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"desk": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
ARTIFACTS = settings.BASE_DIR / "var" / "test-artifacts" / "supervision"


def _rule_set() -> None:
    """The migrations' national-2019 rule set: a transactional test's flush (this one's or an
    earlier test's) removes migration data, and warnings and campaigns need an active set."""
    from django.apps import apps as registry

    if not RuleSet.objects.filter(active=True).exists():
        import_module("review.migrations.0002_default_national_2019_rule_set").install(registry, None)
        import_module("review.migrations.0005_rule_sources").source_national_2019(registry, None)


def _world(w):
    _rule_set()
    today = timezone.localdate()
    at_risk = make_account("建邺预警号", w.u.xl, w.u.jy, days_ago=11)
    warnings_record(today=today)
    dictionary = services.dictionary_create(unit=w.u.nj, name="南京错敏词库", actor=w.p.nj_inspector)
    services.dictionary_entry_add(dictionary=dictionary, kind="wrong_term", term="南京市质监局",
                                  replacement="南京市市场监督管理局", source_note="机构改革方案",
                                  actor=w.p.nj_inspector)
    post = Post.objects.create(account=w.xl, published_at=timezone.now() - datetime.timedelta(hours=3),
                               title="通知", text="南京市质监局发布", url="https://x.example/1")
    services.posts_content_check(posts=Post.objects.filter(pk=post.pk))
    campaign = approvals.campaign_create(
        actor=w.p.nj_inspector, period=f"{today.year}Q{(today.month - 1) // 3 + 1}", kind="quarterly",
        ratio="1", seed=1, scope_unit=w.u.nj)
    process = AccountProcess.objects.get(account=w.xl, data__campaign=campaign.pk)
    sheet_task = open_tasks(process)[0]
    Filing.objects.create(account=w.xl, kind="opening", system="provincial", event_on=today,
                          due_on=today + datetime.timedelta(days=7))
    return at_risk, sheet_task


@pytest.mark.parametrize("width", WIDTHS)
def test_supervision_pages_fit_desk_and_phone(browser, live_server, review_world, width):
    w = review_world
    at_risk, sheet_task = _world(w)
    context = browser.new_context(locale="zh-CN", viewport=WIDTHS[width])
    context.set_default_timeout(90_000)
    errors: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def visit(user: str, path: str, name: str, expect: str) -> None:
        context.clear_cookies()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", user)
        page.fill("#id_password", "pw")
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.goto(live_server.url + path)
        page.wait_for_load_state()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
        assert expect in page.content(), name
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{name}: {overflow}px wider than the screen"

    visit("jy_reviewer", "/work/dashboard/", "dashboard", at_risk.name)
    visit("jy_reviewer", "/work/review/warnings/", "warnings", at_risk.name)
    visit("nj_inspector", f"/work/review/inspections/{sheet_task.pk}/", "sheet", "南京市市场监督管理局")
    visit("jy_reviewer", "/work/filings/", "filings", w.xl.name)
    visit("jy_reviewer", "/work/stats/annual/?unit=JY", "annual", "账号总数（年末）")
    context.close()
    assert errors == [], errors

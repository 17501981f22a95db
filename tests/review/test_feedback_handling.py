"""Public feedback reaches the owning unit: a 公众反馈 page in the work menu (Chinese title,
scoped to the user's units) where the owning unit marks an error report handled with a
note (review.services.feedback_handle), audited on the account."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lifecycle import services
from lifecycle.models import AccountTransition
from review.models import Feedback
from review.services import (
    ERR_HANDLE_FORBIDDEN,
    ERR_HANDLE_KIND,
    ERR_HANDLE_NOTE,
    FEEDBACK_HANDLED,
    feedback_handle,
)
from tests.approvals.closure_helpers import world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def _title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


@pytest.fixture
def reports(world):
    return {
        "xl": Feedback.objects.create(account=world.xl, kind="error_report", text="电话号码写错了"),
        "xl_praise": Feedback.objects.create(account=world.xl, kind="praise"),
        "jb": Feedback.objects.create(account=world.jb, kind="error_report", text="江北的纠错"),
    }


def test_it_is_in_the_work_menu_with_a_chinese_title(client, world, reports):
    client.force_login(world.p.xl_clerk)
    menu = client.get(reverse("work:applications")).content.decode()
    assert f'href="{reverse("work:feedback")}"' in menu and "公众反馈" in menu
    page = client.get(reverse("work:feedback"))
    html = page.content.decode()
    assert page.status_code == 200
    assert _title(html) == "公众反馈 · 政务新媒体管理"
    assert "Django Material" not in html
    assert "我的申请" in html  # the site menu is there
    # The first address still answers, with the same title.
    old = client.get(reverse("feedback-list")).content.decode()
    assert "电话号码写错了" in old and "Django Material" not in old


def test_it_shows_each_user_only_their_units_feedback(client, world, reports):
    client.force_login(world.p.jy_approver)  # 建邺区: 兴隆 is under it, 江北 is not
    html = client.get(reverse("work:feedback")).content.decode()
    assert "电话号码写错了" in html and "江北的纠错" not in html
    response = client.post(reverse("work:feedback_handle", args=[reports["jb"].pk]), {"note": "x"})
    assert response.status_code == 404


def test_it_marks_an_error_report_handled_with_a_note(client, world, reports):
    report = reports["xl"]
    client.force_login(world.p.xl_clerk)
    html = client.get(reverse("work:feedback")).content.decode()
    assert html.count('data-testid="handle-form"') == 1  # the error report, not the praise
    response = client.post(reverse("work:feedback_handle", args=[report.pk]),
                           {"note": "已核实，电话已更正为 025-8000", "next": "/work/feedback/?state=open"})
    assert response.status_code == 302 and response.url == "/work/feedback/?state=open"
    report.refresh_from_db()
    assert report.handled_by == world.p.xl_clerk and report.handled_at is not None
    row = AccountTransition.objects.get(name=FEEDBACK_HANDLED)
    note = "已核实，电话已更正为 025-8000"
    assert (row.account, row.actor, row.reason) == (world.xl, world.p.xl_clerk, note)
    assert row.data == {"feedback_id": report.pk, "kind": "error_report"}
    assert row.from_state == row.to_state == world.xl.state
    html = client.get(reverse("work:feedback")).content.decode()
    assert "已核实，电话已更正为 025-8000" in html and "兴隆填报员 于" in html
    assert 'data-testid="handle-form"' not in html
    assert "电话号码写错了" not in client.get(reverse("work:feedback"), {"state": "open"}).content.decode()
    account_page = client.get(reverse("work:account", args=[world.xl.pk])).content.decode()
    assert "处理公众纠错" in account_page and "feedback_handled" not in account_page


def test_it_requires_a_note(client, world, reports):
    client.force_login(world.p.xl_clerk)
    response = client.post(reverse("work:feedback_handle", args=[reports["xl"].pk]), {"note": "  "})
    assert response.status_code == 400
    assert str(ERR_HANDLE_NOTE) in response.content.decode()
    reports["xl"].refresh_from_db()
    assert reports["xl"].handled_at is None
    assert not AccountTransition.objects.filter(name=FEEDBACK_HANDLED).exists()


def test_it_handles_a_report_once(world, reports):
    feedback_handle(feedback=reports["xl"], actor=world.p.xl_clerk, note="已更正")
    with pytest.raises(ValidationError, match="已于.*由兴隆负责人|已于.*由兴隆填报员"):
        feedback_handle(feedback=reports["xl"], actor=world.p.xl_head, note="再次处理")
    assert AccountTransition.objects.filter(name=FEEDBACK_HANDLED).count() == 1


def test_it_handles_error_reports_only(world, reports):
    with pytest.raises(ValidationError) as exc:
        feedback_handle(feedback=reports["xl_praise"], actor=world.p.xl_clerk, note="谢谢")
    assert exc.value.message_dict == {"feedback": [str(ERR_HANDLE_KIND)]}


def test_it_lets_only_the_owning_units_staff_handle(client, world, reports):
    inspector = services.user_upsert(username="xl_inspector", full_name="兴隆检查员", password="pw",
                                     memberships=[(world.u.xl, "inspector")])
    for outsider in (world.p.jy_approver, inspector):  # the supervisor sees it; an inspector checks
        with pytest.raises(PermissionDenied, match=str(ERR_HANDLE_FORBIDDEN)):
            feedback_handle(feedback=reports["xl"], actor=outsider, note="代为处理")
    client.force_login(world.p.jy_approver)
    html = client.get(reverse("work:feedback")).content.decode()
    assert "电话号码写错了" in html and 'data-testid="handle-form"' not in html and "待主办单位处理" in html
    response = client.post(reverse("work:feedback_handle", args=[reports["xl"].pk]), {"note": "x"})
    assert response.status_code == 403
    reports["xl"].refresh_from_db()
    assert reports["xl"].handled_at is None


def test_it_lists_a_page_in_a_fixed_number_of_queries(client, world, reports):
    client.force_login(world.p.xl_clerk)
    client.get(reverse("work:feedback"))  # warm the session
    for i in range(5):
        report = Feedback.objects.create(account=world.xl, kind="error_report", text=f"第{i}条")
        if i % 2:
            feedback_handle(feedback=report, actor=world.p.xl_clerk, note=f"说明{i}")
    with CaptureQueriesContext(connection) as first:
        assert client.get(reverse("work:feedback")).status_code == 200
    Feedback.objects.create(account=world.xl, kind="complaint", text="更多")
    with CaptureQueriesContext(connection) as second:
        client.get(reverse("work:feedback"))
    # session, user, the user's units (scope), count, page of feedback with account, unit
    # and handler, handling notes, the user's handler units, the header's unread
    # notification count (the frame's view permission comes from the units:
    # approvals.auth): seven, whatever the rows.
    assert len(first) == len(second) == 7, [q["sql"] for q in second.captured_queries]


def test_it_speaks_english_when_asked(client, world, reports):
    from django.utils import translation

    client.force_login(world.p.xl_clerk)
    try:
        html = client.get(reverse("work:feedback"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    finally:
        translation.activate("zh-hans")
    assert "Mark as handled" in html and "Public feedback" in html and "标记已处理" not in html

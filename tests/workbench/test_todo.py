"""待办 is one list of everything I may act on (held and offered tasks) with account, flow,
step, applying unit, received, due date and due marks; filters and sorting; the menu
count; 已办 shows my decision and comment. Each list runs a fixed number of SQL queries
whatever its page size."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals import services
from approvals.models import TaskAssignment
from lifecycle import workdays
from tests.approvals.helpers import apply_xl, decide, only_open_task

pytestmark = pytest.mark.django_db


def _rows(client, **params) -> list[str]:
    html = client.get(reverse("workflow:inbox"), params).content.decode()
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
            for row in re.findall(r'<tr data-testid="todo-row"[^>]*>(.*?)</tr>', html, re.S)]


def _set_due(process, day):
    TaskAssignment.objects.filter(task=only_open_task(process)).update(due_on=day)


def test_offered_and_held_tasks_are_one_list_with_the_menu_count(client, nanjing):
    p = nanjing.p
    offered = apply_xl(nanjing, name="兴隆发布")
    held = apply_xl(nanjing, name="兴隆微博", platform="weibo")
    services.task_claim(task=only_open_task(held), actor=p.xl_head)
    client.force_login(p.xl_head)
    html = client.get(reverse("workflow:inbox")).content.decode()
    rows = _rows(client)
    assert len(rows) == 2
    assert any("兴隆发布" in r and "本单位待办" in r for r in rows)
    assert any("兴隆微博" in r and " 我" in r for r in rows)
    count = re.search(r'data-testid="menu-todo-count">(\d+)<', html)
    assert count and count.group(1) == "2"
    row = next(r for r in rows if "兴隆发布" in r)
    for text in ("微信公众号", "账号开设", "单位负责人", "兴隆街道办事处"):
        assert text in row, text
    assert offered.pk  # the other unit's people see none of it
    client.force_login(p.jb_approver)
    assert _rows(client) == []


def test_a_returned_application_waits_in_the_applicants_list(client, nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    decide(process, p.xl_head, decision="return", comment="请补充")
    client.force_login(p.xl_clerk)
    rows = _rows(client)
    assert len(rows) == 1 and "申请人修改" in rows[0]


def test_due_marks_filters_and_sort(client, nanjing):
    today = workdays.today()
    late = apply_xl(nanjing, name="逾期号")
    near = apply_xl(nanjing, name="临期号", platform="weibo")
    later = apply_xl(nanjing, name="从容号", platform="douyin")
    _set_due(late, today - datetime.timedelta(days=1))
    _set_due(near, today)
    _set_due(later, today + datetime.timedelta(days=30))
    client.force_login(nanjing.p.xl_head)
    rows = _rows(client)
    assert [r.split()[0] for r in rows] == ["逾期号", "临期号", "从容号"]  # by due date
    assert "已逾期" in rows[0] and "临期" in rows[1] and "逾期" not in rows[2]
    assert [r.split()[0] for r in _rows(client, sort="-due")] == ["从容号", "临期号", "逾期号"]
    assert [r.split()[0] for r in _rows(client, due="overdue")] == ["逾期号"]
    assert [r.split()[0] for r in _rows(client, due="near")] == ["临期号"]
    assert [r.split()[0] for r in _rows(client, due="ok")] == ["从容号"]
    assert [r.split()[0] for r in _rows(client, platform="weibo")] == ["临期号"]
    assert [r.split()[0] for r in _rows(client, q="从容")] == ["从容号"]
    assert [r.split()[0] for r in _rows(client, account=later.account_id)] == ["从容号"]
    assert len(_rows(client, flow="opening")) == 3 and _rows(client, flow="closure") == []
    assert len(_rows(client, unit=nanjing.u.xl.pk)) == 3
    assert _rows(client, unit=nanjing.u.jy.pk) == []
    # Nonsense parameters are ignored, never a 500.
    response = client.get(reverse("workflow:inbox"),
                          {"due": "x", "sort": "drop", "unit": "abc", "page": "999", "flow": "?"})
    assert response.status_code == 200


def _queries(client, url, **params) -> int:
    client.get(url, params)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx)


def test_the_lists_run_a_fixed_number_of_queries_whatever_the_page_size(client, nanjing):
    p = nanjing.p
    for i, platform in enumerate(("weibo", "douyin", "kuaishou", "toutiao", "bilibili")):
        process = apply_xl(nanjing, name=f"兴隆{i}", platform=platform)
        decide(process, p.xl_head, comment=f"意见{i}")
    client.force_login(p.jy_approver)
    todo = reverse("workflow:inbox")
    small, large = _queries(client, todo, page_size=10), _queries(client, todo, page_size=50)
    # session, user, the user's units, delegations and (unit, role) pairs (scope), the
    # count (unfiltered: the menu's count too, one query for both), page, the header's
    # unread notification count (the frame's view permission comes from the units:
    # approvals.auth); no list of the units the open work comes from (a search field)
    assert small == large == INBOX_QUERIES, (small, large)
    client.force_login(p.xl_head)
    done = reverse("workflow:archive")
    small, large = _queries(client, done, page_size=10), _queries(client, done, page_size=50)
    assert small == large == DONE_QUERIES, (small, large)  # no filter; the page's decisions
    # come with the page (select_related), not one query a row


INBOX_QUERIES = 7
DONE_QUERIES = 8  # both with the header's unread notification count


def test_done_shows_my_decision_and_comment(client, nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    decide(process, p.xl_head, comment="同意开设")
    decide(process, p.jy_approver, decision="return", comment="请补充运维单位")
    client.force_login(p.jy_approver)
    html = client.get(reverse("workflow:archive")).content.decode()
    cell = re.search(r'data-testid="my-decision">(.*?)</td>', html, re.S).group(1)
    assert "退回修改" in cell and "请补充运维单位" in cell
    client.force_login(p.xl_clerk)
    revise = only_open_task(process)
    services.task_decide(task=revise, actor=p.xl_clerk, decision="approve",
                         data={"operator": "兴隆宣传办"}, comment="已补充")
    html = client.get(reverse("workflow:archive")).content.decode()
    assert "重新提交" in html and "已补充" in html and "发起申请" in html

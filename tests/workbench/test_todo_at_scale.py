"""The to-do list and the shared queue at province scale (issue 15 item 4): the applying
unit is searched by name, short name or code instead of picked from a list of every unit
the reader's open work comes from; a unit chosen by link is named and can be cleared; the
unfiltered total is the menu's count (one query for both), a filtered total counts the
filtered rows; the pages of both lists are chosen by key, and the page's statement does
not repeat the reader's scope outside its key subquery."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals import selectors, services
from tests.approvals.helpers import apply_xl, decide
from tests.workbench.test_lists_flat import _grow

pytestmark = pytest.mark.django_db


def _apply_njzj(nanjing, name):
    return services.opening_apply(
        actor=nanjing.p.njzj_clerk, unit=nanjing.u.njzj, platform="weibo", name=name,
        purpose="发布质监信息", operator="某科技公司", contact_name="李四",
        contact_phone="025-87654321",
    )


@pytest.fixture
def two_units(nanjing):
    """nj_approver's to-do list: one application of 兴隆街道 (street → district → city)
    and one of 南京市质量技术监督局 (department → city)."""
    p = nanjing.p
    street = apply_xl(nanjing, name="兴隆发布")
    decide(street, p.xl_head)
    decide(street, p.jy_approver)
    department = _apply_njzj(nanjing, "质监发布")
    decide(department, p.njzj_head)
    return nanjing


def _names(response) -> list[str]:
    return [row["account"].name for row in response.context["rows"]]


def test_the_applying_unit_is_searched_by_name_short_name_or_code(two_units):
    client = Client()
    client.force_login(two_units.p.nj_approver)
    inbox = reverse("workflow:inbox")
    assert sorted(_names(client.get(inbox))) == ["兴隆发布", "质监发布"]
    for text, expected in (("兴隆", ["兴隆发布"]), ("街道办事处", ["兴隆发布"]),
                           ("宁质监", ["质监发布"]), ("njzj", ["质监发布"]),
                           ("JYXL", ["兴隆发布"]), (" 质量技术 ", ["质监发布"]),
                           ("江北", [])):
        response = client.get(inbox, {"unit_name": text})
        assert response.status_code == 200
        assert _names(response) == expected, text
        assert response.context["page"].paginator.count == len(expected)
    # a part of a code is not a code: "JY" is neither 兴隆's name nor its code
    assert _names(client.get(inbox, {"unit_name": "JY"})) == []
    # the field keeps what was typed (escaped), and no list of units is written
    html = client.get(inbox, {"unit_name": '"><b>x</b>'}).content.decode()
    assert 'value="&quot;&gt;&lt;b&gt;x&lt;/b&gt;"' in html and "<b>x</b>" not in html
    field = re.search(r'<input[^>]*data-testid="todo-unit"[^>]*>', html)
    assert field and 'name="unit_name"' in field.group(0)
    assert 'name="unit"' not in html  # no <select> of units, no hidden id when none chosen
    # combined with the other filters
    assert _names(client.get(inbox, {"unit_name": "兴隆", "platform": "weibo"})) == []
    assert _names(client.get(inbox, {"unit_name": "质监", "platform": "weibo"})) == ["质监发布"]


def test_a_unit_chosen_by_link_is_named_kept_and_can_be_cleared(two_units):
    u = two_units.u
    client = Client()
    client.force_login(two_units.p.nj_approver)
    inbox = reverse("workflow:inbox")
    response = client.get(inbox, {"unit": u.njzj.pk, "sort": "-due"})
    assert _names(response) == ["质监发布"]
    html = response.content.decode()
    chosen = re.search(r'data-testid="todo-chosen-unit">(.*?)</p>', html, re.S).group(1)
    assert "南京市质量技术监督局" in chosen
    clear = re.search(r'data-testid="todo-clear-unit"', chosen)
    assert clear and 'href="?sort=-due"' in chosen  # the other filters stay
    assert f'<input type="hidden" name="unit" value="{u.njzj.pk}">' in html  # kept on submit
    # a unit with none of the reader's work (or none at all): no rows, no name read
    for other in (u.jbdp.pk, 999999):
        response = client.get(inbox, {"unit": other})
        assert response.status_code == 200 and _names(response) == []
        html = response.content.decode()
        assert "江北新区顶山街道" not in html
        chosen = re.search(r'data-testid="todo-chosen-unit">(.*?)</p>', html, re.S).group(1)
        assert "申请单位：（没有该单位的待办）" in chosen


def test_the_unfiltered_total_is_the_menu_count_and_a_filtered_total_its_rows(two_units):
    client = Client()
    client.force_login(two_units.p.nj_approver)
    inbox = reverse("workflow:inbox")

    def counts(**params):
        html = client.get(inbox, params).content.decode()
        menu = re.search(r'data-testid="menu-todo-count">(\d+)<', html).group(1)
        total = re.search(r'data-testid="todo-count">\D*(\d+)', html).group(1)
        return int(menu), int(total)

    assert counts() == (2, 2)
    assert counts(sort="received") == (2, 2)  # a sort is not a filter
    assert counts(platform="weibo") == (2, 1)
    assert counts(unit_name="兴隆") == (2, 1)
    assert counts(q="没有这个") == (2, 0)
    # the count follows the data from one request to the next (cached per request only)
    decide(selectors.todo_for(two_units.p.nj_approver)[0].process.accountprocess,
           two_units.p.nj_approver)
    assert counts() == (1, 1)


def _page_statement(captured) -> str:
    return next(q["sql"] for q in captured
                if re.search(r"LIMIT \d+(?: OFFSET \d+)?\)+ ORDER BY", q["sql"]))


@pytest.mark.parametrize("params", [{}, {"platform": "weibo"}, {"unit_name": "兴隆"},
                                    {"due": "ok", "sort": "-received"}, {"q": "兴隆1"}])
def test_filtered_to_do_pages_are_slices_and_the_scope_is_read_once(nanjing, params):
    _grow(nanjing, 0, 24)
    user = nanjing.p.jy_approver
    expected = [t.pk for t in selectors.todo_for(user, **params)]
    assert expected
    client = Client()
    client.force_login(user)
    seen = []
    for number in (1, 2, 3):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/workflow/inbox/", {**params, "page_size": 10, "page": number})
        assert response.status_code == 200
        # the (unit, role) scope is in the key subquery only, not again around the page
        assert _page_statement(ctx.captured_queries).count('"role" = ') == 1
        assert response.context["page"].paginator.count == len(expected)
        if number <= response.context["page"].paginator.num_pages:
            seen += [row["task"].pk for row in response.context["rows"]]
    assert seen == expected[:30]


def test_queue_pages_are_slices_of_the_queue_by_key(nanjing):
    _grow(nanjing, 0, 24)
    user = nanjing.p.jy_approver
    expected = [t.pk for t in selectors.queue_for(user)]
    assert len(expected) > 10
    client = Client()
    client.force_login(user)
    seen = []
    for number in (1, 2):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/workflow/queue/", {"page_size": 10, "page": number})
        assert response.status_code == 200
        assert _page_statement(ctx.captured_queries).count('"role" = ') == 1
        page = response.context["page_obj"]
        assert page.paginator.count == len(expected)
        rows = list(page.object_list)
        assert all(task.assignments.all() for task in rows)  # routing rows prefetched
        seen += [task.pk for task in rows]
    assert seen == expected[:20]
    # another district's approver: an empty queue, not 兴隆's tasks
    client.force_login(nanjing.p.jb_approver)
    response = client.get("/workflow/queue/")
    assert response.status_code == 200 and list(response.context["page_obj"].object_list) == []

"""The to-do list's pages are chosen by key first (workbench.views.paging, by_key): every
page holds exactly the rows, in the order, that slicing the sorted list gives, for each
sort, and the count is the whole list's."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from approvals import selectors
from tests.workbench.test_lists_flat import _grow

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("sort", selectors.TODO_SORTS)
def test_each_page_is_the_slice_of_the_sorted_list(nanjing, sort):
    _grow(nanjing, 0, 16)
    user = nanjing.p.jy_approver
    expected = [t.pk for t in selectors.todo_for(user, sort=sort)]
    assert len(expected) > 10
    client = Client()
    client.force_login(user)
    seen = []
    for number in (1, 2):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/workflow/inbox/",
                                  {"sort": sort, "page_size": 10, "page": number})
        # the page's rows are picked by key, the list sorted and cut inside the subquery
        assert any(re.search(r"LIMIT \d+(?: OFFSET \d+)?\)+ ORDER BY", q["sql"])
                   for q in ctx.captured_queries)
        assert response.status_code == 200
        page = response.context["page"]
        assert page.paginator.count == len(expected)
        seen += [row["task"].pk for row in response.context["rows"]]
    assert seen == expected[:20]

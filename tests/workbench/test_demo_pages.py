"""The demo (seed_demo) on the workbench pages: 湖熟发布's rectification waits in the
hushu clerk's 待办 and its task page shows the 整改事由, the deadline and the 整改通知; every
sign-off persona with open work sees it in 待办 with the menu count."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from approvals import selectors
from tests.lifecycle.import_files import run

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(db):
    result = run("seed_demo")
    assert result.code == 0, result.err


def test_the_hushu_clerk_finds_the_rectification_with_its_notice(client, seeded):
    clerk = get_user_model().objects.get(username="hushu_clerk")
    client.force_login(clerk)
    html = client.get(reverse("workflow:inbox")).content.decode()
    rows = re.findall(r'<tr data-testid="todo-row".*?</tr>', html, re.S)
    row = next((r for r in rows if "湖熟发布" in r and "账号整改" in r), None)
    assert row is not None, rows
    assert "提交整改报告" in row
    link = re.search(r'href="([^"]+)" data-testid="todo-link"', row).group(1)
    page = client.get(link).content.decode()
    box = page.split('data-testid="rectification"')[1].split("</table>")[0]
    assert 'data-testid="rectification-notice"><a href="/' in box  # the 整改通知, readable
    deadline = re.search(r'data-testid="rectification-deadline">([^<]+)<', box).group(1)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", deadline)
    assert 'data-testid="decide-form"' in page


def test_every_persona_with_open_work_sees_it_in_the_todo_list(client, seeded):
    # The security administrator and auditor (三员分立) hold no business role: no workbench.
    from lifecycle.services import ADMIN_ROLES

    users = (get_user_model().objects.filter(is_superuser=False)
             .exclude(groups__name__in=ADMIN_ROLES.values()).order_by("username"))
    with_work = 0
    for user in users:
        expected = selectors.open_tasks_for(user).count()
        client.force_login(user)
        html = client.get(reverse("workflow:inbox")).content.decode()
        count = re.search(r'data-testid="menu-todo-count">(\d+)<', html).group(1)
        assert int(count) == expected, user.username
        assert html.count('data-testid="todo-row"') == min(expected, 25), user.username
        with_work += bool(expected)
    assert with_work >= 5

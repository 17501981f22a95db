"""Lists cost the same SQL whatever their length (issue 15 item 4): the to-do list (queue
and inbox), 已办, my applications, the account register with filters, the notice archive
search, the dashboard and the API lists /api/tasks/, /api/accounts/, /api/notices/ run the
same number of statements with 2 rows as with 10 — no query per row. bench/pages.py
measures the same lists at province scale."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from approvals import services
from lifecycle.models import Platform
from notices import services as notices
from tests.approvals.helpers import apply_xl, decide, only_open_task

pytestmark = pytest.mark.django_db

# Platforms a street office may open (no apps or mini programs: the 2026 app rules).
PLATFORMS = [p for p in Platform.values if p not in ("app", "mini_program", "quick_app")]

# (user, url): the lists of item 4, as their usual readers open them.
LISTS = [
    ("jy_approver", "/workflow/queue/"),
    ("xl_head", "/workflow/inbox/"),
    ("xl_head", "/workflow/archive/"),
    ("xl_clerk", "/work/applications/"),
    ("jy_approver", "/work/accounts/"),
    ("jy_approver", "/work/accounts/?state=applying&platform=wechat_official"),
    ("nj_approver", "/notices/"),
    ("nj_approver", "/notices/?q=批复"),
    ("nj_approver", "/work/dashboard/"),
    ("jy_approver", "/api/tasks/"),
    ("xl_head", "/api/tasks/?status=done"),
    ("jy_approver", "/api/accounts/"),
    ("nj_approver", "/api/notices/"),
]


def _grow(nanjing, start: int, stop: int) -> None:
    """Rows for every list: an application per platform, the unit head's sign-off (done
    for xl_head, open for jy_approver), one held task in xl_head's inbox, one notice."""
    p = nanjing.p
    for i in range(start, stop):
        process = apply_xl(nanjing, name=f"兴隆{i}号", platform=PLATFORMS[i])
        if i % 4 != 1:
            decide(process, p.xl_head)
        else:
            services.task_claim(task=only_open_task(process), actor=p.xl_head)
        notices.issue(kind="opening_approval", account=process.account,
                      issuing_unit=nanjing.u.nj, actor=p.nj_approver, process_id=process.pk,
                      context={"chain": []})


def _counts(nanjing) -> dict[tuple[str, str], int]:
    counts = {}
    for username, url in LISTS:
        client = Client()
        client.force_login(getattr(nanjing.p, username))
        client.get(url)  # warm: session, caches of the first request
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        counts[(username, url)] = len(ctx.captured_queries)
    return counts


def test_every_list_runs_the_same_sql_with_2_and_with_10_rows(nanjing):
    _grow(nanjing, 0, 2)
    small = _counts(nanjing)
    _grow(nanjing, 2, 10)
    large = _counts(nanjing)
    grown = {key: (small[key], large[key]) for key in small if small[key] != large[key]}
    assert grown == {}, f"statements grow with the rows (2 rows, 10 rows): {grown}"

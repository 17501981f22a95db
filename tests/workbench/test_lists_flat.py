"""Lists cost the same SQL whatever their length (issue 15 item 4): the to-do list (queue
and inbox), 已办, my applications, the account register with filters, the notice archive
search, the dashboard and the API lists /api/tasks/, /api/accounts/, /api/notices/ run the
same number of statements with 2 rows as with 12, and at page sizes 10 and 100
(`?page_size=`) — no query per row. bench/pages.py measures the same lists at province
scale."""

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
        # past one per platform, a second account needs its reason (and goes a level up)
        extra = {"exemption_reason": "分设服务号"} if i >= len(PLATFORMS) else {}
        process = apply_xl(nanjing, name=f"兴隆{i}号", platform=PLATFORMS[i % len(PLATFORMS)],
                           **extra)
        if i % 4 != 1:
            decide(process, p.xl_head)
        else:
            services.task_claim(task=only_open_task(process), actor=p.xl_head)
        notices.issue(kind="opening_approval", account=process.account,
                      issuing_unit=nanjing.u.nj, actor=p.nj_approver, process_id=process.pk,
                      context={"chain": []})


def _with_size(url: str, size: int | None) -> str:
    if size is None:
        return url
    return f"{url}{'&' if '?' in url else '?'}page_size={size}"


def _counts(nanjing, size: int | None = None) -> dict[tuple[str, str], int]:
    counts = {}
    for username, plain in LISTS:
        url = _with_size(plain, size)
        client = Client()
        client.force_login(getattr(nanjing.p, username))
        client.get(url)  # warm: session, caches of the first request
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        counts[(username, plain)] = len(ctx.captured_queries)
    return counts


def test_every_list_runs_the_same_sql_with_2_and_12_rows_and_at_page_sizes_10_and_100(nanjing):
    _grow(nanjing, 0, 2)
    small = _counts(nanjing)
    _grow(nanjing, 2, 12)
    large, by_10, by_100 = _counts(nanjing), _counts(nanjing, 10), _counts(nanjing, 100)
    grown = {key: (small[key], large[key], by_10[key], by_100[key]) for key in small
             if len({small[key], large[key], by_10[key], by_100[key]}) > 1}
    assert grown == {}, f"statements vary (2 rows, 12 rows, page size 10, 100): {grown}"


def test_page_size_chooses_the_rows_of_a_page(nanjing):
    _grow(nanjing, 0, 12)
    client = Client()
    client.force_login(nanjing.p.nj_approver)
    body = client.get("/api/notices/?page_size=10").json()
    assert (body["count"], len(body["results"])) == (12, 10)
    assert "page_size=10" in body["next"]
    assert len(client.get("/api/notices/?page_size=100").json()["results"]) == 12
    page = client.get("/notices/?page_size=10&page=2")
    assert page.status_code == 200 and len(page.context["page"].object_list) == 2


@pytest.mark.parametrize("bad", ["7", "1000", "0", "-10", "ten"])
def test_a_page_size_not_offered_is_a_400_naming_the_parameter(nanjing, bad):
    _grow(nanjing, 0, 1)
    for username, url in LISTS:
        if "dashboard" in url:
            continue  # not a paged list
        client = Client()
        client.force_login(getattr(nanjing.p, username))
        response = client.get(_with_size(url, bad))  # type: ignore[arg-type]
        assert response.status_code == 400, (url, response.status_code)
        if url.startswith("/api/"):
            assert list(response.json()) == ["page_size"], url
            assert "10、20、25、50、100" in response.json()["page_size"][0]
        else:
            assert "page_size" in response.content.decode(), url

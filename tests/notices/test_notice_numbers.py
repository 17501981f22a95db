"""Numbers typed with [] () 【】 （） or full-width digits find the 〔〕 number, in the public
verification and in the archive search."""

from __future__ import annotations

import pytest

from notices.numbers import normalize_number
from notices.selectors import notice_search


@pytest.mark.parametrize("typed", [
    "宁政办复[2026]3号", "宁政办复(2026)3号", "宁政办复【2026】3号", "宁政办复（２０２６）３号",
    "宁政办复［2026］3号", " 宁政办复〔2026〕 3号 ",
])
def test_normalize_number(typed):
    assert normalize_number(typed) == "宁政办复〔2026〕3号"


@pytest.mark.django_db
def test_archive_search_normalises_numbers(world, issue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice = issue("opening_approval")
    typed = notice.number.replace("〔", "[").replace("〕", "]")
    admin = world.p.nj_approver
    assert list(notice_search(user=admin, number=typed)) == [notice]
    assert list(notice_search(user=admin, number=typed[-6:])) == [notice]


@pytest.mark.django_db
def test_full_text_search_folds_a_typed_number_and_highlights_it(
    client, world, issue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notice = issue("opening_approval")
    typed = notice.number.replace("〔", "【").replace("〕", "】").replace("2", "２")
    archivist = world.p.nj_archivist
    assert list(notice_search(user=archivist, q=typed)) == [notice]
    assert list(notice_search(user=archivist, q=typed[-4:])) == [notice]  # short: LIKE
    client.force_login(archivist)
    page = client.get("/notices/", {"q": typed}).content.decode()
    assert f"<mark>{notice.number}</mark>" in page


@pytest.mark.django_db
def test_full_text_search_finds_body_and_successor_names(
    client, world, issue, django_capture_on_commit_callbacks
):
    from tests.notices.conftest import closure_context

    with django_capture_on_commit_callbacks(execute=True):
        closure = issue("closure_announcement", unit=world.u.njzj, account=world.zj_account,
                        context=closure_context(world.successor))
        issue("opening_approval")
    archivist = world.p.nj_archivist
    # A successor's name (only in the body), a phrase of the reason, two characters.
    assert list(notice_search(user=archivist, q="南京食药监")) == [closure]
    assert list(notice_search(user=archivist, q="统一发布")) == [closure]
    assert closure in notice_search(user=archivist, q="关停")
    assert list(notice_search(user=archivist, q="南京食药监", kind="opening_approval")) == []
    client.force_login(archivist)
    page = client.get("/notices/", {"q": "食药监<b>"}).content.decode()
    assert "<mark>食药监&lt;b&gt;</mark>" not in page  # no match, and nothing unescaped
    page = client.get("/notices/", {"q": "食药监"}).content.decode()
    assert "<mark>食药监</mark>" in page and closure.number in page


@pytest.mark.django_db
def test_archive_list_previews_page_one(client, world, issue, django_capture_on_commit_callbacks,
                                        settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        notice = issue("opening_approval")
    client.force_login(world.p.nj_archivist)
    page = client.get("/notices/").content.decode()
    assert f"/notices/{notice.pk}/preview.png" in page
    response = client.get(f"/notices/{notice.pk}/preview.png")
    assert response.status_code == 200 and response.content.startswith(b"\x89PNG")
    other = client.get("/notices/999999/preview.png")
    assert other.status_code == 404


@pytest.mark.django_db
def test_full_text_search_first_page_uses_the_search_index_without_sorting(admin_user):
    """The first page of a common phrase must not sort every match (bench/notices.py:
    200 → 23 ms CPU over 50,000 matches): SQLite scans notice_issued_order_idx and probes
    the FTS5 match list. (A scoped user's plan is driven by the scope's own id list.)"""
    from django.db import connection

    qs = notice_search(user=admin_user, q="南京食药监")[:20]
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The services leg: the same query is served by the pg_trgm index (notices/0008).
            # On this tiny table the planner may walk any index and filter; with plain scans
            # and index walks priced out, only an index that serves the LIKE condition itself
            # (a bitmap scan needs an index condition) keeps the plan cheap.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute("SET LOCAL enable_indexonlyscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = " | ".join(str(row[0]) for row in cursor.fetchall())
            assert "notice_search_trgm" in plan, plan
            return
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
    assert "notices_fts" in plan, plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan, plan

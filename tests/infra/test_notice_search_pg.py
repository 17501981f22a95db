"""The archive's full-text search on PostgreSQL: pg_trgm GIN index (notices migration 0008)
on UPPER(search_text), used by the `icontains` query of notices.search.matching; number
spellings folded as on SQLite; matches highlighted."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from lifecycle.models import Account, AccountState, Platform
from notices import services as notices_services
from notices.models import Notice, NoticeStatus
from notices.search import highlight
from notices.selectors import notice_search

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _closure(nanjing):
    u = nanjing.u
    account = Account.objects.create(
        name="南京质检", platform=Platform.WECHAT_OFFICIAL, platform_id="njzhijian",
        unit=u.njzj, supervisor_unit=u.nj, state=AccountState.ACTIVE,
    )
    return notices_services.issue(
        kind="closure_announcement", account=account, issuing_unit=u.njzj,
        actor=nanjing.p.njzj_clerk, context={
            "reason": "功能与“南京食药监”重复，整合后统一发布", "stop_on": "2026-12-15",
            "successor_account": {"name": "南京食药监", "platform_label": "微信公众号",
                                  "platform_id": "njshiyaojian"},
        },
    )


def test_pg_trgm_indexes_chinese_in_this_database(services):
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone() == ("pg_trgm",)
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'notices_notice' "
                       "AND indexdef LIKE '%%gin_trgm_ops%%' ORDER BY 1")
        assert [r[0] for r in cursor.fetchall()] == ["notice_number_trgm", "notice_search_trgm"]
        # LC_CTYPE is UTF-8 (scripts/services.sh): Chinese text gives trigrams to index.
        cursor.execute("SELECT cardinality(show_trgm('南京食药监'))")
        assert cursor.fetchone()[0] > 0


def test_it_finds_body_and_successor_names_with_the_trigram_index(services, wait_for, nanjing):
    closure = _closure(nanjing)

    def rendered():
        closure.refresh_from_db()
        return closure.status == NoticeStatus.RENDERED

    wait_for(rendered, timeout=120, message="the worker to render the notice")
    archivist = nanjing.p.nj_archivist
    assert list(notice_search(user=archivist, q="南京食药监")) == [closure]  # successor
    assert list(notice_search(user=archivist, q="统一发布")) == [closure]  # the reason
    assert list(notice_search(user=archivist, q="不存在的词")) == []
    assert list(notice_search(user=archivist, q="南京食药监", kind="opening_approval")) == []
    # A number typed with [] or full-width digits: folded as on SQLite.
    typed = closure.number.replace("〔", "[").replace("〕", "]").replace("2", "２")
    assert list(notice_search(user=archivist, q=typed)) == [closure]
    assert list(notice_search(user=archivist, number=typed)) == [closure]
    assert "<mark>南京食药监</mark>" in highlight(closure.search_text, "南京食药监")
    assert f"<mark>{closure.number}</mark>" in highlight(closure.search_text, typed)

    # The plan uses the trigram index once sequential scans are off (a table this small
    # would otherwise be scanned).
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = notice_search(user=archivist, q="南京食药监").explain()
        number_plan = Notice.objects.filter(number__icontains=closure.number[-7:]).explain()
    assert "notice_search_trgm" in plan, plan
    assert "notice_number_trgm" in number_plan, number_plan

    # One or two characters give pg_trgm no trigram: found case-insensitively without the
    # index (which would hand back every notice to recheck), from the reader's own notices.
    assert list(notice_search(user=archivist, q="整合")) == [closure]
    assert list(notice_search(user=archivist, q="食药")) == [closure]
    assert list(notice_search(user=archivist, q="整合", kind="opening_approval")) == []
    assert list(notice_search(user=nanjing.p.jb_approver, q="整合")) == []
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
        short_plan = notice_search(user=archivist, q="整合").explain()
    assert "notice_search_trgm" not in short_plan, short_plan

"""Annual statistics per unit and year: page, XLSX (codes and what each figure counts) and a
PDF in the notice style; scoped to the user's units."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse
from pypdf import PdfReader

from approvals.models import Filing
from lifecycle.models import AccountState, AccountTransition, Platform
from review.models import Feedback, Inspection
from tests.approvals.review_helpers import make_account, review_world_fixture  # noqa: F401
from workbench.annual import COLUMNS, annual_statistics

pytestmark = pytest.mark.django_db

YEAR = 2025


def _data(w):
    d = datetime.date
    new = make_account("兴隆新号", w.u.xl, w.u.jy, platform=Platform.BILIBILI, opened_on=d(2025, 3, 1))
    make_account("兴隆已关", w.u.xl, w.u.jy, platform=Platform.KUAISHOU, state=AccountState.CLOSED)
    from lifecycle.models import Account

    Account.objects.filter(name="兴隆已关").update(closed_on=d(2025, 8, 1))
    Inspection.objects.create(account=new, as_of=d(2025, 6, 30), verdict="pass", score=90)
    Inspection.objects.create(account=w.xl, as_of=d(2025, 6, 30), verdict="fail",
                              vetoes=["NO_UPDATE_14D", "SERIOUS_ERROR"])
    Inspection.objects.create(account=w.jb, as_of=d(2025, 6, 30), verdict="fail",
                              vetoes=["NO_UPDATE_14D"])  # 江北: another subtree
    fb = Feedback.objects.create(account=w.xl, kind="error_report", text="错字")
    Feedback.objects.filter(pk=fb.pk).update(created=datetime.datetime(2025, 5, 1, tzinfo=datetime.UTC))
    Filing.objects.create(account=new, kind="opening", system="provincial", event_on=d(2025, 3, 1),
                          due_on=d(2025, 3, 8), filed_on=d(2025, 3, 5), reference="R1")
    Filing.objects.create(account=new, kind="opening", system="national", event_on=d(2025, 3, 1),
                          due_on=d(2025, 3, 8))
    t = AccountTransition.objects.create(account=w.xl, from_state="active", to_state="active",
                                         name="change", reason="更名")
    AccountTransition.objects.filter(pk=t.pk).update(at=datetime.datetime(2025, 4, 1, tzinfo=datetime.UTC))


def test_it_counts_the_year_in_the_units_subtree(review_world):
    w = review_world
    _data(w)
    rows = {r.code: r.value for r in annual_statistics(unit=w.u.jy, year=YEAR,
                                                        today=datetime.date(2026, 1, 10))}
    assert rows["opened"] == 1 and rows["closed"] == 1 and rows["changed"] == 1
    assert rows["inspections"] == 2 and rows["inspections.passed"] == 1
    assert rows["inspections.pass_rate"] == 50.0
    assert rows["vetoes.NO_UPDATE_14D"] == 1 and rows["vetoes.SERIOUS_ERROR"] == 1
    assert rows["feedback.received"] == 1 and rows["feedback.handled"] == 0
    assert rows["filings.due"] == 2 and rows["filings.on_time"] == 1 and rows["filings.missing"] == 1
    assert rows["accounts.bilibili.active"] == 1
    # Every fixed column is in the mapping with what it counts.
    assert all(c.counts for c in COLUMNS) and {c.code for c in COLUMNS} <= set(rows)


def test_the_page_xlsx_and_pdf(client, review_world):
    w = review_world
    _data(w)
    client.force_login(w.p.jy_reviewer)
    url = reverse("work:annual") + f"?unit=JY&year={YEAR}"
    page = client.get(url).content.decode()
    assert 'data-testid="row-inspections.pass_rate"' in page and "50.0" in page
    assert "统计口径" in page
    book = openpyxl.load_workbook(io.BytesIO(client.get(url + "&fmt=xlsx").content))
    values = {row[0]: row[3] for row in book.active.iter_rows(min_row=2, values_only=True)}
    assert values["opened"] == 1 and values["filings.on_time"] == 1
    response = client.get(url + "&fmt=pdf")
    assert response["Content-Type"] == "application/pdf"
    text = "".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(response.content)).pages)
    text = "".join(text.split())
    assert "2025年度政务新媒体工作统计表" in text and "建邺区人民政府办公室" in text
    # Out of scope: 江北 for a 建邺 reviewer.
    assert client.get(reverse("work:annual") + f"?unit=JB&year={YEAR}").status_code == 404


def _moved(account, at, from_state, to_state, name):
    t = AccountTransition.objects.create(account=account, from_state=from_state, to_state=to_state,
                                         name=name)
    AccountTransition.objects.filter(pk=t.pk).update(at=at)


def _history(w):
    """A 建邺 微博 closed in the NEXT year (2026), a 头条 imported in 2026 that was opened in
    2020, and a 快手 drafted in 2026 (did not exist at the end of 2025)."""
    from lifecycle.models import Account

    utc = datetime.UTC
    closed_later = make_account("建邺旧号", w.u.xl, w.u.jy, platform=Platform.WEIBO,
                                state=AccountState.CLOSED, opened_on=datetime.date(2019, 5, 1))
    Account.objects.filter(pk=closed_later.pk).update(closed_on=datetime.date(2026, 3, 1))
    _moved(closed_later, datetime.datetime(2019, 5, 1, tzinfo=utc), "", "active", "import")
    _moved(closed_later, datetime.datetime(2025, 12, 31, 15, 0, tzinfo=utc), "active", "rectifying",
           "order_rectification")  # 23:00 in Nanjing: still 2025
    _moved(closed_later, datetime.datetime(2026, 1, 20, tzinfo=utc), "rectifying", "active",
           "pass_recheck")
    _moved(closed_later, datetime.datetime(2026, 2, 10, tzinfo=utc), "active", "closing", "apply_closure")
    _moved(closed_later, datetime.datetime(2026, 3, 1, tzinfo=utc), "closing", "closed", "close")
    imported = make_account("建邺导入号", w.u.xl, w.u.jy, platform=Platform.TOUTIAO,
                            opened_on=datetime.date(2020, 1, 1))
    _moved(imported, datetime.datetime(2026, 4, 1, tzinfo=utc), "", "active", "import")
    drafted = make_account("建邺新草稿", w.u.xl, w.u.jy, platform=Platform.KUAISHOU,
                           state=AccountState.APPLYING)
    Account.objects.filter(pk=drafted.pk).update(opened_on=None)
    _moved(drafted, datetime.datetime(2026, 5, 1, tzinfo=utc), "draft", "applying", "submit")


def test_accounts_are_counted_by_their_state_at_the_end_of_the_year(review_world):
    """Issue 14 item 7: the state on 31 December from the transition history, not today's."""
    w = review_world
    _history(w)
    rows = {r.code: r.value for r in annual_statistics(unit=w.u.jy, year=YEAR,
                                                        today=datetime.date(2026, 6, 1))}
    assert rows["accounts.weibo.rectifying"] == 1  # closed in 2026: rectifying on 31 Dec 2025
    assert "accounts.weibo.closed" not in rows
    assert rows["accounts.toutiao.active"] == 1  # imported later, opened 2020: active then
    assert not any(code.startswith("accounts.kuaishou.") for code in rows)  # not there yet
    assert rows["closed"] == 0
    now = {r.code: r.value for r in annual_statistics(unit=w.u.jy, year=2026,
                                                       today=datetime.date(2026, 6, 1))}
    assert now["accounts.weibo.closed"] == 1 and now["accounts.kuaishou.applying"] == 1
    assert now["accounts.total"] - rows["accounts.total"] == 1  # the draft
    assert rows["accounts.live"] == now["accounts.live"] + 1  # 旧号 rectifying then, closed now


def test_page_xlsx_and_pdf_count_the_state_at_the_end_of_the_year(client, review_world):
    w = review_world
    _history(w)
    client.force_login(w.p.jy_reviewer)
    url = reverse("work:annual") + f"?unit=JY&year={YEAR}"
    page = client.get(url).content.decode()
    assert 'data-testid="row-accounts.weibo.rectifying"' in page
    assert 'data-testid="row-accounts.weibo.closed"' not in page
    assert "账号（按平台、年末状态）" in page
    book = openpyxl.load_workbook(io.BytesIO(client.get(url + "&fmt=xlsx").content))
    values = {row[0]: row[3] for row in book.active.iter_rows(min_row=2, values_only=True)}
    assert values["accounts.weibo.rectifying"] == 1 and "accounts.weibo.closed" not in values
    response = client.get(url + "&fmt=pdf")
    text = "".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(response.content)).pages)
    text = "".join(text.split())
    assert "微博·整改中" in text and "微博·已关停" not in text

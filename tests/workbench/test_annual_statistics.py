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

"""Counts beyond what the database holds (audit item 2): a field error, never a traceback or 500.

followers and posts_total are PositiveIntegerField (32-bit on PostgreSQL); parse_int bounds
them at tabular.MAX_COUNT for every importer and POST /api/metrics/.
"""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from lifecycle.models import Account
from lifecycle.tabular import MAX_COUNT, CellError, parse_int
from review.models import MetricSnapshot
from tests.lifecycle.import_files import run, write_csv
from tests.review.helpers import METRICS_HEADER, account

pytestmark = pytest.mark.django_db

HUGE = "9223372036854775808"  # 2**63: SQLite's driver raised OverflowError


@pytest.fixture
def xlfb(nanjing):
    return account(nanjing.u.xl, "兴隆发布", platform="weibo", platform_id="xlfb", followers=10)


def test_import_metrics_reports_a_huge_count_under_its_row(xlfb, tmp_path):
    rows = [
        ["weibo", "xlfb", "2019-06-10", HUGE, "340", "2019-06-09", "1"],
        ["weibo", "xlfb", "2019-06-11", "1200", str(MAX_COUNT + 1), "2019-06-09", "1"],
        ["weibo", "xlfb", "2019-06-12", str(MAX_COUNT), "1e308", "2019-06-09", "1"],
    ]
    result = run("import_metrics", str(write_csv(tmp_path / "m.csv", METRICS_HEADER, rows)))

    assert result.code == 1
    assert result.err_lines == [
        f"row 2: followers: 数值过大：不能大于 {MAX_COUNT}（当前 {HUGE}）",
        f"row 3: posts_total: 数值过大：不能大于 {MAX_COUNT}（当前 {MAX_COUNT + 1}）",
        f"row 4: posts_total: 数值过大：不能大于 {MAX_COUNT}（当前 1e308）",
    ]
    assert not MetricSnapshot.objects.exists()


def test_import_metrics_accepts_the_largest_count(xlfb, tmp_path):
    rows = [["weibo", "xlfb", "2019-06-10", str(MAX_COUNT), "0", "2019-06-09", "1"]]
    result = run("import_metrics", str(write_csv(tmp_path / "m.csv", METRICS_HEADER, rows)))

    assert result.code == 0, result.err
    assert Account.objects.get(pk=xlfb.pk).followers == MAX_COUNT


@pytest.mark.parametrize("value", [99999999999999999999999, 1e308, float(2**40)])
def test_the_metrics_api_answers_400_with_a_field_error(xlfb, nanjing, value):
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=nanjing.p.jy_approver)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    row = {
        "platform": "weibo",
        "platform_id": "xlfb",
        "as_of": "2019-06-10",
        "followers": value,
        "posts_total": 1,
        "last_post_on": "2019-06-09",
        "interaction_enabled": True,
    }

    response = client.post("/api/metrics/", [row], format="json")

    assert response.status_code == 400, response.content
    [error] = response.json()["errors"]
    assert (error["row"], error["field"]) == (2, "followers")
    assert error["message"].startswith(f"数值过大：不能大于 {MAX_COUNT}")
    assert not MetricSnapshot.objects.exists()


def test_import_accounts_lists_the_huge_row_among_the_others(nanjing, tmp_path):
    """It used to surface only in the second (writing) pass, which a file with any other
    error never reaches: the huge row went unreported."""
    header = (
        "name,platform,platform_id,unit_code,opened_on,followers,posts_total,last_post_on,interaction_enabled"
    )
    rows = [
        ["", "weibo", "a1", "NJ", "", "", "", "", "1"],
        ["大号", "weibo", "a2", "NJ", "", HUGE, "", "", "1"],
    ]
    result = run("import_accounts", str(write_csv(tmp_path / "a.csv", header, rows)))

    assert result.code == 1
    assert result.err_lines == [
        "row 2: name: 此项为必填项。",
        f"row 3: followers: 数值过大：不能大于 {MAX_COUNT}（当前 {HUGE}）",
    ]
    assert not Account.objects.exists()


def test_parse_int_bounds():
    assert parse_int("2,147,483,647", field="n") == MAX_COUNT
    assert parse_int("12.0", field="n") == 12
    for text in ("2147483648", "1e10", "inf", "9" * 5000):
        with pytest.raises(CellError, match="数值过大"):
            parse_int(text, field="n", minimum=0)
    with pytest.raises(CellError, match="不能小于 0"):
        parse_int("-" + "9" * 40, field="n", minimum=0)
    with pytest.raises(CellError, match="不是整数"):
        parse_int("nan", field="n")
    # The message quotes a shortened value, not thousands of digits.
    with pytest.raises(CellError) as exc:
        parse_int("9" * 5000, field="n")
    assert len(exc.value.message) < 80

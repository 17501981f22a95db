"""Dates in imports and the metrics API (audit item 6): YYYY-MM-DD (YYYY/MM/DD from
spreadsheets), date cells or date objects only; compact, week and numeric forms refused."""

from __future__ import annotations

import datetime

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from lifecycle.models import Account
from lifecycle.serializers import AccountRowSerializer
from lifecycle.tabular import CellError, parse_date
from review.models import MetricSnapshot
from tests.lifecycle.import_files import run, write_csv, write_xlsx
from tests.review.helpers import METRICS_HEADER, account

pytestmark = pytest.mark.django_db

ACCOUNT_HEADER = (
    "name,platform,platform_id,unit_code,opened_on,followers,posts_total,last_post_on,interaction_enabled"
)


@pytest.mark.parametrize(
    "text,day",
    [
        ("2026-11-25", datetime.date(2026, 11, 25)),
        ("2020/01/01", datetime.date(2020, 1, 1)),
        ("2019/6/5", datetime.date(2019, 6, 5)),
        ("2019-06-01T00:00:00", datetime.date(2019, 6, 1)),  # an XLSX date cell
        ("2019-06-01 10:30", datetime.date(2019, 6, 1)),
    ],
)
def test_it_accepts_iso_and_spreadsheet_dates(text, day):
    assert parse_date(text, field="d") == day


@pytest.mark.parametrize(
    "text",
    [
        "20261125",
        "2026-W52-1",
        "2026W521",
        "2026-330",
        "2026-11/25",
        "25.11.2026",
        "11/25/2026",
        "2026-11-25x",
    ],
)
def test_it_refuses_other_forms(text):
    with pytest.raises(CellError, match="不是有效日期"):
        parse_date(text, field="d")


def test_import_accounts_refuses_compact_and_week_dates(nanjing, tmp_path):
    rows = [
        ["甲", "weibo", "a1", "NJ", "20190101", "", "", "", "1"],
        ["乙", "weibo", "a2", "NJ", "", "", "", "2019-W10-1", "1"],
        ["丙", "weibo", "a3", "NJ", "2019/01/01", "", "", "2019-06-01", "1"],
    ]
    result = run("import_accounts", str(write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, rows)))

    assert result.code == 1
    assert result.err_lines == [
        "row 2: opened_on: 「20190101」不是有效日期（应为 YYYY-MM-DD）",
        "row 3: last_post_on: 「2019-W10-1」不是有效日期（应为 YYYY-MM-DD）",
    ]
    assert not Account.objects.exists()


def test_import_accounts_refuses_a_number_cell_in_a_date_column(nanjing, tmp_path):
    rows = [
        ["甲", "weibo", "a1", "NJ", 20190101, "", "", "", "1"],
        ["乙", "weibo", "a2", "NJ", datetime.date(2019, 1, 1), "", "", "", "1"],
    ]
    result = run("import_accounts", str(write_xlsx(tmp_path / "a.xlsx", ACCOUNT_HEADER, rows)))

    assert result.err_lines == ["row 2: opened_on: 「20190101」不是有效日期（应为 YYYY-MM-DD）"]


def test_the_row_serializer_refuses_json_numbers():
    data = {"name": "甲", "platform": "weibo", "platform_id": "a1", "unit_code": "", "opened_on": 20190101}
    serializer = AccountRowSerializer(data=data, context={"units": {}})

    assert not serializer.is_valid()
    assert serializer.errors["opened_on"] == [
        "「20190101」不是有效日期（应为 YYYY-MM-DD 格式的文本或日期单元格）。"
    ]


def test_import_metrics_refuses_a_compact_as_of(nanjing, tmp_path):
    account(nanjing.u.xl, "兴隆发布", platform="weibo", platform_id="xlfb")
    rows = [["weibo", "xlfb", "20190610", "1", "1", "2019-06-09", "1"]]
    result = run("import_metrics", str(write_csv(tmp_path / "m.csv", METRICS_HEADER, rows)))

    assert result.err_lines == ["row 2: as_of: 「20190610」不是有效日期（应为 YYYY-MM-DD）"]


def test_the_metrics_api_refuses_an_integer_as_of(nanjing):
    account(nanjing.u.xl, "兴隆发布", platform="weibo", platform_id="xlfb")
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=nanjing.p.jy_approver)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    row = {
        "platform": "weibo",
        "platform_id": "xlfb",
        "as_of": 20190610,
        "followers": 1,
        "posts_total": 1,
        "interaction_enabled": True,
    }

    response = client.post("/api/metrics/", [row], format="json")

    assert response.status_code == 400
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(2, "as_of")]
    assert not MetricSnapshot.objects.exists()

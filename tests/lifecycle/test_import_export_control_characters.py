"""Control characters (audit item 1): importers refuse C0 controls in text, exports never crash.

The API and web forms accept a name with U+0001; openpyxl refuses to store it
(IllegalCharacterError), and PostgreSQL refuses a NUL in any text column.
"""

from __future__ import annotations

import csv

import openpyxl
import pytest

from lifecycle.models import Account, Unit
from lifecycle.tabular import CellError, check_text, export_text
from review.models import MetricSnapshot
from tests.lifecycle.import_files import run, write_csv
from tests.review.helpers import METRICS_HEADER, account

pytestmark = pytest.mark.django_db

ACCOUNT_HEADER = (
    "name,platform,platform_id,unit_code,opened_on,followers,posts_total,last_post_on,interaction_enabled"
)


def test_it_refuses_a_nul_in_an_account_name(nanjing, tmp_path):
    rows = [
        ["好账号", "weibo", "ok1", "NJ", "", "", "", "", "1"],
        ["坏\x00账号", "weibo", "bad1", "NJ", "", "", "", "", "1"],
        ["也坏", "weibo", "bad\x012", "NJ", "", "", "", "", "1"],
    ]
    result = run("import_accounts", str(write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, rows)))

    assert result.code == 1
    assert result.err_lines == [
        "row 3: name: 含有不可见的控制字符 U+0000，请删除后再导入。",
        "row 4: platform_id: 含有不可见的控制字符 U+0001，请删除后再导入。",
    ]
    assert not Account.objects.exists()


def test_it_keeps_tabs_and_line_breaks(nanjing, tmp_path):
    rows = [["两行\n名称", "weibo", "ok1", "NJ", "", "", "", "", "1"]]
    result = run("import_accounts", str(write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, rows)))

    assert result.code == 0, result.err
    assert Account.objects.get(platform_id="ok1").name == "两行\n名称"


def test_it_refuses_control_characters_in_units_and_users(nanjing, tmp_path):
    units = write_csv(
        tmp_path / "u.csv",
        "code,name,short_name,level,kind,parent_code",
        [["X1", "某\x07单位", "", "city", "department", "NJ"]],
    )
    users = write_csv(
        tmp_path / "p.csv",
        "username,full_name,email,unit_code,roles,password",
        [["zhang", "张\x1b三", "", "NJ", "approver", ""]],
    )

    unit_result = run("import_units", str(units))
    user_result = run("import_users", str(users))

    assert unit_result.err_lines == ["row 2: name: 含有不可见的控制字符 U+0007，请删除后再导入。"]
    assert user_result.err_lines == ["row 2: full_name: 含有不可见的控制字符 U+001B，请删除后再导入。"]
    assert not Unit.objects.filter(code="X1").exists()


def test_import_metrics_refuses_a_nul_in_the_platform_id(nanjing, tmp_path):
    account(nanjing.u.xl, "兴隆发布", platform="weibo", platform_id="xlfb", followers=10)
    rows = [
        ["weibo", "xlfb", "2019-06-10", "1200", "340", "2019-06-09", "1"],
        ["weibo", "xl\x00fb", "2019-06-10", "1200", "340", "2019-06-09", "1"],
    ]
    result = run("import_metrics", str(write_csv(tmp_path / "m.csv", METRICS_HEADER, rows)))

    assert result.code == 1
    assert result.err_lines == ["row 3: platform_id: 含有不可见的控制字符 U+0000，请删除后再导入。"]
    # The good row was checked too, and rolled back with the rest.
    assert not MetricSnapshot.objects.exists()


def test_the_account_channel_api_field_refuses_them_too():
    from lifecycle.api_accounts import ChannelSerializer

    serializer = ChannelSerializer(data={"kind": "phone", "value": "025\x00123"})

    assert not serializer.is_valid()
    assert serializer.errors["value"] == ["含有不可见的控制字符 U+0000，请删除后再导入。"]


def test_check_text():
    assert check_text("a\tb\r\nc", field="name") == "a\tb\r\nc"
    with pytest.raises(CellError):
        check_text("a\x0bb", field="name")


# -- exports ----------------------------------------------------------------------------


@pytest.fixture
def control_name(nanjing):
    """What the API and web forms let through: control characters other than NUL (NUL is
    refused at the door: the JSON parser and StripNulMiddleware; PostgreSQL cannot store it)."""
    return account(nanjing.u.xl, "兴隆\x01发\x1f布", platform="weibo", platform_id="xl\x02fb")


def test_export_accounts_xlsx_does_not_crash(control_name, tmp_path):
    out = tmp_path / "a.xlsx"
    result = run("export_accounts", "--format", "xlsx", "--out", str(out))

    assert result.code == 0, result.err
    row = list(openpyxl.load_workbook(out).worksheets[0].iter_rows(values_only=True))[1]
    assert row[:3] == ("兴隆发布", "weibo", "xlfb")


def test_export_accounts_csv_drops_them_and_imports_again(control_name, tmp_path):
    out = tmp_path / "a.csv"
    assert run("export_accounts", "--format", "csv", "--out", str(out)).code == 0
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[1][:3] == ["兴隆发布", "weibo", "xlfb"]

    Account.objects.all().delete()
    result = run("import_accounts", str(out))
    assert result.code == 0, result.err
    assert Account.objects.get().name == "兴隆发布"


def test_export_zombies_xlsx_does_not_crash(nanjing, tmp_path):
    account(nanjing.u.xl, "僵尸\x01号", last_post_on=None)
    out = tmp_path / "z.xlsx"
    result = run("export_zombies", "--as-of", "2019-06-15", "--out", str(out))

    assert result.code == 0, result.err
    names = [r[2] for r in openpyxl.load_workbook(out).worksheets[0].iter_rows(values_only=True)]
    assert "僵尸号" in names


def test_export_text():
    assert export_text("a\x00b\x1fc\td") == "abc\td"

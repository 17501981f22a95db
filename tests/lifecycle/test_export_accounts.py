"""export_accounts --format csv|xlsx --out FILE: import_accounts columns + state, successor."""

from __future__ import annotations

import csv
import datetime

import openpyxl
import pytest

from lifecycle import services
from lifecycle.models import Account
from tests.factories import AccountFactory
from tests.lifecycle.import_files import run

COLUMNS = [
    "name",
    "platform",
    "platform_id",
    "unit_code",
    "opened_on",
    "followers",
    "posts_total",
    "last_post_on",
    "interaction_enabled",
    "state",
    "successor",
]


@pytest.fixture
def register(nanjing):
    """南京质检 merged into 南京食药监 (the 2019 story), plus one account with blanks."""
    u, p = nanjing.u, nanjing.p
    shiyao = AccountFactory(
        name="南京食药监",
        platform="wechat_official",
        platform_id="njshiyaojian",
        unit=u.njzj,
        opened_on=datetime.date(2014, 3, 1),
        followers=52000,
        posts_total=3100,
        last_post_on=datetime.date(2019, 6, 3),
        interaction_enabled=True,
    )
    zhijian = AccountFactory(
        name="南京质检",
        platform="wechat_official",
        platform_id="njzhijian",
        unit=u.njzj,
        opened_on=datetime.date(2013, 8, 8),
        followers=8000,
        posts_total=900,
        last_post_on=datetime.date(2019, 5, 20),
        interaction_enabled=False,
    )
    services.account_start_closure(account=zhijian, actor=p.nj_approver, reason="机构改革")
    services.account_merge(
        account=zhijian,
        actor=p.nj_approver,
        successor=shiyao,
        deregistered_on=datetime.date(2019, 6, 20),
    )
    AccountFactory(
        name="兴隆抖音",
        platform="douyin",
        platform_id="",
        unit=u.xl,
        opened_on=None,
        followers=None,
        posts_total=None,
        last_post_on=None,
    )
    return nanjing


def test_it_exports_csv(register, tmp_path):
    out = tmp_path / "accounts.csv"
    result = run("export_accounts", "--format", "csv", "--out", str(out))

    assert result.code == 0, result.err
    assert "已导出账号 3 个" in result.out
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == COLUMNS
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["南京质检"] == [
        "南京质检",
        "wechat_official",
        "njzhijian",
        "NJZJ",
        "2013-08-08",
        "8000",
        "900",
        "2019-05-20",
        "false",
        "merged",
        # The name alone is ambiguous (one name on several platforms).
        "南京食药监（微信公众号 njshiyaojian）",
    ]
    assert by_name["南京食药监"][9:] == ["active", ""]
    assert by_name["兴隆抖音"] == [
        "兴隆抖音",
        "douyin",
        "",
        "JYXL",
        "",
        "",
        "",
        "",
        "true",
        "active",
        "",
    ]


def test_it_exports_xlsx(register, tmp_path):
    out = tmp_path / "accounts.xlsx"
    result = run("export_accounts", "--format", "xlsx", "--out", str(out))

    assert result.code == 0, result.err
    sheet = openpyxl.load_workbook(out).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == COLUMNS
    zhijian = next(r for r in rows[1:] if r[0] == "南京质检")
    assert zhijian[3:5] == ("NJZJ", datetime.datetime(2013, 8, 8))
    assert zhijian[5] == 8000
    assert zhijian[9:] == ("merged", "南京食药监（微信公众号 njshiyaojian）")


def test_it_takes_the_format_from_the_extension(register, tmp_path):
    out = tmp_path / "accounts.xlsx"
    result = run("export_accounts", "--out", str(out))

    assert result.code == 0, result.err
    assert openpyxl.load_workbook(out).worksheets[0].max_row == 4


def test_it_writes_csv_to_stdout(register):
    result = run("export_accounts", "--format", "csv", "--out", "-")

    assert result.code == 0
    assert result.out.splitlines()[0] == ",".join(COLUMNS)
    assert len(result.out.splitlines()) == 4


def test_its_file_refuses_ended_accounts_on_import(register, tmp_path):
    """An export loaded into an empty register: the merged account must not come back as
    active, and the account without a platform id is refused. Nothing is written. (A round
    trip of active accounts: tests/lifecycle/test_export_import_round_trip.py.)"""
    out = tmp_path / "accounts.xlsx"
    run("export_accounts", "--out", str(out))
    Account.objects.update(successor=None)
    Account.objects.all().delete()

    result = run("import_accounts", str(out))

    assert result.code == 1
    assert any(
        line.startswith("row ") and "state: 状态为「已整合（merged）」" in line
        for line in result.err_lines
    ), result.err
    assert any("platform_id: 此项为必填项。" in line for line in result.err_lines), result.err
    assert len(result.err_lines) == 2
    assert not Account.objects.exists()


def test_it_refuses_an_unknown_format(register, tmp_path):
    result = run("export_accounts", "--out", str(tmp_path / "accounts.txt"))

    assert result.code == 1
    assert "--format csv|xlsx" in result.err


def test_it_refuses_an_unwritable_path(register, tmp_path):
    result = run("export_accounts", "--out", str(tmp_path / "no" / "such" / "dir.csv"))

    assert result.code == 1
    assert "无法写入" in result.err

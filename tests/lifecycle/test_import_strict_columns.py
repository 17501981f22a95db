"""Imports are strict about the file's shape (audit item 7).

Unknown or repeated columns are `row 1` errors; values right of the header are errors of
their row; import_accounts accepts the export's state and successor columns but only active
rows, and needs a platform id; import_users refuses a second row for the same user and unit.
"""

from __future__ import annotations

import csv

import pytest

from lifecycle.models import Account, Membership, Unit
from review.models import MetricSnapshot
from tests.lifecycle.import_files import run, write_csv, write_xlsx
from tests.review.helpers import METRICS_HEADER, account

pytestmark = pytest.mark.django_db

ACCOUNT_HEADER = (
    "name,platform,platform_id,unit_code,opened_on,followers,posts_total,last_post_on,interaction_enabled"
)
UNIT_HEADER = "code,name,short_name,level,kind,parent_code"
USER_HEADER = "username,full_name,email,unit_code,roles,password"


def test_it_names_unknown_columns(nanjing, tmp_path):
    path = write_csv(
        tmp_path / "u.csv",
        UNIT_HEADER + ",remark,level",
        [["X1", "某局", "", "city", "department", "NJ", "备注", "city"]],
    )
    result = run("import_units", str(path))

    assert result.code == 1
    assert result.err_lines == [
        "row 1: remark: 未知列（可用的列：code,name,short_name,level,kind,parent_code）。",
        "row 1: level: 列名重复。",
    ]
    assert not Unit.objects.filter(code="X1").exists()


def test_import_metrics_names_unknown_columns(nanjing, tmp_path):
    path = write_csv(
        tmp_path / "m.csv", [*METRICS_HEADER, "fans"], [["weibo", "x", "2019-06-10", "", "", "", "1", "9"]]
    )
    result = run("import_metrics", str(path))

    assert result.code == 1
    assert result.err_lines[0].startswith("row 1: fans: 未知列")


def test_it_refuses_values_beyond_the_header(nanjing, tmp_path):
    path = tmp_path / "u.csv"
    path.write_text(
        UNIT_HEADER + "\n"
        "X1,某局,,city,department,NJ\n"
        "X2,某,局,,city,department,NJ\n",  # an unquoted comma shifts the row
        encoding="utf-8",
    )
    result = run("import_units", str(path))

    assert result.code == 1
    assert result.err_lines[0] == "row 3: -: 第 7 列有值「NJ」，但表头在这一列没有列名。"
    assert not Unit.objects.filter(code__in=["X1", "X2"]).exists()


def test_it_refuses_values_under_a_blank_header_cell_in_xlsx(nanjing, tmp_path):
    header = ["code", "name", "short_name", "level", "kind", "parent_code", None, None]
    rows = [["X1", "某局", "", "city", "department", "NJ", None, "多余"]]
    result = run("import_units", str(write_xlsx(tmp_path / "u.xlsx", header, rows)))

    assert result.err_lines == ["row 2: -: 第 8 列有值「多余」，但表头在这一列没有列名。"]


def test_import_metrics_refuses_values_beyond_the_header(nanjing, tmp_path):
    account(nanjing.u.xl, "兴隆发布", platform="weibo", platform_id="xlfb")
    path = write_csv(
        tmp_path / "m.csv", METRICS_HEADER, [["weibo", "xlfb", "2019-06-10", "1", "1", "", "1", "x"]]
    )
    result = run("import_metrics", str(path))

    assert result.err_lines == ["row 2: -: 第 8 列有值「x」，但表头在这一列没有列名。"]
    assert not MetricSnapshot.objects.exists()


# -- import_accounts ---------------------------------------------------------------------


def test_import_accounts_accepts_the_exports_columns_for_active_rows(nanjing, tmp_path):
    rows = [
        ["甲", "weibo", "a1", "NJ", "", "", "", "", "1", "active", ""],
        ["乙", "douyin", "a2", "NJ", "", "", "", "", "1", "", "甲（微博 a1）"],
    ]
    path = write_csv(tmp_path / "a.csv", ACCOUNT_HEADER + ",state,successor", rows)
    result = run("import_accounts", str(path))

    assert result.code == 0, result.err
    assert Account.objects.count() == 2


def test_import_accounts_refuses_rows_that_are_not_active(nanjing, tmp_path):
    rows = [
        ["甲", "weibo", "a1", "NJ", "", "", "", "", "1", "active", ""],
        ["乙", "weibo", "a2", "NJ", "", "", "", "", "1", "closed", ""],
        ["丙", "weibo", "a3", "NJ", "", "", "", "", "1", "已整合", "甲（微博 a1）"],
        ["丁", "weibo", "a4", "NJ", "", "", "", "", "1", "gone", ""],
    ]
    path = write_csv(tmp_path / "a.csv", ACCOUNT_HEADER + ",state,successor", rows)
    result = run("import_accounts", str(path))

    assert result.code == 1
    assert [line.split("：")[0] for line in result.err_lines] == [
        "row 3: state: 状态为「已关停（closed）」",
        "row 4: state: 状态为「已整合」",
        "row 5: state: 状态为「gone」",
    ]
    assert not Account.objects.exists()


def test_import_accounts_round_trips_an_export_of_active_accounts(nanjing, tmp_path):
    account(nanjing.u.xl, "兴隆发布", platform="weibo", platform_id="xlfb")
    account(nanjing.u.nj, "南京发布", platform="wechat_official", platform_id="njfabu")
    out = tmp_path / "a.csv"
    assert run("export_accounts", "--out", str(out)).code == 0
    with out.open(encoding="utf-8-sig", newline="") as fh:
        assert next(csv.reader(fh))[-2:] == ["state", "successor"]
    before = sorted(Account.objects.values_list("name", "platform", "platform_id", "unit__code"))
    Account.objects.all().delete()

    result = run("import_accounts", str(out))

    assert result.code == 0, result.err
    assert sorted(Account.objects.values_list("name", "platform", "platform_id", "unit__code")) == before


def test_import_accounts_needs_a_platform_id(nanjing, tmp_path):
    rows = [["甲", "weibo", "", "NJ", "", "", "", "", "1"]]
    result = run("import_accounts", str(write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, rows)))

    assert result.err_lines == ["row 2: platform_id: 此项为必填项。"]


# -- import_users --------------------------------------------------------------------------


def test_import_users_refuses_the_same_user_and_unit_twice(nanjing, tmp_path):
    rows = [
        ["zhang", "张三", "", "NJ", "approver", ""],
        ["zhang", "张三", "", "NJ", "inspector", ""],
        ["li", "李四", "", "", "", ""],
        ["li", "李四", "", "", "", ""],
        ["wang", "王五", "", "", "", ""],
        ["wang", "王五", "", "JY", "approver", ""],
    ]
    result = run("import_users", str(write_csv(tmp_path / "p.csv", USER_HEADER, rows)))

    assert result.code == 1
    assert result.err_lines == [
        "row 3: username: 用户「zhang」在第 2 行已有单位「NJ」；同一单位的多个角色请写在一行，用“;”分隔。",
        "row 5: username: 用户「li」已在第 4 行出现；不填单位的用户只能有一行。",
        "row 7: username: 用户「wang」已在第 6 行出现；不填单位的用户只能有一行。",
    ]
    assert not Membership.objects.filter(user__username__in=["zhang", "li", "wang"]).exists()


def test_import_users_still_takes_one_row_per_unit(nanjing, tmp_path):
    rows = [
        ["zhang", "张三", "", "NJ", "approver", ""],
        ["zhang", "", "", "JY", "inspector", ""],
    ]
    result = run("import_users", str(write_csv(tmp_path / "p.csv", USER_HEADER, rows)))

    assert result.code == 0, result.err
    assert sorted(Membership.objects.filter(user__username="zhang").values_list("unit__code", "role")) == [
        ("JY", "inspector"),
        ("NJ", "approver"),
    ]

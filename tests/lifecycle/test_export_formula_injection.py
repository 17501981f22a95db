"""Spreadsheet formula injection (audit item 3) in every export (lifecycle.tabular).

XLSX: text is always a string cell, never a formula. CSV: text starting with = + - @ (or
tab/CR) is prefixed with an apostrophe (OWASP "CSV Injection"); import_accounts removes it
again, so an export still imports unchanged.
"""

from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
import pytest

from lifecycle.models import Account
from tests.lifecycle.import_files import run
from tests.review.helpers import AS_OF, account

pytestmark = pytest.mark.django_db

EVIL = "=cmd|' /C calc'!A0"


@pytest.fixture
def evil(nanjing):
    return [
        account(nanjing.u.xl, EVIL, platform="weibo", platform_id="evil1", last_post_on=None),
        account(nanjing.u.xl, "@SUM(1+1)", platform="douyin", platform_id="-2+3", last_post_on=None),
    ]


def csv_rows(path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def assert_no_formulas(path) -> None:
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet


def test_export_accounts_csv_neutralises_formulas(evil, tmp_path):
    out = tmp_path / "a.csv"
    assert run("export_accounts", "--out", str(out)).code == 0

    by_id = {r[2]: r for r in csv_rows(out)[1:]}
    assert by_id["evil1"][0] == "'" + EVIL
    assert by_id["'-2+3"][0] == "'@SUM(1+1)"
    # Numbers stay numbers.
    assert by_id["evil1"][5] == "1000"


def test_export_accounts_xlsx_writes_text_cells(evil, tmp_path):
    out = tmp_path / "a.xlsx"
    assert run("export_accounts", "--out", str(out)).code == 0

    assert_no_formulas(out)
    sheet = openpyxl.load_workbook(out).worksheets[0]
    names = {row[0].value: row[0].data_type for row in sheet.iter_rows(min_row=2)}
    assert names[EVIL] == "s"
    assert names["@SUM(1+1)"] == "s"
    assert sheet.cell(row=2, column=6).data_type == "n"  # followers stay numbers


def test_export_accounts_to_stdout_neutralises_formulas(evil):
    result = run("export_accounts", "--format", "csv", "--out", "-")

    rows = list(csv.reader(io.StringIO(result.out)))
    assert "'" + EVIL in [r[0] for r in rows]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_neutralised_export_imports_unchanged(evil, tmp_path, fmt):
    out = tmp_path / f"a.{fmt}"
    assert run("export_accounts", "--out", str(out)).code == 0
    Account.objects.all().delete()

    result = run("import_accounts", str(out))

    assert result.code == 0, result.err
    assert sorted(Account.objects.values_list("name", "platform_id")) == sorted(
        [(EVIL, "evil1"), ("@SUM(1+1)", "-2+3")]
    )


def test_export_zombies_csv_and_xlsx(evil, tmp_path):
    out_csv, out_xlsx = tmp_path / "z.csv", tmp_path / "z.xlsx"
    assert run("export_zombies", "--as-of", AS_OF.isoformat(), "--out", str(out_csv)).code == 0
    assert run("export_zombies", "--as-of", AS_OF.isoformat(), "--out", str(out_xlsx)).code == 0

    assert "'" + EVIL in [r[2] for r in csv_rows(out_csv)]
    assert_no_formulas(out_xlsx)
    sheet = openpyxl.load_workbook(out_xlsx).worksheets[0]
    assert EVIL in [row[2].value for row in sheet.iter_rows(min_row=2)]


def test_review_csv(evil):
    result = run("review", "--as-of", AS_OF.isoformat(), "--format", "csv")

    assert result.code == 0, result.err
    names = [r[1] for r in csv.reader(io.StringIO(result.out))]
    assert "'" + EVIL in names and "'@SUM(1+1)" in names
    assert EVIL not in names

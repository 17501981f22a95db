"""import_units: csv|xlsx code,name,short_name,level,kind,parent_code (DESIGN §8)."""

from __future__ import annotations

import pytest

from lifecycle.models import Unit, UnitKind
from tests.lifecycle.import_files import run, write_csv, write_xlsx

HEADER = "code,name,short_name,level,kind,parent_code"

# The street comes before its district and the district before the city: parents may
# appear later in the same file.
GOOD = [
    ["JYXL", "兴隆街道办事处", "兴街办", "township", "government_office", "JY"],
    ["JY", "建邺区人民政府办公室", "建政办", "county", "government_office", "NJ"],
    ["NJ", "南京市人民政府办公室", "宁政办", "city", "government_office", ""],
    ["NJZJ", "南京市质量技术监督局", "宁质监", "city", "department", "NJ"],
    ["JYXLNB", "兴隆街道党政办", "", "township", "internal", "JYXL"],
]

pytestmark = pytest.mark.django_db


def test_it_imports_csv_with_parents_defined_later(tmp_path):
    result = run("import_units", str(write_csv(tmp_path / "units.csv", HEADER, GOOD)))

    assert result.code == 0, result.err
    assert "新增单位 5 个，更新 0 个" in result.out
    xl = Unit.objects.get(code="JYXL")
    assert xl.parent.code == "JY"
    assert xl.parent.parent.code == "NJ"
    assert [u.code for u in xl.ancestors()] == ["NJ", "JY"]
    # The default supervisor is the nearest government office above.
    assert Unit.objects.get(code="NJZJ").supervisor.code == "NJ"
    assert Unit.objects.get(code="JYXLNB").may_open_accounts is False
    assert set(Unit.objects.subtree(Unit.objects.get(code="JY")).values_list("code", flat=True)) == {
        "JY",
        "JYXL",
        "JYXLNB",
    }


def test_it_imports_xlsx(tmp_path):
    result = run("import_units", str(write_xlsx(tmp_path / "units.xlsx", HEADER, GOOD)))

    assert result.code == 0, result.err
    assert Unit.objects.count() == 5
    assert Unit.objects.get(code="NJZJ").short_name == "宁质监"


def test_it_accepts_chinese_labels_and_codes_as_numbers(tmp_path):
    path = write_xlsx(
        tmp_path / "units.xlsx",
        HEADER,
        [[320100, "南京市人民政府办公室", "宁政办", "市级", "政府办公厅（室）", None]],
    )
    result = run("import_units", str(path))

    assert result.code == 0, result.err
    unit = Unit.objects.get(code="320100")
    assert (unit.level, unit.kind) == ("city", UnitKind.GOVERNMENT_OFFICE)


def test_it_updates_existing_units_by_code(tmp_path):
    run("import_units", str(write_csv(tmp_path / "a.csv", HEADER, GOOD)))
    moved = [["JYXL", "兴隆街道", "兴街", "township", "government_office", "NJ"]]
    result = run("import_units", str(write_csv(tmp_path / "b.csv", HEADER, moved)))

    assert result.code == 0, result.err
    assert "新增单位 0 个，更新 1 个" in result.out
    xl = Unit.objects.get(code="JYXL")
    assert (xl.name, xl.parent.code) == ("兴隆街道", "NJ")
    # The internal unit below moved along with it (materialized path rewritten).
    assert Unit.objects.get(code="JYXLNB").is_within(Unit.objects.get(code="NJ"))
    assert not Unit.objects.get(code="JYXLNB").is_within(Unit.objects.get(code="JY"))


def test_it_reports_every_bad_row_and_writes_nothing(tmp_path):
    rows = [
        ["NJ", "南京市人民政府办公室", "宁政办", "city", "government_office", ""],  # row 2 ok
        ["JY", "建邺区人民政府办公室", "建政办", "district", "government_office", "NJ"],  # 3
        ["JYXL", "兴隆街道办事处", "兴街办", "township", "office", "JY"],  # 4
        ["PK", "浦口区人民政府办公室", "浦政办", "county", "government_office", "NOPE"],  # 5
        ["NJ", "南京市政府", "宁政", "city", "government_office", ""],  # 6
        ["", "", "", "", "", ""],  # 7: blank line, skipped
        ["", "无代码单位", "", "city", "department", "NJ"],  # 8
    ]
    result = run("import_units", str(write_csv(tmp_path / "bad.csv", HEADER, rows)))

    assert result.code == 1
    assert result.err_lines == [
        "row 3: level: 「district」不是有效的层级，可选：province|city|county|township|community。",
        "row 4: kind: 「office」不是有效的单位类别，可选：government_office|department|"
        "institution|internal|community_committee。",
        "row 5: parent_code: 上级单位代码「NOPE」既不在文件中，也不在系统中。",
        "row 6: code: 代码「NJ」与第 2 行重复。",
        "row 8: code: 此项为必填项。",
    ]
    assert "5 处错误，未写入任何数据" in result.err
    assert Unit.objects.count() == 0


def test_it_rejects_cycles(tmp_path):
    rows = [
        ["A", "甲", "", "city", "department", "B"],
        ["B", "乙", "", "city", "department", "A"],
        ["C", "丙", "", "city", "department", "C"],
        ["D", "丁", "", "city", "department", ""],
    ]
    result = run("import_units", str(write_csv(tmp_path / "cycle.csv", HEADER, rows)))

    assert result.code == 1
    assert result.err_lines == [
        "row 2: parent_code: 上级关系形成循环：A → B → A",
        "row 3: parent_code: 上级关系形成循环：B → A → B",
        "row 4: parent_code: 上级关系形成循环：C → C",
    ]
    assert not Unit.objects.exists()


def test_it_rejects_a_cycle_through_existing_units(tmp_path):
    run("import_units", str(write_csv(tmp_path / "a.csv", HEADER, GOOD)))
    # NJ under JYXL, which is under JY, which is under NJ.
    rows = [["NJ", "南京市人民政府办公室", "宁政办", "city", "government_office", "JYXL"]]
    result = run("import_units", str(write_csv(tmp_path / "b.csv", HEADER, rows)))

    assert result.code == 1
    assert result.err_lines == ["row 2: parent_code: 上级关系形成循环：NJ → JYXL → JY → NJ"]
    assert Unit.objects.get(code="NJ").parent is None


def test_it_rejects_a_level_above_the_parent(tmp_path):
    rows = [
        ["JY", "建邺区人民政府办公室", "建政办", "county", "government_office", ""],
        ["NJ", "南京市人民政府办公室", "宁政办", "city", "government_office", "JY"],
    ]
    result = run("import_units", str(write_csv(tmp_path / "lvl.csv", HEADER, rows)))

    assert result.code == 1
    assert result.err_lines == ["row 3: level: 层级「市级」高于上级单位「JY」的层级「县级」。"]
    assert not Unit.objects.exists()


def test_it_reports_too_long_values(tmp_path):
    rows = [["NJ", "南京", "宁" * 21, "city", "government_office", ""]]
    result = run("import_units", str(write_csv(tmp_path / "long.csv", HEADER, rows)))

    assert result.err_lines == ["row 2: short_name: 不能超过 20 个字符。"]
    assert result.code == 1


def test_it_refuses_missing_columns(tmp_path):
    path = write_csv(tmp_path / "cols.csv", "code,name,level", [["NJ", "南京", "city"]])
    result = run("import_units", str(path))

    assert result.code == 1
    assert "缺少列：short_name, kind, parent_code" in result.err
    assert "Traceback" not in result.err
    assert not Unit.objects.exists()


def test_it_refuses_a_missing_file(tmp_path):
    result = run("import_units", str(tmp_path / "nope.csv"))

    assert result.code == 1
    assert "文件不存在" in result.err


def test_it_refuses_a_wrong_extension(tmp_path):
    path = tmp_path / "units.json"
    path.write_text("[]")
    result = run("import_units", str(path))

    assert result.code == 1
    assert "不支持的文件类型" in result.err


def test_it_refuses_a_damaged_xlsx(tmp_path):
    path = tmp_path / "units.xlsx"
    path.write_bytes(b"not a zip file")
    result = run("import_units", str(path))

    assert result.code == 1
    assert "XLSX" in result.err


def test_it_accepts_a_header_only_file(tmp_path):
    result = run("import_units", str(write_csv(tmp_path / "empty.csv", HEADER, [])))

    assert result.code == 0
    assert "没有数据行" in result.out

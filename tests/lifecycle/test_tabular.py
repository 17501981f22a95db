"""lifecycle.tabular: shared row reading and cell parsing of the import commands."""

from __future__ import annotations

import datetime

import pytest

from lifecycle.tabular import (
    CellError,
    RowErrors,
    parse_bool,
    parse_date,
    parse_int,
    read_rows,
)


def test_it_numbers_rows_as_a_spreadsheet_does(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("\ufeffA, B \n1,2\n\n3,4\n", encoding="utf-8")
    assert read_rows(path) == [(2, {"a": "1", "b": "2"}), (4, {"a": "3", "b": "4"})]


@pytest.mark.parametrize(
    "text,value",
    [
        ("true", True),
        ("1", True),
        ("yes", True),
        ("是", True),
        ("FALSE", False),
        ("0", False),
        ("no", False),
        ("否", False),
    ],
)
def test_it_parses_booleans(text, value):
    assert parse_bool(text, field="f") is value


def test_it_rejects_bad_cells_with_the_field_name():
    with pytest.raises(CellError) as exc:
        parse_bool("maybe", field="interaction_enabled")
    assert exc.value.field == "interaction_enabled"
    with pytest.raises(CellError):
        parse_int("-1", field="n", minimum=0)
    with pytest.raises(CellError):
        parse_date("2019-02-30", field="d")
    with pytest.raises(CellError):
        parse_date("2019-06-16", field="d", not_after=datetime.date(2019, 6, 15))
    assert parse_date("2019/6/5", field="d") == datetime.date(2019, 6, 5)
    assert parse_int("1,234", field="n") == 1234


def test_it_formats_collected_errors_by_row():
    errors = RowErrors()
    errors.parse(5, parse_int, "x", field="followers")
    errors.add(3, "platform", "必填")
    assert errors.format() == "row 3: platform: 必填\nrow 5: followers: 「x」不是整数"

"""WORKDAY_CALENDAR_FILE: operator-maintained holidays and make-up workdays on top of
chinese-calendar, which (1.11.0) knows 2004–2026 only; 2027 dates without the file fall
back to Monday–Friday with a warning, once per process and year."""

from __future__ import annotations

import datetime
import json
import logging
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from lifecycle import workdays
from lifecycle.workdays import add_working_days, is_workday

D = datetime.date
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fresh_warnings(monkeypatch):
    monkeypatch.setattr(workdays, "_warned_years", set())


def _json_file(tmp_path, data) -> str:
    path = tmp_path / "calendar.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_it_counts_an_extra_holiday_from_the_file(tmp_path):
    # Without the file, Fri 2027-01-01 (元旦) is a working day: Thu 12-31 + 1 = 01-01.
    assert add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 1)
    path = _json_file(tmp_path, {"holidays": [{"date": "2027-01-01", "name": "元旦"}]})
    with override_settings(WORKDAY_CALENDAR_FILE=path):
        assert not is_workday(D(2027, 1, 1))
        assert add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)  # Fri off, weekend, Mon


def test_it_expands_a_holiday_range(tmp_path):
    path = _json_file(tmp_path, {"holidays": [
        {"date": "2027-02-08", "end": "2027-02-10", "name": "春节（示例）"}]})
    with override_settings(WORKDAY_CALENDAR_FILE=path):
        assert [is_workday(D(2027, 2, d)) for d in range(8, 12)] == [False, False, False, True]


def test_it_counts_an_extra_make_up_workday(tmp_path):
    path = tmp_path / "calendar.csv"
    path.write_text("date,kind,name\n2027-02-07,workday,春节调休上班（示例）\n"
                    "2027-02-08,放假,春节（示例）\n", encoding="utf-8")
    assert not is_workday(D(2027, 2, 7))  # a Sunday
    with override_settings(WORKDAY_CALENDAR_FILE=str(path)):
        assert is_workday(D(2027, 2, 7))
        assert not is_workday(D(2027, 2, 8))
        # Fri 02-05 + 1: Sat off, Sun 02-07 worked.
        assert add_working_days(D(2027, 2, 5), 1) == D(2027, 2, 7)
        assert add_working_days(D(2027, 2, 5), 2) == D(2027, 2, 9)


def test_it_lets_the_file_correct_a_known_year(tmp_path):
    path = _json_file(tmp_path, {"workdays": [{"date": "2026-10-11", "name": "示例"}]})
    with override_settings(WORKDAY_CALENDAR_FILE=path):
        assert is_workday(D(2026, 10, 11))  # a Sunday in chinese-calendar's data


def test_it_warns_once_when_a_year_has_no_data(caplog):
    with caplog.at_level(logging.WARNING, logger="govmedia.workdays"):
        add_working_days(D(2027, 1, 4), 20)
        is_workday(D(2027, 6, 1))
    warnings = [r for r in caplog.records if "workday_calendar_missing" in r.getMessage()]
    assert len(warnings) == 1
    assert "year=2027" in warnings[0].getMessage()
    assert "WORKDAY_CALENDAR_FILE" in warnings[0].getMessage()


def test_it_does_not_warn_for_known_years_or_a_year_in_the_file(tmp_path, caplog):
    path = _json_file(tmp_path, {"holidays": [{"date": "2027-01-01", "name": "元旦"}]})
    with caplog.at_level(logging.WARNING, logger="govmedia.workdays"), \
            override_settings(WORKDAY_CALENDAR_FILE=path):
        add_working_days(D(2026, 12, 1), 40)
    assert not [r for r in caplog.records if "workday_calendar_missing" in r.getMessage()]


@pytest.mark.parametrize("content, message", [
    ({"holidays": [{"date": "2027-13-01"}]}, "holidays[0]: date must be YYYY-MM-DD"),
    ({"holidays": [{"date": "2027-01-01"}], "workdays": [{"date": "2027-01-01"}]},
     "2027-01-01 is listed both as a holiday and as a workday"),
    ({"holidays": "2027-01-01"}, "holidays must be a list"),
])
def test_it_refuses_a_malformed_file(tmp_path, content, message):
    with pytest.raises(ImproperlyConfigured, match=message.replace("[", r"\[").replace("]", r"\]")):
        workdays.load_extension(_json_file(tmp_path, content))


def test_it_ships_an_empty_2027_template():
    template = workdays.load_extension(ROOT / "docs" / "workday-calendar-2027.json")
    assert template.holidays == {} and template.workdays == {}
    assert "国务院办公厅" in json.loads((ROOT / "docs" / "workday-calendar-2027.json").read_text())["note"]


def test_it_stops_the_start_on_a_malformed_file(tmp_path):
    import os
    import subprocess
    import sys

    bad = _json_file(tmp_path, {"workdays": [{"date": "2027-02-30"}]})
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "WORKDAY_CALENDAR_FILE": bad}
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "workdays[0]: date must be YYYY-MM-DD, got '2027-02-30'" in result.stderr

"""Working days: Chinese public holidays and make-up workdays (调休), 2026 data of
chinese-calendar (National Day 10-01…10-07 with Saturday 10-10 worked; Spring Festival
02-15…02-23 with Saturdays 02-14 and 02-28 worked)."""

from __future__ import annotations

import datetime

from lifecycle.workdays import add_working_days, is_workday

D = datetime.date


def test_it_skips_the_national_day_holiday():
    # Wed 2026-09-30 + 1 working day: 10-01…10-07 are holidays → Thu 10-08.
    assert add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)


def test_it_counts_a_make_up_saturday():
    assert is_workday(D(2026, 10, 10))  # Saturday, 调休 workday
    assert add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 10)
    assert add_working_days(D(2026, 9, 30), 4) == D(2026, 10, 12)  # Sunday 10-11 is off


def test_it_runs_fifteen_working_days_across_spring_festival():
    # From Fri 2026-02-13: Sat 02-14 worked (1), 02-15…02-23 off, 02-24…02-27 (5),
    # Sat 02-28 worked (6), 03-02…03-06 (11), 03-09…03-12 (15).
    assert add_working_days(D(2026, 2, 13), 15) == D(2026, 3, 12)


def test_it_is_the_start_day_itself_for_zero_days():
    assert add_working_days(D(2026, 10, 1), 0) == D(2026, 10, 1)


def test_it_falls_back_to_weekdays_beyond_the_calendar_data():
    assert add_working_days(D(2099, 1, 2), 1) == D(2099, 1, 5)  # Fri → Mon

"""Working-day arithmetic with Chinese public holidays and make-up workdays (调休), and the
business date `today()` that `run_due --now` can simulate.

The national schedule comes from chinese-calendar, which only knows the years whose
国务院办公厅 notice was published when the installed version was released (1.11.0:
2004–2026). Operators extend it with `settings.WORKDAY_CALENDAR_FILE`: a JSON or CSV
file of extra holidays and make-up workdays, applied on top of chinese-calendar (an entry
of the file wins over the package for its date). A date in a year that neither knows is
counted Monday–Friday, and a warning is logged once per process and year, so an
unmaintained calendar shows up in the logs instead of silently moving deadlines.

File formats (docs/deploy.md → "Working-day calendar"; template:
docs/workday-calendar-2027.json):

    JSON  {"source": "…", "holidays": [{"date": "2027-01-01", "name": "元旦"},
                                      {"date": "2027-02-06", "end": "2027-02-12", "name": "春节"}],
           "workdays": [{"date": "2027-02-14", "name": "春节调休上班"}]}
    CSV   date,kind,name        kind: holiday|workday (also 放假|上班); one date per row
"""

from __future__ import annotations

import csv
import datetime
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import chinese_calendar
from chinese_calendar.constants import holidays as _package_holidays
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

logger = logging.getLogger("govmedia.workdays")

# The years chinese-calendar has data for (it raises NotImplementedError outside them).
PACKAGE_FIRST_YEAR = min(_package_holidays).year
PACKAGE_LAST_YEAR = max(_package_holidays).year

_HOLIDAY_KINDS = {"holiday", "放假"}
_WORKDAY_KINDS = {"workday", "上班"}
# Longest range one JSON entry may span (the longest official break is 9 days).
_MAX_RANGE_DAYS = 31


@dataclass(frozen=True)
class CalendarExtension:
    """What the operator's file adds: date → name, for holidays and make-up workdays."""

    holidays: dict[datetime.date, str] = field(default_factory=dict)
    workdays: dict[datetime.date, str] = field(default_factory=dict)
    source: str = ""

    @property
    def years(self) -> frozenset[int]:
        """The years the file has data for (an official schedule always names days)."""
        return frozenset(d.year for d in (*self.holidays, *self.workdays))


EMPTY = CalendarExtension()


class CalendarFileError(ImproperlyConfigured):
    """The calendar file cannot be read; the message names the file and the bad entry."""


def _parse_day(value: Any, *, where: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise CalendarFileError(f"{where}: date must be YYYY-MM-DD, got {value!r}") from exc


def _json_entries(data: Any, path: Path) -> Iterator[tuple[str, datetime.date, str]]:
    if not isinstance(data, dict):
        raise CalendarFileError(f"{path}: expected a JSON object with holidays and workdays")
    for key, kind in (("holidays", "holiday"), ("workdays", "workday")):
        items = data.get(key, [])
        if not isinstance(items, list):
            raise CalendarFileError(f"{path}: {key} must be a list")
        for i, item in enumerate(items):
            where = f"{path}: {key}[{i}]"
            if not isinstance(item, dict) or "date" not in item:
                raise CalendarFileError(f"{where}: expected {{\"date\": \"YYYY-MM-DD\", \"name\": …}}")
            first = _parse_day(item["date"], where=where)
            last = _parse_day(item["end"], where=where) if item.get("end") else first
            if not first <= last <= first + datetime.timedelta(days=_MAX_RANGE_DAYS):
                raise CalendarFileError(
                    f"{where}: end must be on or after date, within {_MAX_RANGE_DAYS} days"
                )
            name = str(item.get("name") or "").strip()
            day = first
            while day <= last:
                yield kind, day, name
                day += datetime.timedelta(days=1)


def _csv_entries(text: str, path: Path) -> Iterator[tuple[str, datetime.date, str]]:
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or not {"date", "kind"} <= {f.strip() for f in reader.fieldnames}:
        raise CalendarFileError(f"{path}: the header must be date,kind,name")
    for number, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        if not any(row.values()):
            continue
        where = f"{path}: row {number}"
        kind = row.get("kind", "").lower()
        if kind in _HOLIDAY_KINDS:
            kind = "holiday"
        elif kind in _WORKDAY_KINDS:
            kind = "workday"
        else:
            raise CalendarFileError(f"{where}: kind must be holiday or workday, got {row.get('kind')!r}")
        yield kind, _parse_day(row.get("date"), where=where), row.get("name", "")


def load_extension(path: str | Path) -> CalendarExtension:
    """Read an operator calendar file (JSON or CSV by extension). CalendarFileError on any
    problem; a date listed both as holiday and as workday is an error too."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CalendarFileError(f"WORKDAY_CALENDAR_FILE {path}: cannot be read ({exc})") from exc
    source = ""
    if path.suffix.lower() == ".csv":
        entries = list(_csv_entries(text, path))
    else:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise CalendarFileError(f"{path}: not valid JSON ({exc})") from exc
        entries = list(_json_entries(data, path))
        source = str(data.get("source") or "")
    holidays: dict[datetime.date, str] = {}
    workdays: dict[datetime.date, str] = {}
    for kind, day, name in entries:
        (holidays if kind == "holiday" else workdays)[day] = name
    both = sorted(set(holidays) & set(workdays))
    if both:
        raise CalendarFileError(f"{path}: {both[0]} is listed both as a holiday and as a workday")
    return CalendarExtension(holidays=holidays, workdays=workdays, source=source)


@lru_cache(maxsize=4)
def _extension_for(path: str) -> CalendarExtension:
    # Cached per path for the life of the process: operators restart (or HUP) after editing.
    return load_extension(path) if path else EMPTY


def extension() -> CalendarExtension:
    """The operator's calendar extension (empty when WORKDAY_CALENDAR_FILE is not set)."""
    return _extension_for(str(getattr(settings, "WORKDAY_CALENDAR_FILE", "") or ""))


_warned_years: set[int] = set()


def _warn_uncovered(year: int) -> None:
    if year in _warned_years:
        return
    _warned_years.add(year)
    logger.warning(
        "event=workday_calendar_missing year=%s covered=%s-%s file=%s: no holiday data for "
        "this year, counting Monday–Friday as working days. Add the year's official schedule "
        "(国务院办公厅 notice) to WORKDAY_CALENDAR_FILE.",
        year, PACKAGE_FIRST_YEAR, PACKAGE_LAST_YEAR,
        getattr(settings, "WORKDAY_CALENDAR_FILE", "") or "-",
    )


def is_workday(day: datetime.date) -> bool:
    ext = extension()
    if day in ext.workdays:
        return True
    if day in ext.holidays:
        return False
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        # Years beyond the package's data: Monday–Friday, plus what the file says above.
        if day.year not in ext.years:
            _warn_uncovered(day.year)
        return day.weekday() < 5


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The date `days` working days after `start` (start itself not counted)."""
    day = start
    remaining = days
    while remaining > 0:
        day += datetime.timedelta(days=1)
        if is_workday(day):
            remaining -= 1
    return day


# -- the business date ----------------------------------------------------------------------


def today() -> datetime.date:
    """The business date: the local date (TIME_ZONE, Asia/Shanghai). Work that run_due does
    for another date gets that date passed in (approvals.due), never through this."""
    return timezone.localdate()

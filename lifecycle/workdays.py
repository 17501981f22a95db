"""Working-day arithmetic with Chinese public holidays and make-up workdays (调休), and the
business date `today()` that `run_due --now` can simulate."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import chinese_calendar
from django.utils import timezone


def is_workday(day: datetime.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        # Years beyond the calendar's data: fall back to Monday–Friday.
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
# `run_due --now DATE` simulates the clock. Work created during such a run (a
# deregistration task after a notice period, the tasks of a forced closure) must take its
# due dates from the simulated date, so the date is context-local: set by
# `simulated_today()` around the run, read by `today()` (approvals.nodes.RoutedActivation).
# Outside such a block `today()` is simply timezone.localdate().
_simulated_today: ContextVar[datetime.date | None] = ContextVar(
    "govmedia_simulated_today", default=None
)


def today() -> datetime.date:
    """The business date: the simulated one inside `simulated_today()`, else the local date."""
    return _simulated_today.get() or timezone.localdate()


@contextmanager
def simulated_today(day: datetime.date) -> Iterator[datetime.date]:
    """Make `today()` return `day` inside the block (this thread / task context only)."""
    token = _simulated_today.set(day)
    try:
        yield day
    finally:
        _simulated_today.reset(token)

"""run_due --now (audit item 4): an impossible or malformed value is a CommandError naming
--now (exit 1), never a ValueError traceback."""

from __future__ import annotations

import datetime

import pytest
from django.core.management.base import CommandError

from approvals.management.commands.run_due import parse_now
from tests.lifecycle.import_files import run

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "value",
    ["2026-11-27T25:00", "2026-02-30", "2026-13-01", "tomorrow", "2026-11-27T10:61", "99999-01-01"],
)
def test_it_refuses_a_bad_now(value):
    result = run("run_due", "--now", value)

    assert result.code == 1
    assert "--now" in result.err and value in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2026-11-27", datetime.datetime(2026, 11, 27, 0, 0)),
        ("2026-11-27T23:30", datetime.datetime(2026, 11, 27, 23, 30)),
    ],
)
def test_it_reads_dates_and_datetimes(value, expected):
    moment = parse_now(value)
    assert moment.tzinfo is not None
    assert moment.replace(tzinfo=None) == expected


def test_parse_now_raises_command_error():
    with pytest.raises(CommandError, match="--now"):
        parse_now("2026-11-27T25:00")

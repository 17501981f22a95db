"""`review --format csv|table` and the progress bar staying off a non-terminal."""

from __future__ import annotations

import csv
import io

import pytest

from tests.review.helpers import account, days_before, inspect, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_accounts(nanjing):
    ok = account(nanjing.u.xl, "兴隆发布", platform="weibo", platform_id="xlfb", last_post_on=days_before(2))
    inspect(ok, deductions={"UNVERIFIED": 10, "TYPOS_SENSITIVE": 2})
    account(nanjing.u.sq, "社区之声", platform_id="sqzs", last_post_on=None, interaction_enabled=False)


def test_it_prints_csv_with_a_header(two_accounts):
    result = run("review", "--as-of", "2019-06-15", "--format", "csv")
    assert result.code == 0
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert list(rows[0]) == [
        "unit_code",
        "name",
        "platform",
        "platform_id",
        "vetoes",
        "deductions",
        "score",
        "verdict",
        "zombie",
        "days_since_last_post",
    ]
    by_name = {r["name"]: r for r in rows}
    assert by_name["兴隆发布"] == {
        "unit_code": "JYXL",
        "name": "兴隆发布",
        "platform": "weibo",
        "platform_id": "xlfb",
        "vetoes": "",
        "deductions": "UNVERIFIED:10;TYPOS_SENSITIVE:2",
        "score": "88",
        "verdict": "pass",
        "zombie": "false",
        "days_since_last_post": "2",
    }
    assert by_name["社区之声"]["vetoes"] == "NO_UPDATE_14D;NO_INTERACTION"
    assert by_name["社区之声"]["score"] == ""
    assert by_name["社区之声"]["days_since_last_post"] == ""
    assert by_name["社区之声"]["zombie"] == "true"


def test_it_prints_a_table_with_a_summary(two_accounts):
    result = run("review", "--as-of", "2019-06-15")
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0].split()[:4] == ["单位", "账号", "平台", "平台ID"]
    assert any("兴隆发布" in line and "88" in line and "合格" in line for line in lines)
    assert any("社区之声" in line and "NO_UPDATE_14D,NO_INTERACTION" in line for line in lines)
    assert lines[-1] == "共 2 个账号：合格 1，不合格 1，僵尸号 1。"


def test_it_draws_no_progress_bar_when_stderr_is_not_a_terminal(two_accounts, capsys):
    run("review", "--as-of", "2019-06-15", "--format", "json")
    assert "评估中" not in capsys.readouterr().err


def test_it_draws_a_progress_bar_on_a_terminal(two_accounts, monkeypatch):
    import sys

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    result = run("review", "--as-of", "2019-06-15", "--format", "json")
    assert result.code == 0
    assert "评估中" in terminal.getvalue() and "2/2" in terminal.getvalue()
    assert "评估中" not in result.out

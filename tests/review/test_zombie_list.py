"""Zombie and low-reach lists (review.evaluation) and their export (`export_zombies`)."""

from __future__ import annotations

import csv
import datetime

import openpyxl
import pytest

from lifecycle.models import AccountState
from review.evaluation import low_reach_accounts, zombie_accounts
from tests.review.helpers import AS_OF, account, days_before, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def register(nanjing):
    u = nanjing.u
    return {
        # 香山路社区: last post 2017-06-29.
        "xiangshan": account(u.sq, "香山路社区", last_post_on=datetime.date(2017, 6, 29)),
        "never": account(u.xl, "首发即关停", last_post_on=None),
        "fresh": account(u.xl, "兴隆发布", last_post_on=days_before(90)),
        "other_tree": account(u.jbdp, "幸福苍山", last_post_on=datetime.date(2018, 2, 27)),
        "closed": account(u.xl, "已关停", last_post_on=None, state=AccountState.CLOSED),
        # 浦口疾控: 20 followers, 29 posts in three years.
        "pukou": account(
            u.jy,
            "浦口疾控",
            followers=20,
            posts_total=29,
            opened_on=datetime.date(2016, 6, 1),
            last_post_on=days_before(1),
        ),
        "small_but_busy": account(
            u.jy, "小而勤", followers=50, posts_total=400, opened_on=datetime.date(2016, 6, 1)
        ),
    }


def test_it_lists_accounts_without_posts_for_more_than_90_days(register, nanjing):
    names = {a.name for a in zombie_accounts(as_of=AS_OF)}
    assert names == {"香山路社区", "首发即关停", "幸福苍山"}


def test_it_limits_the_list_to_a_subtree(register, nanjing):
    names = {a.name for a in zombie_accounts(as_of=AS_OF, unit=nanjing.u.jy)}
    assert names == {"香山路社区", "首发即关停"}


def test_it_lists_low_reach_accounts(register):
    assert [a.name for a in low_reach_accounts(as_of=AS_OF)] == ["浦口疾控"]


def test_it_exports_both_lists_as_csv(register, tmp_path):
    out = tmp_path / "z.csv"
    result = run("export_zombies", "--unit", "JY", "--as-of", "2019-06-15", "--out", str(out))
    assert result.code == 0, result.err
    with out.open(encoding="utf-8-sig") as fh:
        rows = {r["name"]: r for r in csv.DictReader(fh)}
    assert set(rows) == {"香山路社区", "首发即关停", "浦口疾控"}
    assert rows["香山路社区"]["zombie"] == "true"
    assert rows["香山路社区"]["days_since_last_post"] == str((AS_OF - datetime.date(2017, 6, 29)).days)
    assert rows["浦口疾控"]["low_reach"] == "true"
    assert rows["浦口疾控"]["zombie"] == "false"


def test_it_exports_one_list_as_xlsx(register, tmp_path):
    out = tmp_path / "z.xlsx"
    result = run(
        "export_zombies", "--only", "zombie", "--as-of", "2019-06-15", "--format", "xlsx", "--out", str(out)
    )
    assert result.code == 0, result.err
    sheet = openpyxl.load_workbook(out).worksheets[0]
    header, *rows = list(sheet.iter_rows(values_only=True))
    names = {r[header.index("name")] for r in rows}
    assert names == {"香山路社区", "首发即关停", "幸福苍山"}


def test_it_rejects_an_unknown_unit(register, tmp_path):
    result = run("export_zombies", "--unit", "NOPE", "--out", str(tmp_path / "z.csv"))
    assert result.code == 1 and "NOPE" in result.err

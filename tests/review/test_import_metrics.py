"""`import_metrics FILE` (CSV/XLSX): snapshots, latest figures, all-or-nothing errors."""

from __future__ import annotations

import datetime

import pytest

from lifecycle.models import Account, AccountState
from review.models import MetricSnapshot
from review.selectors import current_snapshots
from tests.review.helpers import account, run, write_csv, write_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts(nanjing):
    return {
        "fb": account(
            nanjing.u.xl,
            "兴隆发布",
            platform="weibo",
            platform_id="xlfb",
            followers=10,
            posts_total=5,
            last_post_on=datetime.date(2019, 1, 1),
        ),
        "sq": account(
            nanjing.u.sq,
            "社区之声",
            platform="wechat_official",
            platform_id="sqzs",
            followers=None,
            posts_total=None,
            last_post_on=None,
        ),
    }


GOOD = [
    ["weibo", "xlfb", "2019-06-10", "1200", "340", "2019-06-09", "是"],
    ["wechat_official", "sqzs", "2019-06-10", "20", "29", "", "no"],
]


@pytest.mark.parametrize("writer", [write_csv, write_xlsx], ids=["csv", "xlsx"])
def test_it_imports_snapshots_and_latest_figures(accounts, tmp_path, writer):
    path = writer(tmp_path / f"m.{'csv' if writer is write_csv else 'xlsx'}", GOOD)
    result = run("import_metrics", str(path))
    assert result.code == 0, result.err
    fb = Account.objects.get(pk=accounts["fb"].pk)
    assert (fb.followers, fb.posts_total, fb.last_post_on, fb.interaction_enabled) == (
        1200,
        340,
        datetime.date(2019, 6, 9),
        True,
    )
    sq = Account.objects.get(pk=accounts["sq"].pk)
    assert (sq.followers, sq.posts_total, sq.last_post_on, sq.interaction_enabled) == (20, 29, None, False)
    snap = MetricSnapshot.objects.get(account=fb)
    assert (snap.as_of, snap.followers, snap.last_post_on) == (
        datetime.date(2019, 6, 10),
        1200,
        datetime.date(2019, 6, 9),
    )
    assert "新增快照 2 条" in result.out


def test_it_reads_xlsx_date_and_number_cells(accounts, tmp_path):
    path = write_xlsx(
        tmp_path / "m.xlsx",
        [
            ["weibo", "xlfb", datetime.date(2019, 6, 10), 1200, 340, datetime.date(2019, 6, 9), True],
        ],
    )
    assert run("import_metrics", str(path)).code == 0
    assert Account.objects.get(pk=accounts["fb"].pk).last_post_on == datetime.date(2019, 6, 9)


def test_a_correction_of_the_same_day_is_a_new_row(accounts, tmp_path):
    """Issue 12 item 3 (the finding: a correction overwrote the snapshot row). Now the
    first row stays as it was written, the correction is a second row, the latest wins."""
    run("import_metrics", str(write_csv(tmp_path / "a.csv", GOOD[:1])))
    first = MetricSnapshot.objects.get(account=accounts["fb"])
    again = [["weibo", "xlfb", "2019-06-10", "1300", "341", "2019-06-10", "1"]]
    result = run("import_metrics", str(write_csv(tmp_path / "b.csv", again)))
    assert result.code == 0
    rows = list(MetricSnapshot.objects.filter(account=accounts["fb"]).order_by("pk"))
    assert [(r.pk, r.followers) for r in rows] == [(first.pk, first.followers), (rows[1].pk, 1300)]
    assert all(r.source == "cli" and r.written_at is not None for r in rows)
    assert list(current_snapshots().filter(account=accounts["fb"])) == [rows[1]]
    assert Account.objects.get(pk=accounts["fb"].pk).followers == 1300


def test_it_keeps_newer_figures_when_an_older_snapshot_arrives(accounts, tmp_path):
    run("import_metrics", str(write_csv(tmp_path / "a.csv", GOOD[:1])))
    older = [["weibo", "xlfb", "2019-05-01", "900", "300", "2019-04-30", "false"]]
    assert run("import_metrics", str(write_csv(tmp_path / "b.csv", older))).code == 0
    fb = Account.objects.get(pk=accounts["fb"].pk)
    assert (fb.followers, fb.interaction_enabled) == (1200, True)
    assert MetricSnapshot.objects.filter(account=fb).count() == 2


def test_it_keeps_the_current_value_of_a_blank_cell(accounts, tmp_path):
    rows = [["weibo", "xlfb", "2019-06-10", "", "", "", "yes"]]
    assert run("import_metrics", str(write_csv(tmp_path / "a.csv", rows))).code == 0
    fb = Account.objects.get(pk=accounts["fb"].pk)
    assert (fb.followers, fb.posts_total, fb.last_post_on) == (10, 5, datetime.date(2019, 1, 1))


def test_it_uses_the_live_account_when_a_closed_one_shares_the_id(accounts, nanjing, tmp_path):
    account(nanjing.u.jy, "旧号", platform="weibo", platform_id="xlfb", state=AccountState.CLOSED)
    assert run("import_metrics", str(write_csv(tmp_path / "a.csv", GOOD[:1]))).code == 0
    assert Account.objects.get(pk=accounts["fb"].pk).followers == 1200


BAD = [
    ["weibo", "xlfb", "2019-06-10", "1200", "340", "2019-06-09", "是"],  # row 2: fine
    ["weibo", "nobody", "2019-06-10", "1", "1", "2019-06-09", "1"],  # row 3: unknown
    ["weibo", "xlfb", "2099-01-01", "1", "1", "", "1"],  # row 4: future as_of
    ["wechat_official", "sqzs", "2019-06-10", "-3", "x", "", "maybe"],  # row 5: 3 errors
    ["myspace", "sqzs", "2019-06-10", "1", "1", "", "1"],  # row 6: platform
    ["weibo", "xlfb", "2019-06-01", "1", "1", "2019-06-05", "0"],  # row 7: post after as_of
    ["weibo", "xlfb", "2019-06-10", "1", "1", "", "0"],  # row 8: duplicate of row 2
]


@pytest.mark.parametrize("writer", [write_csv, write_xlsx], ids=["csv", "xlsx"])
def test_it_lists_every_bad_row_and_writes_nothing(accounts, tmp_path, writer):
    path = writer(tmp_path / f"m.{'csv' if writer is write_csv else 'xlsx'}", BAD)
    result = run("import_metrics", str(path))
    assert result.code == 1
    lines = [line for line in result.err.splitlines() if line.startswith("row ")]
    assert [line.split(":")[0] + ":" + line.split(":")[1] for line in lines] == [
        "row 3: platform_id",
        "row 4: as_of",
        "row 5: followers",
        "row 5: posts_total",
        "row 5: interaction_enabled",
        "row 6: platform",
        "row 7: last_post_on",
        "row 8: as_of",
    ]
    assert "Traceback" not in result.err
    assert MetricSnapshot.objects.count() == 0
    assert Account.objects.get(pk=accounts["fb"].pk).followers == 10


def test_it_rejects_a_missing_file_and_an_unknown_type(accounts, tmp_path):
    assert run("import_metrics", str(tmp_path / "none.csv")).code == 1
    other = tmp_path / "m.json"
    other.write_text("[]")
    result = run("import_metrics", str(other))
    assert result.code == 1 and ".json" in result.err


@pytest.mark.parametrize(
    "word,value", [("true", True), ("0", False), ("YES", True), ("否", False), ("是", True), ("no", False)]
)
def test_it_accepts_every_boolean_spelling(accounts, tmp_path, word, value):
    rows = [["weibo", "xlfb", "2019-06-10", "1", "1", "", word]]
    assert run("import_metrics", str(write_csv(tmp_path / "a.csv", rows))).code == 0
    assert Account.objects.get(pk=accounts["fb"].pk).interaction_enabled is value

"""`review --sample RATIO --seed N`: stratified by unit, reproducible, ratio in (0, 1]."""

from __future__ import annotations

import pytest

from review import scoring
from tests.review.helpers import account, review_json, run

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(nanjing):
    sizes = {nanjing.u.xl: 20, nanjing.u.sq: 10, nanjing.u.jy: 7, nanjing.u.jbdp: 3}
    for unit, n in sizes.items():
        for i in range(n):
            account(unit, f"{unit.code}-{i:02d}")
    return sizes


def names(items):
    return [i["account"]["name"] for i in items]


def test_it_is_reproducible_with_the_same_seed(many):
    first = names(review_json("--sample", "0.3", "--seed", "7"))
    assert first == names(review_json("--sample", "0.3", "--seed", "7"))
    assert first != names(review_json("--sample", "0.3", "--seed", "8"))


def test_it_samples_each_unit_in_proportion(many):
    items = review_json("--sample", "0.3", "--seed", "1")
    per_unit = {}
    for item in items:
        per_unit[item["account"]["unit_code"]] = per_unit.get(item["account"]["unit_code"], 0) + 1
    assert len(items) == 12  # ceil(0.3 × 40)
    assert per_unit["JYXL"] == 6 and per_unit["JYXLSQ"] == 3
    # floors 6 + 3 + 2 + 0 = 11; the one left goes to the largest remainder (JBDP: 0.9).
    assert per_unit["JY"] == 2 and per_unit["JBDP"] == 1


def test_it_takes_everything_at_ratio_1(many):
    assert len(review_json("--sample", "1", "--seed", "3")) == 40


@pytest.mark.parametrize("ratio", ["0", "-0.1", "1.01", "abc", "nan"])
def test_it_rejects_a_ratio_outside_0_1(many, ratio):
    result = run("review", "--as-of", "2019-06-15", "--sample", ratio, "--seed", "1")
    assert result.code == 1
    assert "抽查比例必须大于 0 且不超过 1" in result.err
    assert "Traceback" not in result.err


def test_it_keeps_other_units_picks_when_one_unit_grows(many, nanjing):
    before = [n for n in names(review_json("--sample", "0.5", "--seed", "5")) if n.startswith("JYXL-")]
    account(nanjing.u.jbdp, "JBDP-new")
    after = [n for n in names(review_json("--sample", "0.5", "--seed", "5")) if n.startswith("JYXL-")]
    assert before == after


def test_it_allocates_the_total_exactly():
    picks = scoring.stratified_sample({"a": list(range(10)), "b": [100, 101]}, ratio=0.25, seed=0)
    # 0.25 × 12 = 3: a gets floor(2.5) = 2, b floor(0.5) = 0; the tie on the remainder
    # (0.5 each) is broken by the seed.
    assert sum(len(v) for v in picks.values()) == 3
    assert set(picks["a"]) <= set(range(10))

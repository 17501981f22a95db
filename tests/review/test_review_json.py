"""`review --format json`: the exact item shape of DESIGN §8 and the accounts it covers."""

from __future__ import annotations

import pytest

from lifecycle.models import AccountState
from tests.review.helpers import account, by_name, days_before, inspect, review_json, run

pytestmark = pytest.mark.django_db


def test_it_prints_items_in_the_contract_shape(nanjing):
    account(nanjing.u.xl, "兴隆发布", platform="weibo", platform_id="xlfb", last_post_on=days_before(3))
    [item] = review_json()
    assert item == {
        "account": {"name": "兴隆发布", "platform": "weibo", "platform_id": "xlfb", "unit_code": "JYXL"},
        "vetoes": [],
        "deductions": [],
        "score": 100,
        "verdict": "pass",
        "zombie": False,
        "days_since_last_post": 3,
    }


def test_it_covers_only_active_and_rectifying_accounts(nanjing):
    for state in AccountState.values:
        account(nanjing.u.xl, f"账号-{state}", state=state)
    names = {i["account"]["name"] for i in review_json()}
    assert names == {"账号-active", "账号-rectifying"}


def test_it_limits_to_the_units_subtree(nanjing):
    account(nanjing.u.sq, "社区号")
    account(nanjing.u.jy, "建邺号")
    account(nanjing.u.jbdp, "顶山号")
    names = {i["account"]["name"] for i in review_json("--unit", "JYXL")}
    assert names == {"社区号"}
    names = {i["account"]["name"] for i in review_json("--unit", "JY")}
    assert names == {"社区号", "建邺号"}


def test_it_scores_manual_deductions_of_the_latest_inspection(nanjing):
    acc = account(nanjing.u.xl, "有扣分")
    inspect(acc, as_of=days_before(60), deductions={"UNVERIFIED": 10})
    inspect(acc, as_of=days_before(1), deductions={"UPDATE_NOT_TIMELY": 50, "TYPOS_SENSITIVE": 4})
    item = by_name(review_json())["有扣分"]
    # Capped: UPDATE_NOT_TIMELY is worth 20; the older inspection's UNVERIFIED is ignored.
    assert item["deductions"] == [
        {"code": "UPDATE_NOT_TIMELY", "points": 20},
        {"code": "TYPOS_SENSITIVE", "points": 4},
    ]
    assert item["score"] == 76
    assert item["verdict"] == "pass"


def test_it_fails_below_60(nanjing):
    acc = account(nanjing.u.xl, "低分")
    inspect(acc, deductions={"UPDATE_NOT_TIMELY": 20, "BROKEN_FUNCTION": 15, "UNVERIFIED": 6})
    item = by_name(review_json())["低分"]
    assert (item["score"], item["verdict"]) == (59, "fail")


def test_it_applies_manual_vetoes_and_scores_nothing_else(nanjing):
    acc = account(nanjing.u.xl, "买粉")
    inspect(acc, vetoes=("BOUGHT_FOLLOWERS",), deductions={"UNVERIFIED": 10})
    item = by_name(review_json())["买粉"]
    assert item["vetoes"] == ["BOUGHT_FOLLOWERS"]
    assert (item["score"], item["verdict"], item["deductions"]) == (None, "fail", [])


def test_it_ignores_inspections_after_the_as_of_date(nanjing):
    acc = account(nanjing.u.xl, "后来检查")
    inspect(acc, as_of=days_before(-5), vetoes=("SECRET_LEAK",))
    assert by_name(review_json())["后来检查"]["vetoes"] == []


def test_it_runs_a_fixed_number_of_queries(nanjing, django_assert_num_queries):
    for i in range(30):
        acc = account(nanjing.u.xl, f"账号{i}")
        inspect(acc, deductions={"UNVERIFIED": i % 11})
    # unit, active rule set, its indicators, latest inspections, their findings, accounts
    with django_assert_num_queries(6):
        items = review_json("--unit", "JY")
    assert len(items) == 30


def test_it_rejects_a_bad_date_and_an_unknown_unit(nanjing):
    result = run("review", "--as-of", "2019-13-01")
    assert result.code == 1 and "YYYY-MM-DD" in result.err
    result = run("review", "--as-of", "2019-06-15", "--unit", "NOPE")
    assert result.code == 1 and "NOPE" in result.err

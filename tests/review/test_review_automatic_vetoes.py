"""Automatic vetoes and the zombie flag as `review` computes them from the register."""

from __future__ import annotations

import pytest

from tests.review.helpers import account, by_name, days_before, review_json

pytestmark = pytest.mark.django_db


def test_it_vetoes_no_update_after_more_than_14_days(nanjing):
    account(nanjing.u.xl, "十五天", last_post_on=days_before(15))
    account(nanjing.u.xl, "十四天", last_post_on=days_before(14))
    items = by_name(review_json())
    assert items["十五天"]["vetoes"] == ["NO_UPDATE_14D"]
    assert items["十五天"]["verdict"] == "fail"
    assert items["十五天"]["days_since_last_post"] == 15
    assert items["十四天"]["vetoes"] == []
    assert items["十四天"]["verdict"] == "pass"


def test_it_vetoes_no_update_when_no_post_is_known(nanjing):
    account(nanjing.u.xl, "从未发文", last_post_on=None)
    item = by_name(review_json())["从未发文"]
    assert item["vetoes"] == ["NO_UPDATE_14D"]
    assert item["days_since_last_post"] is None
    assert item["zombie"] is True


def test_it_vetoes_no_interaction(nanjing):
    account(nanjing.u.xl, "无互动", interaction_enabled=False)
    item = by_name(review_json())["无互动"]
    assert item["vetoes"] == ["NO_INTERACTION"]
    assert item["verdict"] == "fail"
    assert item["score"] is None


def test_it_reports_both_automatic_vetoes(nanjing):
    account(nanjing.u.xl, "双否决", interaction_enabled=False, last_post_on=days_before(30))
    assert by_name(review_json())["双否决"]["vetoes"] == ["NO_UPDATE_14D", "NO_INTERACTION"]


def test_it_flags_zombies_after_more_than_90_days(nanjing):
    account(nanjing.u.xl, "九十一天", last_post_on=days_before(91))
    account(nanjing.u.xl, "九十天", last_post_on=days_before(90))
    items = by_name(review_json())
    assert items["九十一天"]["zombie"] is True
    assert items["九十天"]["zombie"] is False


def test_it_uses_the_days_parameter_of_the_rule_set(nanjing):
    from review.models import Indicator

    Indicator.objects.filter(rule_set__active=True, code="NO_UPDATE_14D").update(params={"days": 7})
    account(nanjing.u.xl, "八天", last_post_on=days_before(8))
    assert by_name(review_json())["八天"]["vetoes"] == ["NO_UPDATE_14D"]

"""`migrate` installs the default national-2019 rule set (DESIGN §8, BRIEF §2)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from review.evaluation import rules_from_rule_set
from review.models import Indicator, RuleSet

pytestmark = pytest.mark.django_db

VETOES = [
    "NO_UPDATE_14D",
    "NO_INTERACTION",
    "SERIOUS_ERROR",
    "SECRET_LEAK",
    "HARMFUL_CONTENT",
    "BOUGHT_FOLLOWERS",
    "FORCED_LIKES",
]


def test_it_installs_exactly_one_active_rule_set():
    rule_set = RuleSet.objects.get(active=True)
    assert rule_set.version == "national-2019"
    assert "默认" in rule_set.note


def test_it_installs_the_seven_veto_codes_two_of_them_automatic():
    vetoes = Indicator.objects.filter(rule_set__active=True, part="veto").order_by("position")
    assert [i.code for i in vetoes] == VETOES
    assert [i.code for i in vetoes if i.automatic] == ["NO_UPDATE_14D", "NO_INTERACTION"]
    assert vetoes.get(code="NO_UPDATE_14D").params == {"days": 14}


def test_it_installs_deductions_summing_to_100():
    deductions = Indicator.objects.filter(rule_set__active=True, part="deduction")
    assert deductions.count() == 9
    assert sum(i.max_points for i in deductions) == 100
    assert not any(i.automatic for i in deductions)


def test_it_keeps_thresholds_as_parameters():
    rules = rules_from_rule_set(RuleSet.objects.get(active=True))
    assert rules.no_update_days == 14
    assert rules.zombie_days == 90
    assert rules.pass_mark == 60
    assert (rules.low_reach_followers_below, rules.low_reach_posts_per_year_below) == (100, 12)


def test_it_refuses_a_second_active_rule_set():
    with pytest.raises(IntegrityError):
        RuleSet.objects.create(name="另一套", version="2020", active=True)

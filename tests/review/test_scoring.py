"""The pure scoring engine (review/scoring.py), property-tested with hypothesis."""

from __future__ import annotations

import datetime

from hypothesis import given
from hypothesis import strategies as st

from review import scoring

MAX = {"A": 20, "B": 15, "C": 10, "D": 5, "E": 50}
RULES = scoring.Rules(max_points=MAX)
codes = st.sampled_from(sorted(MAX))
deduction_lists = st.lists(st.tuples(codes, st.integers(min_value=0, max_value=80)), max_size=12)
veto_lists = st.lists(st.sampled_from(scoring.VETO_CODES[2:]), max_size=3)
dates = st.dates(min_value=datetime.date(2015, 1, 1), max_value=datetime.date(2025, 12, 31))


def expected_score(deductions):
    totals = {}
    for code, points in deductions:
        totals[code] = totals.get(code, 0) + points
    return 100 - sum(min(total, MAX[code]) for code, total in totals.items())


@given(vetoes=veto_lists, deductions=deduction_lists)
def test_it_fails_any_veto_and_scores_nothing_else(vetoes, deductions):
    result = scoring.evaluate(
        as_of=datetime.date(2019, 6, 15),
        last_post_on=datetime.date(2019, 6, 14),
        interaction_enabled=True,
        manual_vetoes=vetoes,
        deductions=deductions,
        rules=RULES,
    )
    if vetoes:
        assert result.verdict == "fail"
        assert result.score is None
        assert result.deductions == ()
        assert set(result.vetoes) == set(vetoes)
    else:
        assert result.vetoes == ()
        assert result.score is not None


@given(deductions=deduction_lists)
def test_it_scores_100_minus_capped_deductions(deductions):
    result = scoring.evaluate(
        as_of=datetime.date(2019, 6, 15),
        last_post_on=datetime.date(2019, 6, 14),
        interaction_enabled=True,
        deductions=deductions,
        rules=RULES,
    )
    assert result.score == expected_score(deductions)
    assert 0 <= result.score <= 100
    for code, points in result.deductions:
        assert 0 < points <= MAX[code]
    assert result.verdict == ("fail" if result.score < 60 else "pass")


@given(deductions=deduction_lists, extra=st.integers(min_value=0, max_value=1000))
def test_it_never_deducts_more_than_an_indicators_points(deductions, extra):
    more = deductions + [(code, extra) for code in MAX]
    capped = dict(scoring.capped_deductions(more, MAX))
    assert capped == {
        code: min(sum(p for c, p in more if c == code), MAX[code])
        for code in MAX
        if min(sum(p for c, p in more if c == code), MAX[code])
    }


@given(score_points=st.integers(min_value=0, max_value=100))
def test_it_fails_below_the_pass_mark_exactly(score_points):
    score, verdict = scoring.score_of(vetoes=[], deductions=[("A", 100 - score_points)])
    assert score == score_points
    assert verdict == ("pass" if score_points >= 60 else "fail")


def test_it_passes_at_60_and_fails_at_59():
    assert scoring.score_of(vetoes=[], deductions=[("A", 40)]) == (60, "pass")
    assert scoring.score_of(vetoes=[], deductions=[("A", 41)]) == (59, "fail")


@given(as_of=dates, last=st.one_of(st.none(), dates), interaction=st.booleans())
def test_it_derives_automatic_vetoes_and_zombie_from_days(as_of, last, interaction):
    result = scoring.evaluate(as_of=as_of, last_post_on=last, interaction_enabled=interaction, rules=RULES)
    days = None if last is None else (as_of - last).days
    assert result.days_since_last_post == days
    assert (scoring.NO_UPDATE in result.vetoes) == (days is None or days > 14)
    assert (scoring.NO_INTERACTION in result.vetoes) == (not interaction)
    assert result.zombie == (days is None or days > 90)
    if result.vetoes:
        assert result.verdict == "fail"


def test_it_uses_the_rule_set_thresholds():
    rules = scoring.Rules(no_update_days=7, zombie_days=30)
    result = scoring.evaluate(
        as_of=datetime.date(2019, 6, 15),
        last_post_on=datetime.date(2019, 6, 1),
        interaction_enabled=True,
        rules=rules,
    )
    assert result.vetoes == (scoring.NO_UPDATE,)
    assert not result.zombie


def test_it_skips_automatic_checks_removed_from_the_rule_set():
    rules = scoring.Rules(check_no_update=False, check_interaction=False)
    result = scoring.evaluate(
        as_of=datetime.date(2019, 6, 15), last_post_on=None, interaction_enabled=False, rules=rules
    )
    assert result.vetoes == ()
    assert result.zombie  # zombie is a list, not a veto


def test_it_orders_vetoes_as_the_rule_set_lists_them():
    result = scoring.evaluate(
        as_of=datetime.date(2019, 6, 15),
        last_post_on=None,
        interaction_enabled=False,
        manual_vetoes=["FORCED_LIKES"],
    )
    assert result.vetoes == ("NO_UPDATE_14D", "NO_INTERACTION", "FORCED_LIKES")


@given(followers=st.integers(0, 500), posts=st.integers(0, 200))
def test_it_flags_low_reach_only_with_few_followers_and_few_posts(followers, posts):
    as_of = datetime.date(2019, 6, 15)
    low = scoring.is_low_reach(
        followers=followers, posts_total=posts, opened_on=datetime.date(2016, 6, 15), as_of=as_of
    )
    years = (as_of - datetime.date(2016, 6, 15)).days / 365.25
    assert low == (followers < 100 and posts / years < 12)


def test_it_flags_the_pukou_pattern_as_low_reach():
    # 浦口疾控: 20 followers, 29 posts in three years.
    assert scoring.is_low_reach(
        followers=20, posts_total=29, opened_on=datetime.date(2016, 6, 1), as_of=datetime.date(2019, 6, 1)
    )

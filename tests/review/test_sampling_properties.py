"""Stratified sampling (review.scoring.stratified_sample): properties, and the ratio rule
shared by `review --sample` and campaigns."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from review import scoring
from review.models import Campaign, RuleSet

strata_st = st.dictionaries(
    st.text(alphabet="ABCDEFG", min_size=1, max_size=3),
    st.lists(st.integers(0, 10_000), min_size=1, max_size=30, unique=True),
    min_size=1,
    max_size=8,
)
ratios = st.floats(min_value=0.01, max_value=1.0)


@given(strata=strata_st, ratio=ratios, seed=st.integers(0, 2**31))
def test_it_is_reproducible_proportional_and_exact(strata, ratio, seed):
    picks = scoring.stratified_sample(strata, ratio=ratio, seed=seed)
    assert picks == scoring.stratified_sample(strata, ratio=ratio, seed=seed)
    total = sum(len(v) for v in strata.values())
    assert sum(len(v) for v in picks.values()) == min(math.ceil(ratio * total - 1e-9), total)
    for key, chosen in picks.items():
        assert set(chosen) <= set(strata[key])
        assert len(set(chosen)) == len(chosen)
        exact = ratio * len(strata[key])
        assert math.floor(exact + 1e-9) <= len(chosen) <= math.ceil(exact - 1e-9)


@pytest.mark.parametrize("ratio", [0, -1, 1.5, float("nan"), "x"])
def test_it_rejects_a_ratio_outside_0_1(ratio):
    with pytest.raises(ValueError):
        scoring.stratified_sample({"a": [1]}, ratio=ratio, seed=0)


@pytest.mark.django_db
@pytest.mark.parametrize("ratio", ["0", "1.001", "-0.5"])
def test_it_refuses_a_campaign_ratio_outside_0_1(nanjing, ratio):
    campaign = Campaign(
        period="2019Q2",
        kind="quarterly",
        scope_unit=nanjing.u.jy,
        ratio=Decimal(ratio),
        seed=1,
        rule_set=RuleSet.objects.get(active=True),
    )
    with pytest.raises(ValidationError) as exc:
        campaign.full_clean()
    assert "ratio" in exc.value.message_dict

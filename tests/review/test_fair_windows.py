"""Fair windows: an account live for less than a rule's window is judged from its go-live
date — in `review` (CLI), the attention lists (web + export), and campaigns."""

from __future__ import annotations

import datetime

import pytest
from django.test import TestCase
from django.urls import reverse

from lifecycle.models import Platform
from review import scoring
from review.models import Campaign, Inspection
from tests.approvals.review_helpers import make_account, review_world_fixture  # noqa: F401
from tests.review.helpers import AS_OF, account, by_name, days_before, review_json

pytestmark = pytest.mark.django_db


def test_it_counts_update_days_from_go_live_when_younger_than_the_post_gap():
    assert scoring.judged_days(AS_OF, None, days_before(5)) == 5
    assert scoring.judged_days(AS_OF, days_before(400), days_before(20)) == 20
    assert scoring.judged_days(AS_OF, days_before(3), days_before(20)) == 3
    assert scoring.judged_days(AS_OF, None, None) is None
    # Going live after the as-of date: nothing to judge yet.
    assert scoring.judged_days(AS_OF, None, AS_OF + datetime.timedelta(days=3)) == 0


def test_it_does_not_veto_or_list_a_new_account_in_review(nanjing):
    u = nanjing.u
    account(u.xl, "新开号", last_post_on=None, opened_on=days_before(5))
    account(u.xl, "新开满月", last_post_on=None, opened_on=days_before(20))
    account(u.xl, "老号无文", last_post_on=None, opened_on=None)
    items = by_name(review_json())
    new = items["新开号"]
    assert new["vetoes"] == [] and new["zombie"] is False and new["verdict"] == "pass"
    assert new["days_since_last_post"] is None  # the contract field is unchanged
    month = items["新开满月"]
    assert month["vetoes"] == ["NO_UPDATE_14D"] and month["zombie"] is False
    assert items["老号无文"]["zombie"] is True


def test_it_keeps_new_accounts_off_the_zombie_and_low_reach_lists(client, review_world):
    w = review_world
    today = datetime.date.today()
    new = make_account("兴隆新号", w.u.xl, w.u.jy, platform=Platform.WEIBO, days_ago=None,
                       followers=3, posts=1, opened_on=today - datetime.timedelta(days=30))
    client.force_login(w.p.nj_inspector)
    body = client.get(reverse("work:attention")).content.decode()
    assert "兴隆旧号" in body and new.name not in body
    body = client.get(reverse("work:attention") + "?only=low_reach").content.decode()
    assert new.name not in body
    export = client.get(reverse("work:attention_export") + "?only=zombie&fmt=csv")
    assert new.name not in export.content.decode("utf-8-sig")


def test_it_gives_new_accounts_no_automatic_veto_in_a_campaign(client, review_world):
    w = review_world
    today = datetime.date.today()
    new = make_account("兴隆新号", w.u.xl, w.u.jy, platform=Platform.WEIBO, days_ago=None,
                       opened_on=today - datetime.timedelta(days=4))
    client.force_login(w.p.nj_inspector)
    data = {"period": "2026Q4", "kind": "quarterly", "ratio": "1", "seed": "7",
            "scope_unit": "NJ"}
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("work:campaigns"), data)
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    inspection = Inspection.objects.get(campaign=campaign, account=new)
    assert inspection.vetoes == [] and inspection.zombie is False
    assert not inspection.findings.exists()
    stale = Inspection.objects.get(campaign=campaign, account=w.stale)
    assert stale.vetoes == ["NO_UPDATE_14D"]

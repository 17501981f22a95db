"""Closing a campaign's data (review.services.campaign_mark_closed): the only writer of
Campaign.state. An open campaign closes once with its results, by an inspector of the
inspecting unit or above; the admin form cannot change the state."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError

from lifecycle import services as lifecycle_services
from review.models import Campaign, CampaignState, RuleSet
from review.services import (
    ERR_CAMPAIGN_CLOSE_FORBIDDEN,
    ERR_CAMPAIGN_CLOSED,
    campaign_mark_closed,
)

pytestmark = pytest.mark.django_db

RESULTS = {"total": 2, "passed": 1, "failed": 1, "pass_rate": 0.5, "by_unit": [], "failed_accounts": [7]}


@pytest.fixture
def campaign(nanjing):
    return Campaign.objects.create(
        period="2019Q2",
        kind="quarterly",
        scope_unit=nanjing.u.jy,
        inspecting_unit=nanjing.u.jy,
        rule_set=RuleSet.objects.get(active=True),
    )


@pytest.fixture
def nj_inspector(nanjing):
    # An inspector of 南京市 (above 建邺区, the inspecting unit): may close the campaign.
    return lifecycle_services.user_upsert(
        username="nj_inspector",
        full_name="南京检查员",
        password="pw",
        memberships=[(nanjing.u.nj, "inspector")],
    )


def test_it_closes_an_open_campaign_with_its_results(
    campaign, nj_inspector, caplog, django_capture_on_commit_callbacks
):
    assert campaign.state == CampaignState.OPEN and campaign.closed_at is None
    with caplog.at_level(logging.INFO, logger="govmedia.audit"):
        with django_capture_on_commit_callbacks(execute=True):
            campaign_mark_closed(campaign=campaign, actor=nj_inspector, results=RESULTS)
    assert campaign.state == CampaignState.CLOSED  # the caller's copy follows
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.CLOSED
    assert campaign.closed_at is not None and campaign.results == RESULTS
    assert [r.getMessage() for r in caplog.records if r.name == "govmedia.audit"] == [
        f"event=campaign_state campaign={campaign.pk} from=open to=closed actor={nj_inspector.pk}"
    ]


def test_it_closes_a_campaign_once(campaign, nj_inspector):
    campaign_mark_closed(campaign=campaign, actor=nj_inspector, results=RESULTS)
    closed_at = Campaign.objects.get(pk=campaign.pk).closed_at
    with pytest.raises(ValidationError) as exc:
        campaign_mark_closed(campaign=campaign, actor=nj_inspector, results={"total": 0})
    assert exc.value.message_dict == {"campaign": [str(ERR_CAMPAIGN_CLOSED)]}
    campaign.refresh_from_db()
    assert campaign.closed_at == closed_at and campaign.results == RESULTS


def test_it_requires_an_inspector_of_the_inspecting_unit(campaign, nanjing):
    jb_inspector = lifecycle_services.user_upsert(
        username="jb_inspector",
        full_name="江北检查员",
        password="pw",
        memberships=[(nanjing.u.jb, "inspector")],
    )
    for outsider in (jb_inspector, nanjing.p.jy_approver):  # another tree; not an inspector
        with pytest.raises(PermissionDenied, match=str(ERR_CAMPAIGN_CLOSE_FORBIDDEN)):
            campaign_mark_closed(campaign=campaign, actor=outsider, results=RESULTS)
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.OPEN and campaign.closed_at is None
    assert campaign.results == {}


def test_it_does_not_let_the_admin_form_change_the_state(client, campaign):
    root = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(root)
    html = client.get(f"/admin/review/campaign/{campaign.pk}/change/").content.decode()
    assert 'name="state"' not in html and 'name="closed_at' not in html and 'name="results"' not in html
    assert "进行中" in html  # shown read-only

"""Every review admin screen loads (list and add), including the rule-set form whose
启用 box review.services applies."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from review.models import RuleSet

pytestmark = pytest.mark.django_db


@pytest.fixture
def root_client(client):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "pw"))
    return client


@pytest.mark.parametrize(
    "model", ["ruleset", "indicator", "campaign", "inspection", "metricsnapshot", "feedback"]
)
def test_it_lists_and_adds(root_client, model):
    assert root_client.get(f"/admin/review/{model}/").status_code == 200
    assert root_client.get(f"/admin/review/{model}/add/").status_code == 200


def test_it_shows_the_active_box_ticked_for_the_active_rule_set(root_client):
    active = RuleSet.objects.get(active=True)
    html = root_client.get(f"/admin/review/ruleset/{active.pk}/change/").content.decode()
    assert 'name="active" id="id_active" checked' in html

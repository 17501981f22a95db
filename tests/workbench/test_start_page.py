"""发起申请: the forms a user may start, instead of viewflow's empty new-process dialog."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.approvals.closure_helpers import world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def test_it_offers_a_clerk_the_opening_closure_and_change_forms(client, world):
    client.force_login(world.p.njzj_clerk)
    html = client.get(reverse("work:start")).content.decode()
    assert 'data-testid="start-opening"' in html and 'data-testid="start-closure"' in html
    assert "南京质检" in html and "兴隆发布" not in html  # only the clerk's own unit's accounts
    assert 'data-testid="start-review"' not in html


def test_it_sends_the_account_picker_to_the_closure_form(client, world):
    client.force_login(world.p.njzj_clerk)
    response = client.get(reverse("work:start"), {"kind": "closure", "account": world.zj.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("work:apply_closure", args=[world.zj.pk])
    response = client.get(reverse("work:start"), {"kind": "change", "account": world.zj.pk})
    assert response["Location"] == reverse("work:apply_change", args=[world.zj.pk])


def test_it_refuses_another_units_account_with_404(client, world):
    client.force_login(world.p.njzj_clerk)
    response = client.get(reverse("work:start"), {"kind": "closure", "account": world.xl.pk})
    assert response.status_code == 404
    response = client.get(reverse("work:start"), {"kind": "closure", "account": "x"})
    assert response.status_code == 404


def test_it_tells_an_approver_there_is_nothing_to_start(client, world):
    client.force_login(world.p.jy_approver)
    html = client.get(reverse("work:start")).content.decode()
    assert 'data-testid="start-none"' in html and 'data-testid="start-opening"' not in html


def test_the_queue_button_leads_to_the_start_page_not_a_dialog(client, world):
    client.force_login(world.p.njzj_clerk)
    html = client.get(reverse("workflow:queue")).content.decode()
    assert 'data-testid="start-fab"' in html and reverse("work:start") in html
    assert "vf-dialog" not in html

"""The work menu shows each role what it uses: clerks apply, signers sign, inspectors inspect."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

CLERK_HIDDEN = ("menu-campaigns", "menu-dashboard", "menu-bulk_approve", "menu-delegations",
                "menu-attention")


def _menu(client, user):
    client.force_login(user)
    return client.get("/work/applications/").content.decode()


def test_a_clerk_sees_no_campaigns_dashboards_or_bulk_approval(client, nanjing):
    html = _menu(client, nanjing.p.xl_clerk)
    assert 'data-testid="menu-applications"' in html and 'data-testid="menu-start"' in html
    for testid in CLERK_HIDDEN:
        assert f'data-testid="{testid}"' not in html, testid


def test_an_approver_sees_bulk_approval_and_the_dashboard(client, nanjing):
    html = _menu(client, nanjing.p.jy_approver)
    for testid in ("menu-bulk_approve", "menu-delegations", "menu-dashboard", "menu-attention"):
        assert f'data-testid="{testid}"' in html, testid
    assert 'data-testid="menu-campaigns"' not in html


def test_an_inspector_sees_campaigns(client, nanjing):
    from lifecycle import services

    inspector = services.user_upsert(username="insp", full_name="检查员", password="pw",
                                     memberships=[(nanjing.u.nj, "inspector")])
    html = _menu(client, inspector)
    assert 'data-testid="menu-campaigns"' in html and 'data-testid="menu-dashboard"' in html
    assert 'data-testid="menu-bulk_approve"' not in html


def test_an_archivist_sees_the_archive(client, nanjing):
    html = _menu(client, nanjing.p.nj_archivist)
    assert 'data-testid="menu-list"' in html  # notices:list
    assert 'data-testid="menu-bulk_approve"' not in html


def test_the_demo_operator_entry_is_shown_only_in_demo_mode(client, nanjing, settings):
    assert 'data-testid="menu-operator"' in _menu(client, nanjing.p.xl_clerk)
    settings.GOVMEDIA_DEMO = False
    assert 'data-testid="menu-operator"' not in _menu(client, nanjing.p.xl_clerk)

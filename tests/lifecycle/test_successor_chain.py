"""Successor chains and the re-opening guard: a closed account never returns to active;
re-opening is a new application linked to the old record."""

from __future__ import annotations

import pytest
from django_fsm import can_proceed

from lifecycle import services
from lifecycle.models import Account, AccountState, Platform
from lifecycle.selectors import successor_chain
from tests.approvals.closure_helpers import close_fully, world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

TRANSITIONS = ("submit", "reject", "withdraw", "approve_opening", "register",
               "order_rectification", "pass_recheck", "fail_recheck", "start_closure",
               "deregister", "merge_into")


def test_it_follows_successors_to_the_active_account(world):
    Account.objects.filter(pk=world.zj_weibo.pk).update(successor=world.zj)
    Account.objects.filter(pk=world.zj.pk).update(successor=world.sy)
    world.zj_weibo.refresh_from_db()
    assert successor_chain(world.zj_weibo) == [world.zj, world.sy]
    assert successor_chain(world.sy) == []


def test_it_stops_at_a_cycle_in_stale_data(world):
    Account.objects.filter(pk=world.zj.pk).update(successor=world.sy)
    Account.objects.filter(pk=world.sy.pk).update(successor=world.zj)
    world.zj.refresh_from_db()
    assert successor_chain(world.zj) == [world.sy]


def test_it_has_no_transition_from_closed_or_merged_back_to_active(world):
    closed = close_fully(world).account
    assert closed.state == AccountState.CLOSED
    allowed = [name for name in TRANSITIONS if can_proceed(getattr(closed, name))]
    assert allowed == []
    with pytest.raises(services.TransitionError):
        services.account_pass_recheck(account=closed, actor=world.p.nj_approver)
    closed.refresh_from_db()
    assert closed.state == AccountState.CLOSED


def test_it_links_a_reopening_application_to_the_old_record(world):
    old = close_fully(world, world.zj_weibo).account
    assert old.state == AccountState.CLOSED
    new = services.account_apply(
        unit=world.u.njzj, platform=Platform.WEIBO, name="南京质检微博", actor=world.p.njzj_clerk,
        purpose="恢复开设",
    )
    assert new.pk != old.pk
    assert new.state == AccountState.APPLYING
    assert new.reopens == old
    old.refresh_from_db()
    assert old.state == AccountState.CLOSED  # the old record stays closed

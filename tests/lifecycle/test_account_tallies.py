"""The account tallies (lifecycle.tallies) equal a fresh aggregate of the accounts after
every kind of write: create, every transition (incl. merge and close), import, change,
metrics, bulk inserts, a raw `.update()`, delete, a unit moved or re-levelled, a rolled
back transaction; and the rebuild command restores them."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from lifecycle import services, tallies
from lifecycle.models import Account, AccountDayTally, AccountState, AccountTally, UnitLevel
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db
S = AccountState
D = datetime.date(2026, 12, 1)


def assert_exact() -> tuple[Counter, Counter]:
    stored, fresh = tallies.stored(), tallies.fresh()
    assert stored[0] == fresh[0]
    assert stored[1] == fresh[1]
    return stored


def _account(nanjing, state, unit=None, **kw):
    return AccountFactory(unit=unit or nanjing.u.xl, state=state, **kw)


def test_a_created_account_counts_in_its_unit_and_every_unit_above(nanjing):
    u = nanjing.u
    account = _account(nanjing, S.ACTIVE, opened_on=D)
    counts, days = assert_exact()
    for unit in (u.js, u.nj, u.jy, u.xl):
        assert counts[(unit.pk, UnitLevel.TOWNSHIP, account.platform, S.ACTIVE)] == 1
        assert days[(unit.pk, tallies.OPENED, D)] == 1
    assert not any(key[0] in (u.jb.pk, u.sq.pk, u.njzj.pk) for key in counts)


def test_every_service_write_keeps_them_exact(nanjing):
    p, u = nanjing.p, nanjing.u
    actor = p.jy_approver
    applied = services.account_apply(unit=u.xl, platform="weibo", name="兴隆微博", actor=p.xl_clerk)
    assert_exact()
    services.account_withdraw(account=applied, actor=p.xl_clerk)
    assert_exact()
    applied = services.account_apply(unit=u.xl, platform="douyin", name="兴隆抖音", actor=p.xl_clerk)
    services.account_approve_opening(account=applied, actor=actor)
    assert_exact()
    services.account_register(account=applied, actor=actor, platform_id="dy_x",
                              verified_subject="兴隆街道办事处", live_on=D)
    counts, days = assert_exact()
    assert days[(u.nj.pk, tallies.OPENED, D)] == 1
    services.account_order_rectification(account=applied, actor=actor, reason="考核不合格")
    services.account_pass_recheck(account=applied, actor=actor)
    services.account_order_rectification(account=applied, actor=actor, reason="考核不合格")
    services.account_fail_recheck(account=applied, actor=actor)
    assert_exact()
    services.account_deregister(account=applied, actor=actor, deregistered_on=D)
    counts, days = assert_exact()
    assert counts[(u.jy.pk, UnitLevel.TOWNSHIP, "douyin", S.CLOSED)] == 1
    assert days[(u.jy.pk, tallies.CLOSED, D)] == 1
    successor = _account(nanjing, S.ACTIVE, platform="weibo")
    merging = _account(nanjing, S.CLOSING, platform="toutiao")
    services.account_merge(account=merging, actor=actor, successor=successor,
                           deregistered_on=D - datetime.timedelta(days=3))
    counts, _days = assert_exact()
    assert counts[(u.js.pk, UnitLevel.TOWNSHIP, "toutiao", S.MERGED)] == 1
    services.account_change(account=successor, actor=actor, changes={"name": "新名称"})
    imported = services.account_import(
        name="建邺发布", platform="kuaishou", platform_id="ks_jy", unit=u.jy, opened_on=D,
        followers=1, posts_total=2, last_post_on=None, interaction_enabled=True)
    counts, _days = assert_exact()
    assert counts[(u.nj.pk, UnitLevel.COUNTY, "kuaishou", S.ACTIVE)] == 1
    services.account_set_metrics(metrics={imported.pk: services.AccountMetrics(
        followers=9, posts_total=9, last_post_on=D, interaction_enabled=False)})
    assert_exact()


def test_a_refused_or_rolled_back_write_changes_nothing(nanjing):
    account = _account(nanjing, S.ACTIVE)
    before = assert_exact()
    with pytest.raises(services.TransitionError):
        services.account_deregister(account=account, actor=nanjing.p.jy_approver,
                                    deregistered_on=D)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.account_start_closure(account=account, actor=nanjing.p.jy_approver)
        raise RuntimeError
    assert assert_exact() == before


def test_bulk_inserts_raw_updates_and_deletes_keep_them_exact(nanjing):
    u = nanjing.u
    Account.objects.bulk_create([
        Account(name=f"批量{i}", platform=("weibo", "douyin")[i % 2], unit=(u.xl, u.jb, u.njzj)[i % 3],
                state=(S.ACTIVE, S.CLOSED, S.DRAFT)[i % 3], opened_on=D - datetime.timedelta(days=i),
                closed_on=D if i % 3 == 1 else None)
        for i in range(30)
    ])
    counts, _days = assert_exact()
    assert sum(n for (unit, *_rest), n in counts.items() if unit == u.js.pk) == 30
    Account.objects.filter(unit=u.xl).update(state=S.CLOSING)
    Account.objects.filter(unit=u.jb).update(unit=u.jbdp, closed_on=None)
    Account.objects.filter(platform="douyin").update(platform="kuaishou", opened_on=None)
    assert_exact()
    Account.objects.filter(unit=u.njzj).delete()
    counts, _days = assert_exact()
    assert sum(n for (unit, *_rest), n in counts.items() if unit == u.js.pk) == 20


def test_moving_or_relevelling_a_unit_moves_its_accounts(nanjing):
    u = nanjing.u
    _account(nanjing, S.ACTIVE, opened_on=D)
    _account(nanjing, S.ACTIVE, unit=u.sq, platform="weibo", closed_on=D)
    services.unit_upsert(code="JYXL", name=u.xl.name, level=UnitLevel.TOWNSHIP,
                         kind=u.xl.kind, parent=u.jb)  # 兴隆 (and its community) to 江北
    counts, days = assert_exact()
    assert not any(key[0] == u.jy.pk for key in counts)
    assert counts[(u.jb.pk, UnitLevel.COMMUNITY, "weibo", S.ACTIVE)] == 1
    assert days[(u.jb.pk, tallies.CLOSED, D)] == 1
    services.unit_upsert(code="JYXLSQ", name=u.sq.name, level=UnitLevel.TOWNSHIP,
                         kind=u.sq.kind, parent=u.xl)
    counts, _days = assert_exact()
    assert counts[(u.js.pk, UnitLevel.TOWNSHIP, "weibo", S.ACTIVE)] == 1


def test_the_command_rebuilds_and_checks_them(nanjing, capsys):
    _account(nanjing, S.ACTIVE, opened_on=D)
    AccountTally.objects.update(n=7)
    AccountDayTally.objects.all().delete()
    with pytest.raises(CommandError) as exc:
        call_command("rebuild_account_tallies", "--check")
    assert "differ" in str(exc.value)
    call_command("rebuild_account_tallies")
    assert_exact()
    call_command("rebuild_account_tallies", "--check")
    assert "exact" in capsys.readouterr().out

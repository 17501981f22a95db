"""The dashboard's account figures come from the maintained tallies (lifecycle.tallies) and
are exactly what aggregating the reader's accounts gives (the query the dashboard ran
before issue 15), for readers at every level, a superuser and a reader without units —
with accounts in every state, openings and closings inside and outside the 12 months,
later this month (not yet counted) and after writes of every kind."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.db.models.functions import TruncMonth

from lifecycle import services
from lifecycle.models import Account, AccountState, Platform, UnitLevel
from tests.factories import AccountFactory
from workbench import dashboards

pytestmark = pytest.mark.django_db
S = AccountState
TODAY = datetime.date(2026, 12, 15)


def old_figures(user, today):
    """The dashboard's account figures as aggregated over the accounts before the tallies."""
    accounts = dashboards._scoped(Account.objects.all(), user, "unit__")
    counts, by_level, by_platform = Counter(), Counter(), Counter()
    for state, level, platform, n in (
        accounts.order_by().values_list("state", "unit__level", "platform").annotate(n=Count("pk"))
    ):
        counts[state] += n
        by_level[level] += n
        by_platform[platform] += n
    months = dashboards._months(today)

    def per_month(field):
        rows = (accounts.filter(**{f"{field}__gte": months[0], f"{field}__lte": today})
                .order_by().annotate(month=TruncMonth(field)).values("month")
                .annotate(n=Count("pk")).values_list("month", "n"))
        return {(m.date() if isinstance(m, datetime.datetime) else m): n for m, n in rows}

    opened, closed = per_month("opened_on"), per_month("closed_on")
    return {
        "by_state": [(str(label), counts.get(code, 0)) for code, label in S.choices],
        "by_level": [(str(label), by_level.get(code, 0)) for code, label in UnitLevel.choices],
        "by_platform": [(str(label), by_platform.get(code, 0))
                        for code, label in Platform.choices if by_platform.get(code)],
        "opened": [(m.strftime("%Y-%m"), opened.get(m, 0)) for m in months],
        "closed": [(m.strftime("%Y-%m"), closed.get(m, 0)) for m in months],
        "total": sum(counts.values()),
    }


def assert_same(readers):
    for reader in readers:  # fresh: each user caches its memberships (and units' paths)
        user = get_user_model().objects.get(pk=reader.pk)
        new = dashboards.dashboard(user, today=TODAY)
        old = old_figures(user, TODAY)
        assert {k: new[k] for k in old} == old, user


@pytest.fixture
def readers(nanjing):
    p = nanjing.p
    User = get_user_model()
    root = User.objects.create_superuser("root", "root@example.org", "pw")
    nobody = User.objects.create_user("nobody", password="pw")
    return [p.nj_approver, p.jy_approver, p.xl_head, p.jb_approver, root, nobody]


def test_the_figures_equal_the_aggregate_over_the_accounts(nanjing, readers):
    u = nanjing.u
    units = [u.nj, u.njzj, u.jy, u.xl, u.sq, u.jb, u.jbdp]
    days = [TODAY, TODAY + datetime.timedelta(days=5),  # later this month: not counted yet
            TODAY - datetime.timedelta(days=20), datetime.date(2026, 1, 1),
            datetime.date(2025, 12, 31), datetime.date(2025, 12, 1), datetime.date(2019, 6, 5)]
    platforms = ["weibo", "douyin", "wechat_official", "kuaishou", "toutiao"]
    for i in range(70):
        state = S.values[i % len(S.values)]
        AccountFactory(unit=units[i % len(units)], state=state, platform=platforms[i % 5],
                       opened_on=days[i % len(days)] if i % 4 else None,
                       closed_on=days[(i * 3) % len(days)] if state in (S.CLOSED, S.MERGED) else None)
    assert_same(readers)
    figures = dashboards.dashboard(nanjing.p.nj_approver, today=TODAY)
    assert figures["total"] == 70 and dict(figures["opened"])["2026-12"] > 0


def test_they_stay_equal_after_writes(nanjing, readers):
    p, u = nanjing.p, nanjing.u
    account = services.account_apply(unit=u.xl, platform="weibo", name="兴隆微博", actor=p.xl_clerk)
    services.account_approve_opening(account=account, actor=p.jy_approver)
    services.account_register(account=account, actor=p.jy_approver, platform_id="wb_x",
                              verified_subject="兴隆街道办事处",
                              live_on=TODAY - datetime.timedelta(days=60))
    AccountFactory(unit=u.jbdp, state=S.CLOSING, platform="douyin")
    assert_same(readers)
    services.account_start_closure(account=account, actor=p.jy_approver)
    services.account_deregister(account=account, actor=p.jy_approver,
                                deregistered_on=TODAY - datetime.timedelta(days=40))
    services.unit_upsert(code="JYXL", name=u.xl.name, level=UnitLevel.TOWNSHIP,
                         kind=u.xl.kind, parent=u.jb)
    assert_same(readers)
    figures = dashboards.dashboard(p.jb_approver, today=TODAY)
    assert dict(figures["by_state"])["已关停"] == 1 and dict(figures["closed"])["2026-11"] == 1

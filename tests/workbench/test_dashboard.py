"""The supervisors' dashboard: figures scoped to the subtree, SVG charts with the numbers
beside them, and a query count that does not grow with the data."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from approvals import services
from lifecycle.models import AccountState, Platform
from tests.approvals.review_helpers import make_account, review_world_fixture  # noqa: F401
from workbench import dashboards as selectors_review

pytestmark = pytest.mark.django_db
# session, user, memberships (user_units) · 1 accounts by state×level×platform · 2 opened
# per month · 3 closed per month · 4 pass rates by period · 5 overdue tasks by unit · the
# site frame: the header's unread notification count (1; its view permission and menu read
# the request's memberships: approvals.auth) · early warnings: active rule set, its indicators, at-risk
# by update, at-risk by reach (4); with accounts at risk two more (the accounts, their open
# warning rows) — AT_RISK_PINNED.
PINNED = 13
AT_RISK_PINNED = 15


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("work:dashboard"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_it_counts_accounts_in_the_subtree(review_world):
    w = review_world
    make_account("兴隆关停号", w.u.xl, w.u.jy, platform=Platform.WEIBO,
                 state=AccountState.CLOSED)
    d = selectors_review.dashboard(w.p.jy_reviewer)
    by_state = dict(d["by_state"])
    assert by_state["运行中"] == 2 and by_state["已关停"] == 1 and d["total"] == 3
    assert dict(d["by_level"])["乡镇（街道）"] == 3
    assert dict(d["by_platform"]) == {"微信公众号": 1, "微博": 1, "抖音": 1}
    d = selectors_review.dashboard(w.p.nj_inspector)
    assert d["total"] == 6


def test_it_shows_opened_per_month_pass_rates_and_overdue_tasks(client, review_world):
    w = review_world
    today = timezone.localdate()
    make_account("新开号", w.u.xl, w.u.jy, platform=Platform.KUAISHOU, opened_on=today)
    with TestCase.captureOnCommitCallbacks(execute=True):  # the start job runs after commit
        campaign = services.campaign_create(
            actor=w.p.nj_inspector, period="2026Q4", kind="quarterly", ratio="1", seed=1,
            scope_unit=w.u.jy)
    from approvals.models import AccountProcess
    from approvals.selectors import open_tasks
    from approvals.services import task_decide

    for p in AccountProcess.objects.filter(data__campaign=campaign.pk):
        for t in open_tasks(p):
            task_decide(task=t, actor=w.p.nj_inspector, decision="approve", data={})
    services.rectification_start(actor=w.p.jy_reviewer, account=w.xl, reason="x")
    later = today + datetime.timedelta(days=60)
    d = selectors_review.dashboard(w.p.nj_inspector, today=later)
    assert d["pass_rates"] == [{"period": "2026Q4", "total": 3, "passed": 2, "rate": 0.6667}]
    assert d["overdue"] == [("兴隆街道办事处", 1)] and d["overdue_total"] == 1
    d = selectors_review.dashboard(w.p.nj_inspector)
    assert dict(d["opened"])[today.strftime("%Y-%m")] == 1
    client.force_login(w.p.nj_inspector)
    body = client.get(reverse("work:dashboard")).content.decode()
    assert "<svg" in body and "2026Q4" in body and "2/3" in body and "按平台" in body


def test_it_keeps_the_query_count_independent_of_data_size(client, review_world):
    w = review_world
    client.force_login(w.p.nj_inspector)
    baseline = _queries(client)
    for i in range(30):
        make_account(f"批量号{i}", w.u.jy if i % 2 else w.u.njzj, w.u.nj,
                     platform=list(Platform.values)[i % 12], days_ago=i * 10,
                     state=AccountState.CLOSED if i % 5 == 0 else AccountState.ACTIVE)
    services.campaign_create(actor=w.p.nj_inspector, period="2027Q1", kind="quarterly",
                                    ratio="0.5", seed=2, scope_unit=w.u.nj)
    assert _queries(client) == baseline
    assert baseline == PINNED, baseline
    for i in range(5):
        make_account(f"预警号{i}", w.u.jy, w.u.nj, platform=list(Platform.values)[i],
                     days_ago=11 + i % 3)
    assert _queries(client) == AT_RISK_PINNED

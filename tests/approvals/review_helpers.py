"""Personas and accounts for the review flows (campaigns, rectification, dashboard).

On top of the Nanjing tree (tests/conftest.py):
  nj_inspector  inspector of 南京市政府办: creates campaigns over 南京, inspects, closes.
  jy_inspector  inspector of 建邺区: may inspect only 建邺's subtree.
  nj_reviewer   supervisor reviewer of 南京市政府办: rechecks accounts it supervises.
  jy_reviewer   supervisor reviewer of 建邺区: rechecks 兴隆's accounts (supervisor 建邺).
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.utils import timezone

from approvals import selectors, services
from lifecycle import services as lifecycle
from lifecycle.models import Account, AccountState, Platform


def make_account(name, unit, supervisor, *, platform=Platform.WECHAT_OFFICIAL, days_ago=3,
                 interaction=True, followers=5000, posts=800, state=AccountState.ACTIVE,
                 opened_on=None):
    today = timezone.localdate()
    return Account.objects.create(
        name=name, platform=platform, platform_id=f"id-{name}", unit=unit,
        supervisor_unit=supervisor, state=state, contact_phone="025-8000",
        last_post_on=None if days_ago is None else today - datetime.timedelta(days=days_ago),
        interaction_enabled=interaction, followers=followers, posts_total=posts,
        opened_on=opened_on or today - datetime.timedelta(days=1000),
    )


@pytest.fixture(name="review_world")
def review_world_fixture(nanjing):
    u, p = nanjing.u, nanjing.p
    cache.clear()

    def user(username, full_name, memberships):
        return lifecycle.user_upsert(username=username, full_name=full_name, password="pw",
                                     memberships=memberships)

    p.nj_inspector = user("nj_inspector", "南京检查员", [(u.nj, "inspector")])
    p.jy_inspector = user("jy_inspector", "建邺检查员", [(u.jy, "inspector")])
    p.nj_reviewer = user("nj_reviewer", "南京复核人", [(u.nj, "supervisor_reviewer")])
    p.jy_reviewer = user("jy_reviewer", "建邺复核人", [(u.jy, "supervisor_reviewer")])
    return SimpleNamespace(
        u=u, p=p,
        zj=make_account("南京质检", u.njzj, u.nj),
        zj_weibo=make_account("南京质检微博", u.njzj, u.nj, platform=Platform.WEIBO),
        xl=make_account("兴隆发布", u.xl, u.jy),
        stale=make_account("兴隆旧号", u.xl, u.jy, platform=Platform.DOUYIN, days_ago=200),
        jb=make_account("江北新区发布", u.jb, u.nj, platform=Platform.WEIBO),
    )


def open_tasks_of(processes):
    return [t for p in processes for t in selectors.open_tasks(p)]


def decide_task(task, actor, **data):
    return services.task_decide(task=task, actor=actor, decision="approve", data=data)

"""Driving closures, mergers and changes in tests (services only)."""

from __future__ import annotations

import datetime
import io
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone
from pypdf import PdfReader

from approvals import selectors, services
from approvals.flows import ClosureFlow
from lifecycle.models import Account, AccountState, Platform
from tests.approvals.helpers import decide, only_open_task


@pytest.fixture(name="world")
def world_fixture(nanjing):
    """Nanjing personas + 南京质检 (to close), 南京食药监 (its successor), 江北新区发布 (another
    tree) and 兴隆发布. 质监's chain: 质监负责人 → 南京市政府办."""
    u = nanjing.u
    cache.clear()

    def make(name, platform, platform_id, unit, supervisor):
        return Account.objects.create(
            name=name, platform=platform, platform_id=platform_id, unit=unit,
            supervisor_unit=supervisor, state=AccountState.ACTIVE, contact_phone="025-8000",
        )

    return SimpleNamespace(
        u=u, p=nanjing.p,
        zj=make("南京质检", Platform.WECHAT_OFFICIAL, "njzhijian", u.njzj, u.nj),
        sy=make("南京食药监", Platform.WECHAT_OFFICIAL, "njshiyaojian", u.njzj, u.nj),
        zj_weibo=make("南京质检微博", Platform.WEIBO, "njzj_weibo", u.njzj, u.nj),
        jb=make("江北新区发布", Platform.WEIBO, "jbxq", u.jb, u.nj),
        xl=make("兴隆发布", Platform.WECHAT_OFFICIAL, "xinglong_fb", u.xl, u.jy),
    )


CHANNELS = [
    {"kind": "website", "value": "https://amr.nanjing.gov.cn"},
    {"kind": "phone", "value": "025-12345"},
]


def apply_closure(world, account=None, *, kind="close", successor=None, channels=None,
                  stop_on=None, reason="职能划转，账号停止运营"):
    return services.closure_apply(
        actor=world.p.njzj_clerk, account=account or world.zj, kind=kind, reason=reason,
        stop_on=stop_on or timezone.localdate(), successor_account=successor,
        successor_channels=CHANNELS if channels is None else channels,
    )


def approve_chain(world, process):
    decide(process, world.p.njzj_head, comment="同意")
    decide(process, world.p.nj_approver, comment="同意")
    process.refresh_from_db()
    return process


def end_notice_period(process):
    """Run run_due on the period's due date (the wait node completes)."""
    call_command("run_due", now=process.data["notice_period"]["due_on"], stdout=io.StringIO())
    process.refresh_from_db()


def deregister(world, process, on=None):
    task = only_open_task(process)
    assert task.flow_task.task_kind == "deregistration"
    services.task_decide(
        task=task, actor=world.p.njzj_clerk, decision="approve",
        data={"deregistered_on": (on or timezone.localdate()).isoformat()},
    )
    process.refresh_from_db()
    process.account.refresh_from_db()
    return process


def close_fully(world, account=None, **kwargs):
    process = approve_chain(world, apply_closure(world, account, **kwargs))
    end_notice_period(process)
    return deregister(world, process)


def wait_task(process):
    return selectors.open_tasks(process).filter(flow_task=ClosureFlow.wait_notice_period).first()


def pdf_text(notice) -> str:
    with notice.pdf.open("rb") as fh:
        data = fh.read()
    return "".join(
        "".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(data)).pages
    )


def days(n):
    return datetime.timedelta(days=n)


def njzj_account(world, name: str, platform_id: str) -> Account:
    """One more active account of 南京质检's unit (supervised by NJ): run_due's batches."""
    return Account.objects.create(
        name=name, platform=Platform.WEIBO, platform_id=platform_id, unit=world.u.njzj,
        supervisor_unit=world.u.nj, state=AccountState.ACTIVE, contact_phone="025-8000",
    )

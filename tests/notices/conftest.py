"""Notices fixtures on top of the shared Nanjing personas (tests/conftest.py)."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from pypdf import PdfReader

from lifecycle.models import Account, AccountState, Platform
from notices import services


@pytest.fixture(autouse=True)
def _clear_throttles():
    # DRF throttles count in the cache; every test starts with a fresh budget.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(nanjing):
    """Nanjing personas + an active 兴隆 account and the city quality bureau's account."""
    u, p = nanjing.u, nanjing.p
    xl_account = Account.objects.create(
        name="兴隆发布", platform=Platform.WECHAT_OFFICIAL, platform_id="xinglong_fb",
        unit=u.xl, supervisor_unit=u.jy, state=AccountState.ACTIVE, operator="某传媒公司",
    )
    zj_account = Account.objects.create(
        name="南京质检", platform=Platform.WECHAT_OFFICIAL, platform_id="njzhijian",
        unit=u.njzj, supervisor_unit=u.nj, state=AccountState.ACTIVE,
    )
    successor = Account.objects.create(
        name="南京食药监", platform=Platform.WECHAT_OFFICIAL, platform_id="njshiyaojian",
        unit=u.njzj, supervisor_unit=u.nj, state=AccountState.ACTIVE,
    )
    jb_account = Account.objects.create(
        name="江北新区发布", platform=Platform.WEIBO, platform_id="jbxq",
        unit=u.jb, supervisor_unit=u.nj, state=AccountState.ACTIVE,
    )
    return SimpleNamespace(
        u=u, p=p, xl_account=xl_account, zj_account=zj_account, successor=successor,
        jb_account=jb_account,
    )


def closure_context(successor):
    return {
        "reason": "功能与“南京食药监”重复，整合后统一发布",
        "stop_on": "2026-06-05",
        "successor_account": {
            "name": successor.name, "platform_label": "微信公众号",
            "platform_id": successor.platform_id,
        },
        "channels": [
            {"kind": "website", "kind_label": "网站", "value": "https://amr.nanjing.gov.cn"},
            {"kind": "phone", "kind_label": "电话", "value": "025-12345"},
        ],
    }


@pytest.fixture
def issue(world):
    """issue(kind, **overrides) → a notice issued (and rendered eagerly after commit)."""

    def _issue(kind="opening_approval", *, account=None, unit=None, context=None, **kwargs):
        account = account if account is not None else world.xl_account
        return services.issue(
            kind=kind,
            account=account,
            issuing_unit=unit or world.u.nj,
            actor=kwargs.pop("actor", world.p.nj_approver),
            context=context if context is not None else {},
            **kwargs,
        )

    return _issue


def pdf_text(notice, field: str = "pdf") -> str:
    with getattr(notice, field).open("rb") as fh:
        data = fh.read()
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def flat(text: str) -> str:
    """PDF text without whitespace/line breaks (justified CJK lines break anywhere)."""
    return "".join(text.split())

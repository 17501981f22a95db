"""The public portal (/public/, no login) and GET /api/public/successor/."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from rest_framework.throttling import ScopedRateThrottle

from lifecycle.models import Account, AccountState, Platform
from review.models import Feedback
from tests.approvals.closure_helpers import close_fully, world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def closed(world):
    """南京质检 closed with 南京食药监 as successor (the 2019 case)."""
    close_fully(world, kind="close", successor=world.sy,
                channels=[{"kind": "phone", "value": "025-12345"}])
    world.zj.refresh_from_db()
    return world


def test_it_lists_announcements_newest_first(client, closed):
    close_fully(closed, closed.zj_weibo, kind="merge", successor=closed.sy, channels=[])
    html = client.get(reverse("public-announcements")).content.decode()
    first, second = html.index("整合：南京质检微博"), html.index("关停：南京质检")
    assert first < second
    assert "南京食药监" in html and "njshiyaojian" in html and "025-12345" in html
    assert "宁质监公告〔" in html and reverse("public-verify") in html


def test_it_filters_announcements_by_unit_and_platform(client, closed):
    html = client.get(reverse("public-announcements"), {"platform": "weibo"}).content.decode()
    assert "关停：南京质检" not in html
    html = client.get(reverse("public-announcements"), {"unit": "JB"}).content.decode()
    assert "关停：南京质检" not in html
    html = client.get(reverse("public-announcements"), {"unit": "NJ"}).content.decode()
    assert "关停：南京质检" in html


def test_it_answers_where_an_account_went(client, closed):
    response = client.get(reverse("public-lookup"), {"q": "南京质检"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "已于" in html and "关停" in html
    assert "其服务已迁移至 <strong>南京食药监</strong>（微信公众号 njshiyaojian）" in html


def test_it_shows_the_whole_chain(client, closed):
    # 南京质检微博 → 南京质检 (closed) → 南京食药监 (active); test_merger_flow drives the
    # same chain through two real mergers.
    Account.objects.filter(pk=closed.zj_weibo.pk).update(successor=closed.zj)
    html = client.get(reverse("public-lookup"), {"q": "njzj_weibo"}).content.decode()
    assert "南京质检微博 → 南京质检（微信公众号 njzhijian） → 南京食药监（微信公众号 njshiyaojian）" in html


def test_it_does_not_show_applications(client, world):
    Account.objects.create(name="南京质检新号", platform=Platform.DOUYIN, unit=world.u.njzj,
                           state=AccountState.APPLYING)
    html = client.get(reverse("public-lookup"), {"q": "南京质检新号"}).content.decode()
    assert "未找到相关账号" in html


def test_it_escapes_hostile_text(client, world):
    Account.objects.filter(pk=world.xl.pk).update(name="<script>alert(1)</script>兴隆")
    html = client.get(reverse("public-lookup"), {"q": "<script>alert(1)</script>"}).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;兴隆" in html
    html = client.get(reverse("public-account", args=[world.xl.pk])).content.decode()
    assert "<script>alert" not in html


def test_it_accepts_an_error_report_without_login(client, world):
    url = reverse("public-feedback", args=[world.xl.pk])
    response = client.post(url, {"kind": "error_report", "text": "电话号码写错了", "contact": ""})
    assert response.status_code == 302
    feedback = Feedback.objects.get()
    assert (feedback.account, feedback.kind, feedback.text) == (world.xl, "error_report", "电话号码写错了")
    assert "已收到您的反馈" in client.get(response.url).content.decode()


def test_it_requires_text_for_a_complaint_but_not_for_praise(client, world):
    url = reverse("public-feedback", args=[world.xl.pk])
    assert client.post(url, {"kind": "complaint", "text": ""}).status_code == 400
    assert client.post(url, {"kind": "praise", "text": "", "contact": "138"}).status_code == 302
    assert list(Feedback.objects.values_list("kind", "contact")) == [("praise", "138")]


def test_it_refuses_feedback_for_a_closed_account(client, closed):
    html = client.get(reverse("public-account", args=[closed.zj.pk])).content.decode()
    assert "feedback-form" not in html and "南京食药监" in html
    response = client.post(reverse("public-feedback", args=[closed.zj.pk]),
                           {"kind": "praise", "text": ""})
    assert response.status_code == 400
    assert not Feedback.objects.exists()


@override_settings(PUBLIC_FEEDBACK_LIMIT=3)
def test_it_rate_limits_feedback_per_client(client, world):
    url = reverse("public-feedback", args=[world.xl.pk])
    for _i in range(3):
        assert client.post(url, {"kind": "praise"}).status_code == 302
    response = client.post(url, {"kind": "praise"})
    assert response.status_code == 429
    assert "提交过于频繁" in response.content.decode()
    assert Feedback.objects.count() == 3
    other = client.post(url, {"kind": "praise"}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302


def test_it_shows_feedback_to_the_owning_unit_only(client, world):
    Feedback.objects.create(account=world.xl, kind="error_report", text="兴隆的纠错")
    Feedback.objects.create(account=world.jb, kind="complaint", text="江北的差评")
    client.force_login(world.p.jy_approver)
    html = client.get(reverse("feedback-list")).content.decode()
    assert "兴隆的纠错" in html and "江北的差评" not in html
    client.logout()
    assert client.get(reverse("feedback-list")).status_code == 302  # login required


def test_it_answers_the_successor_api_without_login(client, closed):
    Account.objects.filter(pk=closed.zj_weibo.pk).update(successor=closed.zj)
    response = client.get("/api/public/successor/", {"name": "南京质检"})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "南京质检"
    by_name = {m["account"]["name"]: m for m in body["matches"]}
    zj = by_name["南京质检"]
    assert zj["state"] == "closed"
    assert zj["successor"] == {"id": closed.sy.pk, "name": "南京食药监",
                               "platform": "wechat_official", "platform_id": "njshiyaojian"}
    assert [a["name"] for a in zj["chain"]] == ["南京食药监"]
    assert zj["channels"] == [{"kind": "phone", "value": "025-12345"}]
    assert [a["name"] for a in by_name["南京质检微博"]["chain"]] == ["南京质检", "南京食药监"]
    assert client.get("/api/public/successor/").status_code == 400


def test_it_throttles_the_successor_api(client, world, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"public": "2/min"})
    for _i in range(2):
        assert client.get("/api/public/successor/", {"name": "x"}).status_code == 200
    assert client.get("/api/public/successor/", {"name": "x"}).status_code == 429

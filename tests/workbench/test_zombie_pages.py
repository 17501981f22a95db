"""Zombie and low-reach lists in the web: scoped to the user's subtree, exportable as CSV
and XLSX, with one-click rectification and the closure application link."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse

from lifecycle.models import Platform
from tests.approvals.review_helpers import make_account, review_world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def test_it_lists_zombies_in_the_users_subtree(client, review_world):
    w = review_world
    far = make_account("江北僵尸号", w.u.jb, w.u.nj, platform=Platform.DOUYIN, days_ago=None)
    client.force_login(w.p.jy_reviewer)
    page = client.get(reverse("work:attention"))
    body = page.content.decode()
    assert page.status_code == 200
    assert "兴隆旧号" in body and "兴隆发布" not in body and far.name not in body
    assert f"rectify-{w.stale.pk}" in body
    # A reviewer is not the owning unit: "suggest closure" orders a rectification saying so.
    suggest = reverse("work:rectify", args=[w.stale.pk]) + "?suggest=1"
    assert suggest in body and reverse("work:apply_closure", args=[w.stale.pk]) not in body
    form = client.get(suggest)
    assert form.status_code == 200 and "申请关停或整合" in form.content.decode()
    client.force_login(w.p.nj_inspector)
    body = client.get(reverse("work:attention")).content.decode()
    assert "兴隆旧号" in body and far.name in body


def test_it_lists_low_reach_accounts(client, review_world):
    w = review_world
    pukou = make_account("浦口疾控", w.u.xl, w.u.jy, platform=Platform.WEIBO, followers=20,
                         posts=29)
    client.force_login(w.p.xl_clerk)
    body = client.get(reverse("work:attention") + "?only=low_reach").content.decode()
    assert pukou.name in body and "兴隆旧号" not in body
    # the owning unit's clerk gets the closure application link, not the rectify button
    assert f"closure-{pukou.pk}" in body and f"rectify-{pukou.pk}" not in body


def test_it_exports_csv_and_xlsx(client, review_world):
    w = review_world
    client.force_login(w.p.jy_reviewer)
    response = client.get(reverse("work:attention_export") + "?only=zombie&fmt=csv")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("unit_code,unit_name,name")
    assert "兴隆旧号" in text and "南京质检" not in text
    response = client.get(reverse("work:attention_export") + "?only=zombie&fmt=xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    names = [row[2] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert names == ["兴隆旧号"]


def test_it_starts_a_rectification_from_the_zombie_list(client, review_world):
    w = review_world
    client.force_login(w.p.jy_reviewer)
    page = client.get(reverse("work:rectify", args=[w.stale.pk]))
    assert "长期未更新" in page.content.decode()
    response = client.post(reverse("work:rectify", args=[w.stale.pk]), {"reason": ""})
    assert response.status_code == 400 and "请填写整改事由" in response.content.decode()
    response = client.post(reverse("work:rectify", args=[w.stale.pk]), {"reason": "僵尸号整改"})
    assert response.status_code == 302
    w.stale.refresh_from_db()
    assert w.stale.state == "rectifying"


def test_it_hides_accounts_outside_the_subtree(client, review_world):
    w = review_world
    client.force_login(w.p.jb_approver)
    assert client.get(reverse("work:rectify", args=[w.stale.pk])).status_code == 404

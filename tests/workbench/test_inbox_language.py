"""The inbox speaks Simplified Chinese by default, viewflow's own strings included."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.approvals.helpers import apply_xl

pytestmark = pytest.mark.django_db


def test_it_shows_viewflow_menu_in_chinese(client, nanjing):
    apply_xl(nanjing)
    client.force_login(nanjing.p.xl_head)
    body = client.get(reverse("workflow:queue")).content.decode()
    assert "待签收" in body and "待办" in body and "已办" in body
    assert ">Inbox<" not in body and ">Queue<" not in body
    assert "兴隆发布" in body and "单位负责人审核" in body


def test_it_requires_login_outside_public(client, nanjing):
    response = client.get(reverse("workflow:queue"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]

"""The account page of a pre-existing (imported) account: no actor on its first history
row, and a change shown field by field with labels, never raw codes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lifecycle import services as lifecycle
from tests.api.helpers import imported

pytestmark = pytest.mark.django_db


def test_it_shows_an_imported_account_and_its_changes(client, nanjing):
    account = imported(nanjing.u.njzj, "南京质检", platform="wechat_official", platform_id="njzj")
    lifecycle.account_change(account=account, actor=nanjing.p.njzj_clerk,
                             changes={"name": "南京市场监管", "contact_phone": "025-2222"},
                             reason="机构改革更名")
    client.force_login(nanjing.p.njzj_clerk)
    response = client.get(reverse("work:account", args=[account.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    history = page[page.index('data-testid="history"'):]
    assert "导入" in history and "运行中" in history and "变更" in history
    assert "账号名称：南京质检 → 南京市场监管" in history
    assert "联系电话：（空） → 025-2222" in history
    assert "contact_phone" not in history and "approve_opening" not in history
    assert "申请关停" in page  # the applicant's way to a closure starts here

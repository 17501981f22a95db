"""Account register pages and the applicant's applications list, scoped."""

from __future__ import annotations

import pytest
from django.urls import reverse
from viewflow.workflow.status import PROCESS

from lifecycle.models import AccountState
from tests.approvals.helpers import apply_xl, decide

pytestmark = pytest.mark.django_db


def test_it_lists_only_accounts_under_the_users_units(client, nanjing):
    apply_xl(nanjing, name="兴隆发布")
    from approvals import services

    services.opening_apply(actor=nanjing.p.jbdp_clerk, unit=nanjing.u.jbdp, platform="weibo",
                           name="顶山微博", purpose="发布", contact_name="李", contact_phone="1")
    client.force_login(nanjing.p.jy_approver)
    body = client.get(reverse("work:accounts")).content.decode()
    assert "兴隆发布" in body and "顶山微博" not in body
    body = client.get(reverse("work:accounts") + "?q=顶山").content.decode()
    assert "顶山微博" not in body


def test_it_shows_an_account_with_history_and_404s_out_of_scope(client, nanjing):
    process = apply_xl(nanjing, name="兴隆<b>发布</b>")
    client.force_login(nanjing.p.xl_clerk)
    page = client.get(reverse("work:account", args=[process.account_id]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "兴隆&lt;b&gt;发布&lt;/b&gt;" in body and "<b>发布</b>" not in body
    assert "submit" in body and f"#{process.pk}" in body
    client.force_login(nanjing.p.jb_approver)
    assert client.get(reverse("work:account", args=[process.account_id])).status_code == 404


def test_it_withdraws_from_my_applications(client, nanjing):
    process = apply_xl(nanjing)
    decided = apply_xl(nanjing, name="兴隆微博", platform="weibo")
    decide(decided, nanjing.p.xl_head)
    client.force_login(nanjing.p.xl_clerk)
    body = client.get(reverse("work:applications")).content.decode()
    assert body.count(">撤回<") == 1
    response = client.post(reverse("work:withdraw", args=[process.pk]))
    assert response.status_code == 302
    process.refresh_from_db()
    process.account.refresh_from_db()
    assert process.status == PROCESS.CANCELED
    assert process.account.state == AccountState.DRAFT
    client.post(reverse("work:withdraw", args=[decided.pk]))
    decided.refresh_from_db()
    assert decided.status == PROCESS.NEW

"""POST /api/metrics/: monitoring systems push metric rows as JSON, scoped to the user.

Issue 12 item 3: the writer is an inspector or supervisor reviewer of a unit above the
account's (here 建邺区's inspector for 兴隆's account), or an integration account — no longer
any user in scope (these tests used the district approver; the own-unit and approver cases
are in test_metrics_writers below)."""

from __future__ import annotations

import datetime

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from lifecycle.models import Account
from review.models import MetricSnapshot
from review.selectors import current_snapshots
from tests.review.helpers import account

pytestmark = pytest.mark.django_db

URL = "/api/metrics/"


@pytest.fixture
def accounts(nanjing):
    return {
        "xl": account(nanjing.u.xl, "兴隆发布", platform="weibo", platform_id="xlfb", followers=10),
        "jb": account(nanjing.u.jbdp, "顶山发布", platform="weibo", platform_id="dsfb", followers=10),
    }


@pytest.fixture
def inspector(nanjing):
    from lifecycle import services

    return services.user_upsert(username="jy_inspector", full_name="建邺检查员", password="pw",
                                memberships=[(nanjing.u.jy, "inspector")])


def client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def row(pid: str, **extra):
    return {
        "platform": "weibo",
        "platform_id": pid,
        "as_of": "2019-06-10",
        "followers": 1200,
        "posts_total": 340,
        "last_post_on": "2019-06-09",
        "interaction_enabled": True,
        **extra,
    }


def test_it_imports_rows_of_the_users_subtree(accounts, nanjing, inspector):
    response = client_for(inspector).post(URL, [row("xlfb")], format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {"rows": 1, "created": 1, "updated": 0, "accounts_updated": 1}
    acc = Account.objects.get(pk=accounts["xl"].pk)
    assert (acc.followers, acc.last_post_on) == (1200, datetime.date(2019, 6, 9))


def test_it_accepts_a_rows_object(accounts, nanjing, inspector):
    response = client_for(inspector).post(URL, {"rows": [row("xlfb")]}, format="json")
    assert response.status_code == 200
    assert MetricSnapshot.objects.count() == 1


def test_it_answers_400_with_every_bad_row_and_writes_nothing(accounts, nanjing, inspector):
    rows = [
        row("xlfb"),
        row("xlfb", as_of="2019-06-11", followers=-1, interaction_enabled="maybe"),
        row("nobody"),
    ]
    response = client_for(inspector).post(URL, rows, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["row"], e["index"], e["field"]) for e in errors] == [
        (3, 1, "followers"),
        (3, 1, "interaction_enabled"),
        (4, 2, "platform_id"),
    ]
    assert MetricSnapshot.objects.count() == 0
    assert Account.objects.get(pk=accounts["xl"].pk).followers == 10


def test_it_treats_accounts_outside_the_scope_as_unknown(accounts, nanjing, inspector):
    response = client_for(inspector).post(URL, [row("dsfb")], format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "platform_id"
    assert "dsfb" in response.json()["errors"][0]["message"]
    assert Account.objects.get(pk=accounts["jb"].pk).followers == 10


def test_it_lets_a_superuser_push_any_account(accounts):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", "r@example.org", "pw")
    response = client_for(admin).post(URL, [row("xlfb"), row("dsfb")], format="json")
    assert response.status_code == 200
    assert MetricSnapshot.objects.count() == 2


def test_it_requires_authentication(accounts):
    response = APIClient().post(URL, [row("xlfb")], format="json")
    assert response.status_code in (401, 403)
    assert MetricSnapshot.objects.count() == 0


def test_it_rejects_a_body_that_is_not_a_list(accounts, nanjing, inspector):
    response = client_for(inspector).post(URL, {"platform": "weibo"}, format="json")
    assert response.status_code == 400
    assert MetricSnapshot.objects.count() == 0


def test_it_works_with_a_session_too(accounts, nanjing, inspector):
    client = APIClient()
    client.force_login(inspector)
    assert client.post(URL, [row("xlfb")], format="json").status_code == 200



def test_metrics_writers(accounts, nanjing, inspector):
    """The finding: the inspected unit's own clerk (or any user in scope) turned a zombie
    into a pass. Now only a supervising unit's inspector writes, and the snapshot says who."""
    from lifecycle import services

    own_inspector = services.user_upsert(username="xl_inspector", full_name="兴隆检查员",
                                         password="pw", memberships=[(nanjing.u.xl, "inspector")])
    for user in (nanjing.p.xl_clerk, nanjing.p.jy_approver, nanjing.p.nj_archivist, own_inspector):
        response = client_for(user).post(URL, [row("xlfb")], format="json")
        assert response.status_code == 400, user
    assert MetricSnapshot.objects.count() == 0
    assert client_for(inspector).post(URL, [row("xlfb")], format="json").status_code == 200
    snap = MetricSnapshot.objects.get()
    assert snap.written_by == inspector and snap.source == "api"


def test_a_correction_is_a_new_row_and_the_latest_wins(accounts, nanjing, inspector):
    """Issue 12 item 3 (the finding: a second POST for the same account and day overwrote
    the snapshot, erasing what was first reported and by whom). The contract is unchanged
    (200, {rows, created, updated, accounts_updated}: the correction counts as updated);
    the first row stays as written, the correction is a new row recording its writer."""
    from django.contrib.auth.models import Permission

    from lifecycle import services

    assert client_for(inspector).post(URL, [row("xlfb")], format="json").status_code == 200
    first = MetricSnapshot.objects.get()
    bot = services.user_upsert(username="monitor_bot", full_name="监测系统", password="pw")
    bot.user_permissions.add(Permission.objects.get(codename="add_metricsnapshot"))
    response = client_for(bot).post(URL, [row("xlfb", followers=1500)], format="json")
    assert response.status_code == 200
    assert response.json() == {"rows": 1, "created": 0, "updated": 1, "accounts_updated": 1}
    rows = list(MetricSnapshot.objects.order_by("pk"))
    assert len(rows) == 2
    assert (rows[0].pk, rows[0].followers, rows[0].written_by) == (first.pk, 1200, inspector)
    assert (rows[1].followers, rows[1].written_by, rows[1].source) == (1500, bot, "api")
    assert rows[0].written_at <= rows[1].written_at
    assert list(current_snapshots()) == [rows[1]]
    assert Account.objects.get(pk=accounts["xl"].pk).followers == 1500


def test_an_integration_account_writes_any_account(accounts, nanjing):
    from django.contrib.auth.models import Permission

    from lifecycle import services

    bot = services.user_upsert(username="monitor_bot", full_name="监测系统", password="pw")
    bot.user_permissions.add(Permission.objects.get(codename="add_metricsnapshot"))
    response = client_for(bot).post(URL, [row("xlfb"), row("dsfb")], format="json")
    assert response.status_code == 200
    assert set(MetricSnapshot.objects.values_list("source", flat=True)) == {"api"}

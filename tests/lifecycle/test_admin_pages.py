"""Admin pages load and keep accounts read-only."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from lifecycle.models import Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, nanjing):
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", [
    "/admin/lifecycle/unit/", "/admin/lifecycle/account/", "/admin/auth/user/",
    "/admin/approvals/approvalpolicy/", "/admin/approvals/decision/",
])
def test_it_lists(admin_client, url):
    assert admin_client.get(url).status_code == 200


def test_it_refuses_adding_accounts_in_admin(admin_client):
    assert admin_client.get("/admin/lifecycle/account/add/").status_code == 403


def test_it_saves_units_through_the_service(admin_client, nanjing):
    response = admin_client.post("/admin/lifecycle/unit/add/", {
        "code": "JYNEW", "name": "建邺区新部门", "short_name": "建新", "level": "county",
        "kind": "department", "parent": nanjing.u.jy.pk, "supervisor": "",
        "may_open_accounts": "on",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    unit = Unit.objects.get(code="JYNEW")
    assert unit.path == f"{nanjing.u.jy.path}{unit.pk}/"
    assert unit.supervisor == nanjing.u.jy

"""Three-role administration (三员分立, issue 12 item 2; the finding: a user with role
`admin` reset the superuser's password and gave themselves an approver membership)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client

from lifecycle import services
from lifecycle.models import Membership, SecurityEvent
from tests.lifecycle.import_files import run

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def people(nanjing):
    root = User.objects.create_superuser("root", "", "Root#Pass-2026")
    sysadmin = services.user_upsert(username="sysadmin", full_name="系统管理员", password="pw",
                                    memberships=[(nanjing.u.nj, "admin")])
    secadmin = services.user_upsert(username="secadmin", full_name="安全管理员", password="pw")
    auditor = services.user_upsert(username="auditor", full_name="安全审计员", password="pw")
    assert run("admin_role", "secadmin", "security").code == 0
    assert run("admin_role", "auditor", "audit").code == 0
    return root, User.objects.get(pk=sysadmin.pk), User.objects.get(pk=secadmin.pk), \
        User.objects.get(pk=auditor.pk)


def _as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_system_administrator_cannot_touch_the_superuser(people):
    root, sysadmin, _sec, _aud = people
    client = _as(sysadmin)
    assert client.get(f"/admin/auth/user/{root.pk}/change/").status_code in (302, 404)
    response = client.post(f"/admin/auth/user/{root.pk}/password/",
                           {"password1": "Hack#2026-x", "password2": "Hack#2026-x"})
    assert response.status_code in (302, 404)
    root.refresh_from_db()
    assert root.check_password("Root#Pass-2026")
    assert "root" not in client.get("/admin/auth/user/").content.decode()


def test_the_system_administrator_cannot_grant_roles_least_of_all_to_themselves(people, nanjing):
    _root, sysadmin, _sec, _aud = people
    client = _as(sysadmin)
    response = client.post("/admin/lifecycle/membership/add/",
                           {"user": sysadmin.pk, "unit": nanjing.u.jy.pk, "role": "approver"})
    assert response.status_code == 403
    assert not Membership.objects.filter(user=sysadmin, role="approver").exists()
    assert not sysadmin.has_perm("lifecycle.add_membership")


def test_the_security_administrator_grants_roles_but_not_their_own(people, nanjing):
    _root, _sys, secadmin, _aud = people
    client = _as(secadmin)
    response = client.post("/admin/lifecycle/membership/add/",
                           {"user": nanjing.p.xl_clerk.pk, "unit": nanjing.u.xl.pk, "role": "archivist"})
    assert response.status_code == 302
    assert Membership.objects.filter(user=nanjing.p.xl_clerk, role="archivist").exists()
    assert SecurityEvent.objects.filter(kind="role_change", username="xl_clerk",
                                        target=f"{nanjing.u.xl.pk}:archivist").exists()
    response = client.post("/admin/lifecycle/membership/add/",
                           {"user": secadmin.pk, "unit": nanjing.u.jy.pk, "role": "approver"})
    assert response.status_code == 200 and "不能修改自己的角色" in response.content.decode()
    with pytest.raises(ValidationError):
        services.membership_add(user=secadmin, unit=nanjing.u.jy, role="approver")
    # but not units or policies
    assert client.get("/admin/approvals/approvalpolicy/").status_code == 403


def test_the_auditor_reads_the_security_log_and_exports_it_but_changes_nothing(people):
    _root, _sys, _sec, auditor = people
    client = _as(auditor)
    page = client.get("/admin/lifecycle/securityevent/?kind__exact=role_change")
    assert page.status_code == 200 and "admin_role:audit" in page.content.decode()
    export = client.get("/admin/lifecycle/securityevent/export/?kind__exact=role_change")
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    body = export.content.decode("utf-8-sig")
    assert "admin_role:security" in body and "login" not in body.split("\n", 1)[1].split(",")[2]
    event = SecurityEvent.objects.first()
    assert client.post(f"/admin/lifecycle/securityevent/{event.pk}/change/", {}).status_code == 403
    assert client.post(f"/admin/lifecycle/securityevent/{event.pk}/delete/",
                       {"post": "yes"}).status_code == 403
    assert client.get("/admin/admin/logentry/").status_code == 200
    assert client.get("/admin/lifecycle/unit/").status_code == 403


def test_one_person_holds_one_administrator_role(people):
    _root, sysadmin, secadmin, _aud = people
    assert run("admin_role", "sysadmin", "audit").code == 1  # holds the admin role
    assert not sysadmin.groups.filter(name=services.AUDITOR_GROUP).exists()

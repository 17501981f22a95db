"""Role `admin` (audit item 10): staff status and the "govmedia admins" group, kept in step
with the role by lifecycle.services.user_upsert (import_users, seed_demo)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from lifecycle import services
from tests.lifecycle.import_files import run, write_csv

pytestmark = pytest.mark.django_db

User = get_user_model()
USER_HEADER = "username,full_name,email,unit_code,roles,password"
PASSWORD = "Qiu#Shui-2026x"  # issue 12: not like the username (was "Zhang-2026-admin")


@pytest.fixture
def imported_admin(nanjing, tmp_path):
    rows = [["zhang", "张三", "zhang@example.invalid", "NJ", "admin", PASSWORD]]
    result = run("import_users", str(write_csv(tmp_path / "p.csv", USER_HEADER, rows)))
    assert result.code == 0, result.err
    user = User.objects.get(username="zhang")
    # An imported password must be changed at the first login (tests/security/
    # test_logins.py); here the admin has already chosen their own.
    from lifecycle import passwords

    passwords.mark_changed(user)
    return user


def test_an_imported_admin_logs_into_admin_and_opens_the_unit_list(imported_admin, client):
    assert imported_admin.is_staff and not imported_admin.is_superuser
    assert imported_admin.groups.filter(name=services.ADMIN_GROUP).exists()
    assert client.login(username="zhang", password=PASSWORD)

    assert client.get("/admin/").status_code == 200
    response = client.get("/admin/lifecycle/unit/")
    assert response.status_code == 200
    assert "南京市人民政府办公室" in response.content.decode()
    assert client.get("/admin/lifecycle/unit/add/").status_code == 200


def test_the_admin_administers_users_policies_and_rule_sets_but_only_reads_notices(imported_admin):
    user = User.objects.get(pk=imported_admin.pk)  # fresh permission cache
    for perm in (
        "auth.change_user",
        "lifecycle.add_unit",
        "lifecycle.view_membership",
        "approvals.change_approvalpolicy",
        "review.add_ruleset",
        "review.change_indicator",
        "notices.view_notice",
    ):
        assert user.has_perm(perm), perm
    # issue 12 (三员分立): roles are granted by the security administrator, not the admin
    for perm in ("notices.change_notice", "notices.delete_notice", "lifecycle.delete_unit", "auth.add_group",
                 "lifecycle.change_membership", "lifecycle.add_membership"):
        assert not user.has_perm(perm), perm


def test_removing_the_role_removes_staff_status(imported_admin, nanjing, tmp_path):
    rows = [["zhang", "张三", "", "NJ", "approver", PASSWORD]]
    assert run("import_users", str(write_csv(tmp_path / "p2.csv", USER_HEADER, rows))).code == 0

    zhang = User.objects.get(username="zhang")
    assert not zhang.is_staff
    assert not zhang.groups.filter(name=services.ADMIN_GROUP).exists()


def test_a_superuser_keeps_staff_status(nanjing):
    root = User.objects.create_superuser(username="root", password=PASSWORD, email="")

    services.user_upsert(username="root", memberships=[(nanjing.u.nj, "approver")])

    root.refresh_from_db()
    assert root.is_staff and root.is_superuser


def test_the_group_is_created_once(nanjing):
    services.user_upsert(username="a", memberships=[(nanjing.u.nj, "admin")])
    services.user_upsert(username="b", memberships=[(nanjing.u.jy, "admin")])

    group = Group.objects.get(name=services.ADMIN_GROUP)
    assert group.user_set.count() == 2
    assert group.permissions.count() == sum(len(a) for a in services.ADMIN_GROUP_PERMISSIONS.values())


def test_an_admin_cannot_raise_privileges_in_the_user_admin(imported_admin, client):
    assert client.login(username="zhang", password=PASSWORD)
    url = f"/admin/auth/user/{imported_admin.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="is_superuser"' not in body and 'name="groups"' not in body
    # A forged POST with the privilege fields changes none of them.
    form = {"username": "zhang", "first_name": "张三", "last_name": "", "email": "",
            "is_active": "on", "is_superuser": "on", "is_staff": "on",
            "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00",
            "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000"}
    client.post(url, form)
    imported_admin.refresh_from_db()
    assert not imported_admin.is_superuser

"""The security log (issue 12 item 9): what is recorded (logins and failures, denials with
the request id, delegations, role and admin changes), the hash chain that detects an edited
or deleted row (`verify_audit`), and the auditor's read-only page."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from approvals import services
from lifecycle import security
from lifecycle import services as lifecycle
from lifecycle.models import SecurityEvent
from tests.approvals.helpers import apply_xl, only_open_task

pytestmark = pytest.mark.django_db


def test_denials_delegations_and_role_changes_are_logged(nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    task = only_open_task(process)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=p.xl_clerk).key}")
    lifecycle.membership_add(user=p.xl_clerk, unit=nanjing.u.xl, role="unit_head")
    response = client.post(f"/api/tasks/{task.pk}/decide/", {"decision": "approve"},
                           format="json", HTTP_X_REQUEST_ID="req-12345678")
    assert response.status_code == 403 and response["X-Request-ID"] == "req-12345678"
    denied = SecurityEvent.objects.get(kind="denied")
    assert denied.user == p.xl_clerk and denied.request_id == "req-12345678"
    assert denied.target == f"/api/tasks/{task.pk}/decide/" and denied.action == "POST"
    role = SecurityEvent.objects.filter(kind="role_change", username="xl_clerk").first()
    assert role.target == f"{nanjing.u.xl.pk}:unit_head" and role.action == "added"
    deputy = lifecycle.user_upsert(username="jy_deputy", full_name="副审核人", password="pw",
                                   memberships=[(nanjing.u.jy, "approver")])
    today = timezone.localdate()
    services.delegation_create(user=p.jy_approver, delegate=deputy, starts_on=today,
                               ends_on=today + datetime.timedelta(days=1))
    assert SecurityEvent.objects.get(kind="delegation").detail["delegate"] == "jy_deputy"


def test_admin_changes_are_logged(nanjing):
    root = get_user_model().objects.create_superuser("root", "", "pw")
    client = Client()
    client.force_login(root)
    unit = nanjing.u.jb
    response = client.post(f"/admin/lifecycle/unit/{unit.pk}/change/", {
        "code": unit.code, "name": "江北新区管委会办公室", "short_name": unit.short_name,
        "level": unit.level, "kind": unit.kind, "parent": unit.parent_id,
        "supervisor": unit.supervisor_id or "", "may_open_accounts": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    event = SecurityEvent.objects.get(kind="admin_change")
    assert event.user == root and event.action == "change"
    assert event.target == f"lifecycle.unit:{unit.pk}"


def test_the_chain_detects_an_edited_or_deleted_row(nanjing):
    for n in range(5):
        security.record(kind="login_failed", username=f"u{n}")
    assert security.verify() == []
    call_command("verify_audit")
    rows = list(SecurityEvent.objects.filter(kind="login_failed").order_by("pk"))
    if connection.vendor == "postgresql":
        # Someone with the table owner's rights switches the append-only trigger off first
        # (the trigger itself is tested in tests/infra); inside the test's transaction.
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE lifecycle_securityevent "
                           "DISABLE TRIGGER security_event_append_only")
    # an edit (bypassing the writer, as someone with database access would)
    SecurityEvent.objects.filter(pk=rows[2].pk).update(username="someone-else")
    problems = security.verify()
    assert problems == [f"#{rows[2].pk}: content changed after it was written"]
    with pytest.raises(CommandError):
        call_command("verify_audit")
    SecurityEvent.objects.filter(pk=rows[2].pk).update(username="u2")
    assert security.verify() == []
    SecurityEvent.objects.filter(pk=rows[1].pk).delete()
    assert security.verify() == [f"#{rows[2].pk}: previous row missing or changed (chain broken)"]

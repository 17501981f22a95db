"""Backup and restore on PostgreSQL (issue 12 item 10): `backup` (pg_dump custom format from
an exported snapshot, MEDIA_ROOT, manifest) and `restore` (pg_restore --clean --if-exists)
round-trip a seeded database; after the restore every notice hash matches and the security
log's chain verifies — with the append-only trigger of lifecycle/0004 in place before and
after."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from lifecycle import security
from lifecycle.models import SecurityEvent
from notices.models import Notice, NoticeStatus
from tests.security import backup_world

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


def _trigger_rejects_delete() -> bool:
    try:
        with transaction.atomic():
            SecurityEvent.objects.all().delete()
    except DatabaseError as exc:
        return "append-only" in str(exc)
    return False


def test_a_postgresql_backup_round_trips_notices_and_the_security_log(services, wait_for, nanjing, tmp_path):
    def rendered(notices):
        wait_for(
            lambda: (
                Notice.objects.filter(pk__in=[n.pk for n in notices], status=NoticeStatus.RENDERED).count()
                == len(notices)
            ),
            timeout=120,
            message="the worker to render the notices",
        )

    notices = backup_world.seed(nanjing, wait_rendered=rendered)
    hashes = backup_world.expected_hashes()
    head = backup_world.chain_head()

    out = _run("backup", "--out", str(tmp_path / "b"))
    assert "backup written" in out
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["database"] == {"vendor": "postgresql", "file": "database.dump"}
    assert (tmp_path / "b" / "database.dump").read_bytes()[:5] == b"PGDMP"  # custom format
    assert {n["number"]: n["sha256"] for n in manifest["notices"] if n["sha256"]} == hashes
    assert (manifest["security_log"]["rows"], manifest["security_log"]["last_hash"]) == head

    with pytest.raises(CommandError, match="--force"):
        _run("restore", str(tmp_path / "b"))

    # Mutate: a new user and security event, a lost file.
    get_user_model().objects.create(username="after_backup")
    security.record(kind="login", username="after_backup")
    Path(notices[0].pdf.path).unlink()

    out = _run("restore", str(tmp_path / "b"), "--force")
    assert "restore complete" in out
    assert not get_user_model().objects.filter(username="after_backup").exists()
    assert backup_world.expected_hashes() == hashes
    assert backup_world.files_match()
    assert security.verify() == []
    assert backup_world.chain_head() == head
    assert _trigger_rejects_delete(), "the append-only trigger is back after pg_restore"

    # Into an emptied database (the test runner's TRUNCATE): no --force needed.
    call_command("flush", interactive=False, verbosity=0)
    out = _run("restore", str(tmp_path / "b"))
    assert "restore complete" in out
    assert backup_world.expected_hashes() == hashes and backup_world.files_match()
    assert security.verify() == [] and backup_world.chain_head() == head
    security.record(kind="login", username="after_restore")  # the chain goes on
    assert security.verify() == []
    assert connection.vendor == "postgresql"

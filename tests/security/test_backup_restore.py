"""Backup and restore (issue 12 item 10) on the suite's own database (SQLite; PostgreSQL on
the services leg): `backup --out DIR` writes the database, MEDIA_ROOT and a manifest;
`restore DIR` checks the folder first, restores, then re-checks every notice hash and the
security log's chain. The services leg's own PostgreSQL round trip with a second database
(pg_dump / pg_restore) is tests/infra/test_backup_restore_services.py."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from lifecycle import security
from notices.models import Notice
from tests.security import backup_world

pytestmark = pytest.mark.django_db(transaction=True)
LAYERS = {"lifecycle", "notices", "review", "approvals"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


def test_a_backup_round_trips_every_notice_and_the_security_log(nanjing, tmp_path, settings):
    notices = backup_world.seed(nanjing)
    hashes = backup_world.expected_hashes()
    head = backup_world.chain_head()
    assert len(hashes) == 3 and head[0] >= 3

    out = _run("backup", "--out", str(tmp_path / "b"))
    assert "backup written" in out and "3 notices" in out

    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    # The normal leg runs on SQLite, the services leg on PostgreSQL: the same round trip.
    dump = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}[connection.vendor]
    assert manifest["database"] == {"vendor": connection.vendor, "file": dump}
    assert {n["number"]: n["sha256"] for n in manifest["notices"]} == hashes
    assert all(n["sm3"] for n in manifest["notices"])
    assert manifest["security_log"] == {
        "rows": head[0],
        "last_id": manifest["security_log"]["last_id"],
        "last_hash": head[1],
    }
    leaves = MigrationLoader(connection).graph.leaf_nodes()
    assert {app: names for app, names in manifest["migrations"].items() if app in LAYERS} == {
        app: [name] for app, name in leaves if app in LAYERS
    }
    assert manifest["warnings"] == []
    for notice in notices:
        entry = manifest["files"][f"media/{notice.pdf.name}"]
        assert entry["sha256"] == notice.sha256
    assert dump in manifest["files"]

    # Over a database with data: refused without --force, and nothing changes.
    extra = get_user_model().objects.create(username="after_backup")
    with pytest.raises(CommandError, match="--force"):
        _run("restore", str(tmp_path / "b"))
    assert get_user_model().objects.filter(username="after_backup").exists()

    # Mutate: a user added, a notice file lost, a notice row emptied of its hash.
    Path(notices[0].pdf.path).unlink()
    Notice.objects.filter(pk=notices[1].pk).update(sha256="")
    out = _run("restore", str(tmp_path / "b"), "--force")
    assert "restore complete: 3 notices" in out
    assert not get_user_model().objects.filter(pk=extra.pk).exists()
    assert backup_world.expected_hashes() == hashes
    assert backup_world.files_match()
    assert security.verify() == []
    assert backup_world.chain_head() == head

    # Into an empty database: no --force needed.
    call_command("flush", interactive=False, verbosity=0)
    assert Notice.objects.count() == 0
    out = _run("restore", str(tmp_path / "b"))
    assert "restore complete: 3 notices" in out
    assert backup_world.expected_hashes() == hashes and backup_world.files_match()
    assert security.verify() == [] and backup_world.chain_head() == head
    # The restored log goes on chaining.
    security.record(kind="login", username="after_restore")
    assert security.verify() == []

    # The checks after the restore compare with the manifest: a notice the manifest
    # describes differently is reported by number (exit 1).
    manifest["notices"][0]["sha256"] = "0" * 64
    (tmp_path / "b" / "manifest.json").write_text(json.dumps(manifest))
    err = io.StringIO()
    with pytest.raises(CommandError, match="check\\(s\\) failed"):
        call_command("restore", str(tmp_path / "b"), "--force", stdout=io.StringIO(), stderr=err)
    number = manifest["notices"][0]["number"]
    assert f"notice {number}: sha256 differs from the manifest" in err.getvalue()


def test_a_tampered_backup_is_refused_naming_the_file(nanjing, tmp_path):
    notices = backup_world.seed(nanjing)
    _run("backup", "--out", str(tmp_path / "b"))
    pdf = tmp_path / "b" / "media" / notices[2].pdf.name
    pdf.write_bytes(pdf.read_bytes() + b"%")
    call_command("flush", interactive=False, verbosity=0)
    with pytest.raises(CommandError) as err:
        _run("restore", str(tmp_path / "b"))
    assert f"media/{notices[2].pdf.name}: changed since the backup was made" in str(err.value)
    assert "nothing was restored" in str(err.value)
    assert Notice.objects.count() == 0  # nothing written

    pdf.unlink()
    (tmp_path / "b" / "media" / "planted.html").write_text("<script>")
    with pytest.raises(CommandError) as err:
        _run("restore", str(tmp_path / "b"), "--force")
    assert f"media/{notices[2].pdf.name}: missing from the backup" in str(err.value)
    assert "media/planted.html: not listed in the manifest" in str(err.value)
    assert Notice.objects.count() == 0

    (tmp_path / "b" / "manifest.json").unlink()
    with pytest.raises(CommandError, match="no manifest"):
        _run("restore", str(tmp_path / "b"))


def test_a_backup_refuses_a_folder_that_is_not_empty(nanjing, tmp_path):
    target = tmp_path / "b"
    target.mkdir()
    (target / "old.txt").write_text("x")
    with pytest.raises(CommandError, match="not an empty folder"):
        _run("backup", "--out", str(target))
    assert sorted(p.name for p in target.iterdir()) == ["old.txt"]


def test_a_failed_backup_leaves_no_manifest(nanjing, tmp_path, monkeypatch):
    from config import backup

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(backup, "_copy_hashing", broken)
    (Path(backup.settings.MEDIA_ROOT) / "x").mkdir(parents=True)
    (Path(backup.settings.MEDIA_ROOT) / "x" / "f.pdf").write_bytes(b"%PDF")
    with pytest.raises(OSError, match="disk full"):
        _run("backup", "--out", str(tmp_path / "b"))
    assert not (tmp_path / "b").exists()

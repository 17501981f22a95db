"""backup --out DIR: database dump, a copy of MEDIA_ROOT and a manifest (config.backup)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from config.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the database (PostgreSQL: pg_dump custom format; SQLite: the online backup"
        " API), MEDIA_ROOT and a manifest.json (migration heads, every file's SHA-256, every"
        " notice's SHA-256/SM3, the security log's chain head) into DIR, which must be absent"
        " or empty. The manifest is written last: a folder without it is no backup."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", required=True, help="an absent or empty folder")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = backup(options["out"], log=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        for line in result.warnings:
            self.stderr.write(f"warning: {line}")
        self.stdout.write(
            f"backup written to {result.out}: {result.files} files, {result.notices} notices,"
            f" security log {result.chain_rows} rows; manifest SHA-256 {result.manifest_sha256}"
            " (keep it with your backup log)"
        )

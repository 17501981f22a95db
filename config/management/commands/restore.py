"""restore DIR: check a backup against its manifest, restore database and media, re-check."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from config.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `backup`. Every file is checked against manifest.json first"
        " (a missing or changed file is named and nothing is written); a database that already"
        " has data is refused unless --force. After the restore every notice's file is hashed"
        " again and the security log's chain verified (exit 1 when anything differs)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("folder", help="a folder written by `backup --out`")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database that already has data (everything in it is lost)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = restore(options["folder"], force=options["force"], log=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc), returncode=1) from exc
        if result.migrated:
            self.stdout.write("applied this version's newer migrations after the restore")
        for line in result.problems:
            self.stderr.write(line)
        summary = f"{result.notices} notices, {result.files} files, security log {result.chain_rows} rows"
        if result.problems:
            raise CommandError(
                f"restored, but {len(result.problems)} check(s) failed ({summary})", returncode=1
            )
        self.stdout.write(
            f"restore complete: {summary}; every notice hash matches the manifest and the"
            " security log chain is intact"
        )

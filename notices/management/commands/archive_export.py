"""Build the transfer package (移交包) of a unit's filed notices of one year (docs/archive.md).
With --file, file the year's unfiled notices first (as a superuser-equivalent system run)."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from lifecycle.management.base import GovCommand
from lifecycle.models import Unit
from notices import archive


class Command(GovCommand):
    help = "Write the transfer package of --unit's filed notices of --year into --out."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--unit", required=True, help="unit code")
        parser.add_argument("--out", required=True, help="an empty or new folder")
        parser.add_argument("--file", action="store_true",
                            help="file the year's unfiled notices first (system run)")

    def handle(self, *args, **options) -> None:
        unit = Unit.objects.filter(code=options["unit"]).first()
        if unit is None:
            raise CommandError(f"unit: no unit with code {options['unit']!r}")
        out = Path(options["out"])
        if out.exists() and any(out.iterdir()):
            raise CommandError(f"out: {out} is not empty")
        if options["file"]:
            filed = archive.file_year_system(unit=unit, year=options["year"])
            self.stdout.write(f"filed {len(filed)} notice(s)")
        try:
            manifest = archive.export_package(unit=unit, year=options["year"], out=out)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"{len(manifest['items'])} item(s), {len(manifest['files'])} file(s) "
                          f"→ {out}")

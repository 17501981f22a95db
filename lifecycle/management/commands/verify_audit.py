"""verify_audit: recompute the security log's hash chain (lifecycle.security.verify).

Exit 0 and the number of rows when intact; exit 1 listing every broken row otherwise (an
edited row, a deleted or inserted one)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from lifecycle import security
from lifecycle.models import SecurityEvent


class Command(BaseCommand):
    help = "Verify the hash chain of the security log (edited or deleted rows)."

    def handle(self, *args, **options):
        problems = security.verify()
        if problems:
            for line in problems:
                self.stderr.write(line)
            raise CommandError(f"security log: {len(problems)} problem(s)", returncode=1)
        last = SecurityEvent.objects.order_by("-pk").values_list("hash", flat=True).first()
        self.stdout.write(
            f"security log intact: {SecurityEvent.objects.count()} rows, last hash {last or '-'}")

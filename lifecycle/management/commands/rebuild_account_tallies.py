"""rebuild_account_tallies: recompute the dashboard's account tallies (lifecycle.tallies)
from the accounts; with --check only compare them and exit 1 when they differ.

The tallies are kept by database triggers on every write, so this is for repairs (a
restore of the accounts table alone, triggers dropped by hand) and for checking."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from lifecycle import tallies


class Command(BaseCommand):
    help = "Rebuild (or --check) the account tallies the dashboard reads."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true",
                            help="compare with a fresh aggregate of the accounts, write nothing")

    def handle(self, *args, check: bool = False, **options):
        if not check:
            tallies.rebuild()
        stored, fresh = tallies.stored(), tallies.fresh()
        wrong = [k for k in set(stored[0]) | set(fresh[0]) if stored[0][k] != fresh[0][k]]
        wrong_days = [k for k in set(stored[1]) | set(fresh[1]) if stored[1][k] != fresh[1][k]]
        if wrong or wrong_days:
            raise CommandError(
                f"account tallies differ from the accounts: {len(wrong)} count row(s), "
                f"{len(wrong_days)} day row(s); run rebuild_account_tallies", returncode=1)
        self.stdout.write(
            f"account tallies exact: {len(stored[0])} count rows, {len(stored[1])} day rows "
            f"({'checked' if check else 'rebuilt'})")

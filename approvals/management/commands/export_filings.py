"""export_filings --format csv|xlsx --out FILE [--unit CODE] [--state pending|overdue|done|all]
— the accounts' filings with their deadlines, pending and done (issue 14 item 5)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals import filings
from approvals.models import Filing
from lifecycle.management.base import GovCommand
from lifecycle.models import Unit
from lifecycle.tabular import write_table


class Command(GovCommand):
    help = (
        "Export filings (opening, change, closure, deregistration × provincial platform and"
        " national 报送系统) with columns " + ",".join(filings.EXPORT_COLUMNS) + "; state is"
        " pending, overdue, done (on time) or late (filed after the due date)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("--out", required=True)
        parser.add_argument("--unit", help="only accounts in this unit's subtree")
        parser.add_argument("--state", choices=list(filings.FILING_STATES), default="all")

    def handle(self, *args: Any, **options: Any) -> str:
        unit = None
        if options.get("unit"):
            unit = Unit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(_("未知单位代码：{code}").format(code=options["unit"]))
        today = timezone.localdate()
        # The operator's CLI sees every account (like export_accounts).
        qs = Filing.objects.select_related("account", "account__unit")
        if unit is not None:
            qs = qs.filter(account__unit__path__startswith=unit.path)
        rows = filings.export_rows(filings.in_state(qs, state=options["state"], today=today), today=today)
        write_table(options["out"], filings.EXPORT_COLUMNS, rows, fmt=options["format"])
        return _("已导出 {n} 条备案到 {path}。").format(n=len(rows), path=options["out"])



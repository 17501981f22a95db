"""export_zombies — the zombie and low-reach lists as CSV or XLSX."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from lifecycle.management.base import GovCommand
from lifecycle.tabular import TabularError, write_table
from review.evaluation import LIST_COLUMNS, ReviewError, attention_list_rows
from review.management.commands._review_common import date_arg, unit_arg


class Command(GovCommand):
    help = (
        "Export active/rectifying accounts (in --unit's subtree if given) that are zombies"
        " (no post for more than the rule set's zombie_days, default 90, before --as-of, or"
        " none known) or low-reach (followers and posts per year below the rule set's"
        " low_reach thresholds, default 100 and 12). --only zombie|low_reach limits the list."
        " Columns: " + ",".join(LIST_COLUMNS) + "."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--unit", help="unit code: only accounts in its subtree")
        parser.add_argument("--as-of", help="reference date, YYYY-MM-DD (default today)")
        parser.add_argument("--only", choices=["zombie", "low_reach"])
        parser.add_argument(
            "--format", choices=["csv", "xlsx"], help="default: from the --out file name"
        )
        parser.add_argument("--out", required=True, help="output file")

    def handle(self, *args: Any, **options: Any) -> str:
        as_of = (
            date_arg(options["as_of"], option="--as-of")
            if options["as_of"]
            else timezone.localdate()
        )
        unit = unit_arg(options["unit"])
        out = Path(options["out"])
        fmt = options["format"] or out.suffix.lower().lstrip(".")
        if fmt not in ("csv", "xlsx"):
            raise CommandError(_("请用 --format 指定 csv 或 xlsx。"))
        try:
            rows = attention_list_rows(as_of=as_of, unit=unit, only=options["only"])
            count = write_table(out, LIST_COLUMNS, rows, fmt=fmt)
        except (ReviewError, TabularError) as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(_("无法写入 {out}：{error}").format(out=out, error=exc)) from None
        return _("已导出 {n} 个账号到 {out}").format(n=count, out=out)

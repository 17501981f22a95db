"""import_metrics FILE — monitoring figures from CSV/XLSX (DESIGN §8)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from lifecycle.management.base import GovCommand
from review.management.commands._review_common import strict_import
from review.metrics import METRIC_COLUMNS
from review.services import metrics_import


class Command(GovCommand):
    help = (
        "Import monitoring metrics from a CSV or XLSX file with the columns "
        + ",".join(METRIC_COLUMNS)
        + ". All or nothing: every bad row is listed as 'row N: field: message' (the header"
        " is row 1) and nothing is written (exit 1). Unknown columns, values beyond the"
        " header, unknown accounts, dates other than YYYY-MM-DD (or YYYY/MM/DD), future"
        " dates, counts below 0 or above 2147483647, control characters and bad booleans"
        " (true/false, 1/0, yes/no, 是/否) are rejected. Snapshots are append-only: a row for"
        " an account and as-of date already imported is a correction, stored as a new row"
        " that supersedes the earlier one (kept as history); the account's latest figures"
        " follow the newest snapshot."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="CSV (UTF-8) or XLSX file")

    def handle(self, *args: Any, **options: Any) -> str:
        result = strict_import(options["file"], METRIC_COLUMNS,
                               lambda rows: metrics_import(rows=rows, source="cli"))
        return _(
            "已导入 {rows} 行：新增快照 {created} 条，更新快照 {updated} 条，"
            "更新账号 {accounts} 个。"
        ).format(
            rows=result.rows,
            created=result.created,
            updated=result.updated,
            accounts=result.accounts_updated,
        )

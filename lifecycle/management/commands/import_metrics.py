"""import_metrics FILE — monitoring figures from CSV/XLSX (DESIGN §8)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from lifecycle.bulk import MissingColumns, check_columns
from lifecycle.management.base import GovCommand
from lifecycle.review import METRIC_COLUMNS, MetricsImportError, metrics_import
from lifecycle.tabular import TabularError, read_rows


class Command(GovCommand):
    help = (
        "Import monitoring metrics from a CSV or XLSX file with the columns "
        + ",".join(METRIC_COLUMNS)
        + ". All or nothing: every bad row is listed as 'row N: field: message' (the header"
        " is row 1) and nothing is written (exit 1). Unknown accounts, future dates, negative"
        " counts and bad booleans (true/false, 1/0, yes/no, 是/否) are rejected. One snapshot"
        " per account and as-of date (re-importing replaces it); the account's latest figures"
        " follow the newest snapshot."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="CSV (UTF-8) or XLSX file")

    def handle(self, *args: Any, **options: Any) -> str:
        try:
            rows = read_rows(options["file"])
            check_columns(rows, METRIC_COLUMNS)
        except TabularError as exc:
            raise CommandError(str(exc)) from None
        except MissingColumns as exc:
            raise CommandError(f"{options['file']}: {exc}") from None
        try:
            result = metrics_import(rows=rows)
        except MetricsImportError as exc:
            lines = exc.errors.as_list()
            raise CommandError(
                _("{n} 处错误，未写入任何数据：").format(n=len(lines)) + "\n" + "\n".join(lines)
            ) from None
        return _(
            "已导入 {rows} 行：新增快照 {created} 条，更新快照 {updated} 条，"
            "更新账号 {accounts} 个。"
        ).format(
            rows=result.rows,
            created=result.created,
            updated=result.updated,
            accounts=result.accounts_updated,
        )

"""import_metrics FILE — monitoring figures from CSV/XLSX (DESIGN §8)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from lifecycle.bulk import ImportFailed, MissingColumns, check_columns, shape_errors
from lifecycle.management.base import GovCommand
from lifecycle.tabular import CellError, RowErrors, TabularError, check_text, read_rows
from review.metrics import METRIC_COLUMNS
from review.services import MetricsImportError, metrics_import


class Command(GovCommand):
    help = (
        "Import monitoring metrics from a CSV or XLSX file with the columns "
        + ",".join(METRIC_COLUMNS)
        + ". All or nothing: every bad row is listed as 'row N: field: message' (the header"
        " is row 1) and nothing is written (exit 1). Unknown columns, values beyond the"
        " header, unknown accounts, dates other than YYYY-MM-DD (or YYYY/MM/DD), future"
        " dates, counts below 0 or above 2147483647, control characters and bad booleans"
        " (true/false, 1/0, yes/no, 是/否) are rejected. One snapshot per account and as-of"
        " date (re-importing replaces it); the account's latest figures follow the newest"
        " snapshot."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="CSV (UTF-8) or XLSX file")

    def handle(self, *args: Any, **options: Any) -> str:
        path = options["file"]
        try:
            rows = read_rows(path)
            check_columns(rows, METRIC_COLUMNS)
        except TabularError as exc:
            raise CommandError(str(exc)) from None
        except MissingColumns as exc:
            raise CommandError(f"{path}: {exc}") from None
        except ImportFailed as exc:
            self.fail(exc.errors)
        # What review.services.metrics_import does not check itself: values beyond the
        # header, and control characters in the one free-text column (PostgreSQL refuses a
        # NUL even in a lookup).
        errors = RowErrors()
        bad = shape_errors(rows, errors)
        for n, row in rows:
            try:
                check_text(row.get("platform_id") or "", field="platform_id")
            except CellError as exc:
                errors.add(n, exc.field, exc.message)
                bad.add(n)
        rest = [(n, row) for n, row in rows if n not in bad]
        result = None
        # The remaining rows are still checked so that every bad row is listed; with any
        # error at all, whatever metrics_import wrote is rolled back.
        with transaction.atomic():
            try:
                if rest or not rows:
                    result = metrics_import(rows=rest)
            except MetricsImportError as exc:
                errors.lines.extend(exc.errors.lines)
            if errors:
                transaction.set_rollback(True)
        if errors or result is None:
            self.fail(errors)
        return _(
            "已导入 {rows} 行：新增快照 {created} 条，更新快照 {updated} 条，"
            "更新账号 {accounts} 个。"
        ).format(
            rows=result.rows,
            created=result.created,
            updated=result.updated,
            accounts=result.accounts_updated,
        )

    @staticmethod
    def fail(errors: RowErrors) -> None:
        lines = errors.as_list()
        raise CommandError(
            _("{n} 处错误，未写入任何数据：").format(n=len(lines)) + "\n" + "\n".join(lines)
        ) from None

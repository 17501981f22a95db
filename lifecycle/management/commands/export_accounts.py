from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from lifecycle.bulk import EXPORT_COLUMNS, accounts_export_rows, cell_text
from lifecycle.management.base import GovCommand


class Command(GovCommand):
    help = (
        "Write every account as CSV (UTF-8 with BOM, opens in Excel) or XLSX with the "
        "import_accounts columns plus state and successor (the successor account's name): "
        + ",".join(EXPORT_COLUMNS)
        + ". The file can be fed back to import_accounts (extra columns are ignored). "
        "--format defaults to the extension of --out; '--out -' writes CSV to stdout."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--format", choices=["csv", "xlsx"], dest="fmt")
        parser.add_argument("--out", required=True, help="output file, or - for stdout (CSV)")

    def handle(self, *args: Any, **options: Any) -> str:
        out, fmt = options["out"], options["fmt"]
        if fmt is None:
            suffix = Path(out).suffix.lower().lstrip(".")
            if suffix not in ("csv", "xlsx"):
                raise CommandError(_("请用 --format csv|xlsx 指定格式，或使用 .csv/.xlsx 文件名。"))
            fmt = suffix
        if out == "-" and fmt != "csv":
            raise CommandError(_("XLSX 只能写入文件，请用 --out 指定文件名。"))
        rows = accounts_export_rows()
        try:
            count = self.write_csv(out, rows) if fmt == "csv" else self.write_xlsx(out, rows)
        except OSError as exc:
            raise CommandError(_("无法写入 {out}：{error}").format(out=out, error=exc)) from None
        if out == "-":
            self.stderr.write(_("已导出账号 {count} 个。").format(count=count))
            return ""
        return str(_("已导出账号 {count} 个到 {out}。").format(count=count, out=out))

    def write_csv(self, out: str, rows: Any) -> int:
        if out == "-":
            buffer = io.StringIO()
            count = self._csv_rows(csv.writer(buffer), rows)
            self.stdout.write(buffer.getvalue(), ending="")
            return count
        with open(out, "w", encoding="utf-8-sig", newline="") as fh:
            return self._csv_rows(csv.writer(fh), rows)

    @staticmethod
    def _csv_rows(writer: Any, rows: Any) -> int:
        writer.writerow(EXPORT_COLUMNS)
        count = 0
        for row in rows:
            writer.writerow([cell_text(v) for v in row])
            count += 1
        return count

    @staticmethod
    def write_xlsx(out: str, rows: Any) -> int:
        import openpyxl
        from openpyxl.utils import get_column_letter

        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet(str(_("账号")))
        # Widths keep Chinese names readable (write-only sheets take them before any row).
        for i, column in enumerate(EXPORT_COLUMNS, start=1):
            wide = column in ("name", "successor")
            sheet.column_dimensions[get_column_letter(i)].width = 24 if wide else 14
        sheet.append(list(EXPORT_COLUMNS))
        count = 0
        for row in rows:
            sheet.append(row)  # dates become date cells shown as YYYY-MM-DD
            count += 1
        book.save(out)
        return count

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from lifecycle.bulk import EXPORT_COLUMNS, accounts_export_rows
from lifecycle.management.base import GovCommand
from lifecycle.tabular import write_csv, write_table


class Command(GovCommand):
    help = (
        "Write every account as CSV (UTF-8 with BOM, opens in Excel) or XLSX with the "
        "import_accounts columns plus state and successor: "
        + ",".join(EXPORT_COLUMNS)
        + ". successor names the successor account with its platform and platform id, e.g. "
        "'南京食药监（微信公众号 njshiyaojian）'. Text that a spreadsheet would run as a formula "
        "(starting with = + - @) is written as text: an XLSX string cell, and in CSV behind an "
        "apostrophe that import_accounts removes again. The file can be fed back to "
        "import_accounts, which accepts the state and successor columns but only rows whose "
        "state is active. --format defaults to the extension of --out; '--out -' writes CSV "
        "to stdout."
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
            if out == "-":
                buffer = io.StringIO()
                count = write_csv(buffer, EXPORT_COLUMNS, rows)
                self.stdout.write(buffer.getvalue(), ending="")
            else:
                count = write_table(
                    out,
                    EXPORT_COLUMNS,
                    rows,
                    fmt=fmt,
                    sheet_title=str(_("账号")),
                    # Chinese names stay readable.
                    widths={c: 24 if c in ("name", "successor") else 14 for c in EXPORT_COLUMNS},
                )
        except OSError as exc:
            raise CommandError(_("无法写入 {out}：{error}").format(out=out, error=exc)) from None
        if out == "-":
            self.stderr.write(_("已导出账号 {count} 个。").format(count=count))
            return ""
        return str(_("已导出账号 {count} 个到 {out}。").format(count=count, out=out))

"""The shared adapter of the import_* commands: read the file, call lifecycle.bulk, report.

Contract (DESIGN §8): exit 0 with a one-line summary; exit 1 with every bad row on stderr as
`row N: <column>: <message>` and nothing written; never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from lifecycle import tabular
from lifecycle.bulk import ImportFailed, ImportResult, MissingColumns, Rows
from lifecycle.management.base import GovCommand


class ImportCommand(GovCommand):
    columns: tuple[str, ...] = ()
    noun: str = ""

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help=f"CSV (UTF-8) or XLSX; columns: {','.join(self.columns)}")

    def import_rows(self, rows: Rows) -> ImportResult:  # each command names its bulk writer
        raise CommandError(f"{type(self).__name__} does not define import_rows()")

    def handle(self, *args: Any, **options: Any) -> str:
        path = options["file"]
        rows = self.read(path)
        if not rows:
            return str(_("{path}：没有数据行，未导入任何内容。").format(path=path))
        try:
            result = self.import_rows(rows)
        except MissingColumns as exc:
            raise CommandError(f"{path}: {exc}") from None
        except ImportFailed as exc:
            for line in exc.errors.as_list():
                self.stderr.write(line)
            raise CommandError(
                _("{path}：{count} 处错误，未写入任何数据。").format(
                    path=path, count=len(exc.errors)
                )
            ) from None
        for line in result.warning_lines():
            self.stderr.write(line)
        return self.summary(path, result)

    def summary(self, path: str, result: ImportResult) -> str:
        text = _("{path}：新增{noun} {created} 个，更新 {updated} 个").format(
            path=path, noun=self.noun, created=result.created, updated=result.updated
        )
        if result.warnings:
            text += _("，警告 {count} 条").format(count=len(result.warnings))
        return text + "。"

    @staticmethod
    def read(path: str, reader: Callable[[str], Rows] = tabular.read_rows) -> Rows:
        try:
            return reader(path)
        except tabular.TabularError as exc:
            raise CommandError(str(exc)) from None
        except (OSError, ValueError, KeyError, IndexError) as exc:
            # A damaged file can fail deep inside csv/openpyxl; say so instead of a traceback.
            raise CommandError(
                _("无法读取文件 {path}：{error}").format(path=path, error=exc)
            ) from None

"""Reading CSV/XLSX import files and parsing their cells (shared by every import_* command).

Contract (DESIGN §8, CLI): every bad row is reported as ``row N: <field>: message`` where N
is the row number a spreadsheet shows (the header is row 1, the first data row is row 2);
the command then exits 1 and writes nothing. Usage::

    rows = read_rows(path)                      # [(2, {"platform": "weibo", ...}), ...]
    errors = RowErrors()
    for n, row in rows:
        # every bad cell of the row is reported, not just the first:
        followers = errors.parse(n, parse_int, row.get("followers"), field="followers", minimum=0)
        with errors.collect(n):                 # CellError/ValidationError -> "row n: ..."
            services.something(...)
    if errors:
        raise CommandError(errors.format())

Cells are always returned as stripped strings ("" for empty); header names are stripped and
lower-cased. Parsers raise :class:`CellError` (a ``ValueError``) carrying the field name.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

TRUE_WORDS = frozenset({"true", "1", "yes", "y", "是", "t"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", "否", "f"})


class TabularError(Exception):
    """The file itself cannot be read (missing, wrong type, no header)."""


class CellError(ValueError):
    """One bad cell: ``field`` names the column, the message says what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# -- reading ------------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        # XLSX date cells arrive as datetimes; a date-only cell has midnight.
        if value.time() == datetime.time(0, 0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows_from_matrix(matrix: Iterable[Iterable[Any]]) -> list[tuple[int, dict[str, str]]]:
    it: Iterator[Iterable[Any]] = iter(matrix)
    try:
        header_cells = next(it)
    except StopIteration as exc:
        raise TabularError(_("文件为空，缺少表头。")) from exc
    header = [_cell_text(h).lstrip("\ufeff").strip().lower() for h in header_cells]
    if not any(header):
        raise TabularError(_("文件第1行应为表头。"))
    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in enumerate(it, start=2):
        values = [_cell_text(c) for c in cells]
        if not any(values):
            continue  # blank lines are not rows
        row = {
            name: (values[i] if i < len(values) else "") for i, name in enumerate(header) if name
        }
        rows.append((number, row))
    return rows


def read_rows(path: str | Path) -> list[tuple[int, dict[str, str]]]:
    """Rows of a .csv (UTF-8, BOM tolerated) or .xlsx file (first sheet) as
    ``(spreadsheet row number, {header: cell text})``; blank lines are skipped but keep
    their numbers counted."""
    path = Path(path)
    if not path.exists():
        raise TabularError(_("文件不存在：{path}").format(path=path))
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        import openpyxl

        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise TabularError(_("无法读取 XLSX 文件：{error}").format(error=exc)) from exc
        try:
            return _rows_from_matrix(book.worksheets[0].iter_rows(values_only=True))
        finally:
            book.close()
    if suffix in (".csv", ".txt"):
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise TabularError(_("CSV 文件必须为 UTF-8 编码。")) from exc
        return read_csv_text(text)
    raise TabularError(
        _("不支持的文件类型：{suffix}（仅支持 .csv 和 .xlsx）").format(suffix=suffix)
    )


def read_csv_text(text: str) -> list[tuple[int, dict[str, str]]]:
    """Like :func:`read_rows` for CSV text already in memory (uploads)."""
    return _rows_from_matrix(csv.reader(io.StringIO(text)))


def rows_from_dicts(items: Iterable[Mapping[str, Any]]) -> list[tuple[int, dict[str, str]]]:
    """JSON rows (API) in the same shape; numbering as if row 1 were a header, so an API
    client sees the same ``row N`` as for the equivalent spreadsheet."""
    return [
        (i, {str(k).strip().lower(): _cell_text(v) for k, v in (item or {}).items()})
        for i, item in enumerate(items, start=2)
    ]


# -- parsing ------------------------------------------------------------------------------


def parse_bool(value: str | None, *, field: str, default: bool | None = None) -> bool:
    """true/false, 1/0, yes/no, 是/否 (case-insensitive). Blank → ``default`` or an error."""
    text = (value or "").strip().lower()
    if not text:
        if default is None:
            raise CellError(field, _("必填"))
        return default
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellError(
        field,
        _("「{value}」不是有效的是/否值（可用 true/false、1/0、yes/no、是/否）").format(
            value=value
        ),
    )


def parse_date(
    value: str | None,
    *,
    field: str,
    required: bool = False,
    not_after: datetime.date | None = None,
) -> datetime.date | None:
    """ISO ``YYYY-MM-DD`` (also ``YYYY/MM/DD``; a time part from XLSX is ignored)."""
    text = (value or "").strip()
    if not text:
        if required:
            raise CellError(field, _("必填"))
        return None
    text = text.split("T")[0].split(" ")[0].replace("/", "-")
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        parts = text.split("-")
        try:
            day = datetime.date(int(parts[0]), int(parts[1]), int(parts[2]))
        except (ValueError, IndexError) as exc:
            raise CellError(
                field, _("「{value}」不是有效日期（应为 YYYY-MM-DD）").format(value=value)
            ) from exc
    if not_after is not None and day > not_after:
        raise CellError(
            field, _("日期 {day} 晚于 {limit}，不能是将来的日期").format(day=day, limit=not_after)
        )
    return day


def parse_int(
    value: str | None,
    *,
    field: str,
    required: bool = False,
    minimum: int | None = None,
) -> int | None:
    """A whole number ("1,234" and "12.0" accepted). Blank → None unless required."""
    text = (value or "").strip().replace(",", "")
    if not text:
        if required:
            raise CellError(field, _("必填"))
        return None
    try:
        number = int(text)
    except ValueError:
        try:
            as_float = float(text)
        except ValueError as exc:
            raise CellError(field, _("「{value}」不是整数").format(value=value)) from exc
        if not as_float.is_integer():
            raise CellError(field, _("「{value}」不是整数").format(value=value)) from None
        number = int(as_float)
    if minimum is not None and number < minimum:
        raise CellError(
            field, _("不能小于 {minimum}（当前 {value}）").format(minimum=minimum, value=number)
        )
    return number


def parse_choice(value: str | None, *, field: str, choices: Iterable[str]) -> str:
    text = (value or "").strip()
    allowed = list(choices)
    if not text:
        raise CellError(field, _("必填"))
    if text not in allowed:
        raise CellError(
            field,
            _("「{value}」无效，可选值：{choices}").format(value=text, choices=", ".join(allowed)),
        )
    return text


# -- errors -------------------------------------------------------------------------------


class RowErrors:
    """Collects ``row N: field: message`` lines; truthy when anything was collected."""

    def __init__(self) -> None:
        self.lines: list[tuple[int, str, str]] = []

    def add(self, row: int, field: str, message: str) -> None:
        self.lines.append((row, field, str(message)))

    def add_validation_error(self, row: int, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for field, errs in error.message_dict.items():
                for message in errs:
                    self.add(row, field, message)
        else:
            for message in error.messages:
                self.add(row, "-", message)

    @contextlib.contextmanager
    def collect(self, row: int) -> Iterator[None]:
        """Turn a CellError/ValidationError raised inside the block into a line for ``row``."""
        try:
            yield
        except CellError as exc:
            self.add(row, exc.field, exc.message)
        except ValidationError as exc:
            self.add_validation_error(row, exc)

    def parse(self, row: int, parser: Any, value: str | None, **kwargs: Any) -> Any:
        """``parser(value, **kwargs)``, or None with the error recorded — lets a caller
        report every bad cell of a row, not just the first."""
        try:
            return parser(value, **kwargs)
        except CellError as exc:
            self.add(row, exc.field, exc.message)
            return None

    def __bool__(self) -> bool:
        return bool(self.lines)

    def __len__(self) -> int:
        return len(self.lines)

    def as_list(self) -> list[str]:
        return [
            f"row {row}: {field}: {message}"
            for row, field, message in sorted(self.lines, key=lambda line: line[0])
        ]

    def format(self) -> str:
        return "\n".join(self.as_list())


# -- writing (exports) --------------------------------------------------------------------


def _out_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def write_csv(stream: Any, header: list[str], rows: Iterable[Iterable[Any]]) -> None:
    """CSV with the same conventions the importers read (ISO dates, true/false)."""
    writer = csv.writer(stream)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_out_text(v) for v in row])


def write_table(
    path: str | Path, header: list[str], rows: Iterable[Iterable[Any]], *, fmt: str
) -> int:
    """Write ``rows`` to ``path`` as ``csv`` (UTF-8 with BOM, so Excel shows Chinese) or
    ``xlsx``. Returns the number of data rows written."""
    count = 0
    if fmt == "csv":
        with open(path, "w", encoding="utf-8-sig", newline="") as fh:
            materialized = list(rows)
            write_csv(fh, header, materialized)
            return len(materialized)
    if fmt == "xlsx":
        import openpyxl

        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(header)
        for row in rows:
            sheet.append(
                [
                    v
                    if isinstance(v, (int, float, datetime.date)) and not isinstance(v, bool)
                    else _out_text(v)
                    for v in row
                ]
            )
            count += 1
        book.save(path)
        return count
    raise TabularError(_("不支持的导出格式：{fmt}（仅支持 csv 和 xlsx）").format(fmt=fmt))

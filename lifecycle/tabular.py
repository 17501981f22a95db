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
A file read by :func:`read_rows` is a :class:`Table` (its ``header`` as written) of
:class:`Row` dicts whose ``extra`` lists values found beyond the header, so an importer can
refuse both (lifecycle.bulk.check_columns, lifecycle.bulk.shape_errors).

Exports (:func:`write_csv`, :func:`write_table`) are the one place that turns values into
cells: every export (export_accounts, export_zombies, review --format csv, the web lists)
goes through :func:`export_cell`, which neutralises spreadsheet formulas and drops
characters a spreadsheet cannot hold.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

TRUE_WORDS = frozenset({"true", "1", "yes", "y", "是", "t"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", "否", "f"})

# The largest count a followers/posts_total column holds: PositiveIntegerField is a 32-bit
# integer on PostgreSQL (lifecycle.models.Account, MetricSnapshot). parse_int refuses more,
# so the row serializers, import_metrics and POST /api/metrics/ report a field error
# instead of an OverflowError from the database driver.
MAX_COUNT = 2_147_483_647

# C0 control characters other than tab, line feed and carriage return: PostgreSQL refuses
# NUL in text, and openpyxl refuses all of them (lifecycle.serializers.TextField and
# check_text refuse them on import; export_cell drops them on export).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

# Dates in import files and API rows: YYYY-MM-DD, or YYYY/MM/DD as spreadsheets write it
# (one- or two-digit month and day), optionally followed by the time part of an XLSX date
# cell. Compact (20261125), ISO week (2026-W52-1) or ordinal dates are refused.
DATE_RE = re.compile(
    r"(?P<y>\d{4})(?P<sep>[-/])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
INTEGER_RE = re.compile(r"[+-]?\d+")

# Text cells starting with one of these are formulas (or become one) in Excel, LibreOffice
# and Google Sheets; exports prefix them with an apostrophe (OWASP "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


class TabularError(Exception):
    """The file itself cannot be read (missing, wrong type, no header)."""


class CellError(ValueError):
    """One bad cell: ``field`` names the column, the message says what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class Row(dict):
    """One data row, ``{header: cell text}``. ``extra`` holds ``(column number, value)`` of
    values with no header above them (a shifted or over-long row)."""

    extra: tuple[tuple[int, str], ...] = ()


class Table(list):
    """The rows of one file as ``[(spreadsheet row number, Row), ...]``; ``header`` is the
    first row as written (stripped, lower-cased), duplicates and blanks included."""

    header: list[str]

    def __init__(self, rows: Iterable[tuple[int, Row]] = (), header: list[str] | None = None):
        super().__init__(rows)
        self.header = header or []


def check_text(value: str, *, field: str) -> str:
    """``value`` unchanged, or CellError when it holds a control character (NUL, U+0001 …;
    tab and line breaks are allowed)."""
    bad = CONTROL_CHARACTERS.search(value)
    if bad:
        raise CellError(
            field,
            _("含有不可见的控制字符 U+{code:04X}，请删除后再导入。").format(code=ord(bad.group())),
        )
    return value


def _unquote(text: str) -> str:
    """Undo the export's formula neutralisation: ``'=SUM(A1)`` read back is ``=SUM(A1)``."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_TRIGGERS:
        return text[1:]
    return text


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


def _rows_from_matrix(matrix: Iterable[Iterable[Any]]) -> Table:
    it: Iterator[Iterable[Any]] = iter(matrix)
    try:
        header_cells = next(it)
    except StopIteration as exc:
        raise TabularError(_("文件为空，缺少表头。")) from exc
    header = [_cell_text(h).lstrip("\ufeff").strip().lower() for h in header_cells]
    # XLSX sheets often carry empty cells right of the last column: not part of the header.
    while header and not header[-1]:
        header.pop()
    if not any(header):
        raise TabularError(_("文件第1行应为表头。"))
    rows = Table(header=header)
    for number, cells in enumerate(it, start=2):
        values = [_unquote(_cell_text(c)) for c in cells]
        if not any(values):
            continue  # blank lines are not rows
        row = Row(
            (name, values[i] if i < len(values) else "") for i, name in enumerate(header) if name
        )
        extra = tuple(
            (i + 1, value)
            for i, value in enumerate(values)
            if value and (i >= len(header) or not header[i])
        )
        if extra:
            row.extra = extra
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


def read_csv_text(text: str) -> Table:
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
    """``YYYY-MM-DD``, or ``YYYY/MM/DD`` as spreadsheets write it (DATE_RE); the time part of
    an XLSX date cell is ignored. Other forms (20261125, 2026-W52-1) are refused."""
    text = (value or "").strip()
    if not text:
        if required:
            raise CellError(field, _("必填"))
        return None
    match = DATE_RE.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)
        day = datetime.date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError as exc:
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
    maximum: int | None = MAX_COUNT,
) -> int | None:
    """A whole number ("1,234" and "12.0" accepted) between ``minimum`` and ``maximum``
    (default MAX_COUNT, what the database column holds). Blank → None unless required."""
    text = (value or "").strip().replace(",", "")
    if not text:
        if required:
            raise CellError(field, _("必填"))
        return None
    shown = _shorten(text)
    not_integer = CellError(field, _("「{value}」不是整数").format(value=shown))
    too_small = CellError(
        field, _("不能小于 {minimum}（当前 {value}）").format(minimum=minimum, value=shown)
    )
    too_large = CellError(
        field, _("数值过大：不能大于 {maximum}（当前 {value}）").format(maximum=maximum, value=shown)
    )
    if INTEGER_RE.fullmatch(text):
        if len(text.lstrip("+-").lstrip("0")) > 18:
            # Far outside any column: refuse without converting thousands of digits.
            if text.startswith("-") and minimum is not None:
                raise too_small
            if not text.startswith("-") and maximum is not None:
                raise too_large
        try:
            number = int(text)
        except ValueError as exc:  # more digits than Python converts
            raise not_integer from exc
    else:
        try:
            as_float = float(text)  # "12.0", "1e3" from a spreadsheet; "1e308" too
        except ValueError as exc:
            raise not_integer from exc
        if math.isnan(as_float):
            raise not_integer
        if maximum is not None and as_float > maximum:
            raise too_large
        if minimum is not None and as_float < minimum:
            raise too_small
        if not as_float.is_integer():
            raise not_integer
        number = int(as_float)
    if minimum is not None and number < minimum:
        raise too_small
    if maximum is not None and number > maximum:
        raise too_large
    return number


def _shorten(text: str, limit: int = 30) -> str:
    """A cell quoted in a message: a 300-digit number is cut, not printed whole."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


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


def export_text(value: Any) -> str:
    """A text cell as exports write it: characters a spreadsheet cannot hold (C0 controls
    but tab and line breaks) dropped, and a leading formula trigger (= + - @ tab CR)
    neutralised with an apostrophe, so a name like ``=cmd|' /C calc'!A0`` stays text in
    Excel, LibreOffice and Google Sheets (OWASP "CSV Injection"). Importers undo the
    apostrophe (_unquote), so an export imports again unchanged."""
    text = CONTROL_CHARACTERS.sub("", value)
    if text.startswith(FORMULA_TRIGGERS):
        text = "'" + text
    return text


def _plain_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _out_text(value: Any) -> str:
    """A CSV cell: numbers, dates and booleans as the importers read them, text through
    export_text."""
    if isinstance(value, (int, float, datetime.date)) or value is None:
        return _plain_text(value)
    return export_text(str(value))


def write_csv(stream: Any, header: Iterable[str], rows: Iterable[Iterable[Any]]) -> int:
    """CSV with the same conventions the importers read (ISO dates, true/false); text goes
    through export_text. Returns the number of data rows written."""
    writer = csv.writer(stream)
    writer.writerow([_out_text(h) for h in header])
    count = 0
    for row in rows:
        writer.writerow([_out_text(v) for v in row])
        count += 1
    return count


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    """Numbers and dates stay typed cells; anything else becomes a string cell, never a
    formula (openpyxl would store text starting with "=" as one). No apostrophe here: the
    cell type protects XLSX, and Excel would show the apostrophe."""
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, (int, float, datetime.date)) and not isinstance(value, bool):
        return value
    cell = WriteOnlyCell(sheet)
    cell.value = "" if value is None else CONTROL_CHARACTERS.sub("", _plain_text(value))
    cell.data_type = "s"
    return cell


def write_table(
    path: str | Path,
    header: Iterable[str],
    rows: Iterable[Iterable[Any]],
    *,
    fmt: str,
    sheet_title: str | None = None,
    widths: Mapping[str, float] | None = None,
) -> int:
    """Write ``rows`` to ``path`` as ``csv`` (UTF-8 with BOM, so Excel shows Chinese) or
    ``xlsx`` (``sheet_title``; ``widths`` by column name). Returns the number of data rows
    written."""
    header = list(header)
    if fmt == "csv":
        with open(path, "w", encoding="utf-8-sig", newline="") as fh:
            return write_csv(fh, header, rows)
    if fmt == "xlsx":
        import openpyxl
        from openpyxl.utils import get_column_letter

        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet(sheet_title)
        # Write-only sheets take column widths before any row.
        for i, column in enumerate(header, start=1):
            if widths and column in widths:
                sheet.column_dimensions[get_column_letter(i)].width = widths[column]
        sheet.append([_xlsx_cell(sheet, h) for h in header])
        count = 0
        for row in rows:
            sheet.append([_xlsx_cell(sheet, v) for v in row])
            count += 1
        book.save(path)
        return count
    raise TabularError(_("不支持的导出格式：{fmt}（仅支持 csv 和 xlsx）").format(fmt=fmt))

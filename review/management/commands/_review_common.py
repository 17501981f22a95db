"""Helpers shared by the review commands (review, import_metrics, import_posts,
export_zombies): arguments, and the all-or-nothing file import."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, NoReturn

from django.core.management.base import CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from lifecycle.bulk import ImportFailed, MissingColumns, check_columns, shape_errors
from lifecycle.models import Unit
from lifecycle.tabular import CellError, RowErrors, TabularError, check_text, read_rows
from review.metrics import MetricsImportError


def date_arg(value: str, *, option: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("{option} 应为 YYYY-MM-DD 格式的日期（当前：{value}）").format(
                option=option, value=value
            )
        ) from None


def unit_arg(code: str | None) -> Unit | None:
    if not code:
        return None
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise CommandError(_("未知单位代码：{code}").format(code=code))
    return unit


def strict_import(path: str, columns: tuple[str, ...], importer: Callable[[list], Any]) -> Any:
    """Read a CSV/XLSX file and run ``importer(rows)`` all or nothing (import_metrics,
    import_posts): unknown or missing columns, values beyond the header and control
    characters in platform_id are reported with the importer's own row errors, and with any
    error whatever the importer wrote is rolled back. Raises CommandError listing every
    bad row; returns the importer's result."""
    try:
        rows = read_rows(path)
        check_columns(rows, columns)
    except TabularError as exc:
        raise CommandError(str(exc)) from None
    except MissingColumns as exc:
        raise CommandError(f"{path}: {exc}") from None
    except ImportFailed as exc:
        fail(exc.errors)
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
    # The remaining rows are still checked so that every bad row is listed; with any error
    # at all, whatever the importer wrote is rolled back.
    with transaction.atomic():
        try:
            if rest or not rows:
                result = importer(rest)
        except MetricsImportError as exc:
            errors.lines.extend(exc.errors.lines)
        if errors:
            transaction.set_rollback(True)
    if errors or result is None:
        fail(errors)
    return result


def fail(errors: RowErrors) -> NoReturn:
    lines = errors.as_list()
    raise CommandError(
        _("{n} 处错误，未写入任何数据：").format(n=len(lines)) + "\n" + "\n".join(lines)
    ) from None

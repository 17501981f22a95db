"""Helpers for the import/export command tests: temp CSV/XLSX files and a command runner."""

from __future__ import annotations

import csv
from io import StringIO
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import openpyxl
from django.core.management import call_command
from django.core.management.base import CommandError


def write_csv(path: Path, header: list[str] | str, rows: list[list[Any]]) -> Path:
    if isinstance(header, str):
        header = header.split(",")
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, header: list[str] | str, rows: list[list[Any]]) -> Path:
    if isinstance(header, str):
        header = header.split(",")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def run(*args: Any, **options: Any) -> SimpleNamespace:
    """call_command with captured output: .out, .err, .code (0, or the CommandError's)."""
    out, err = StringIO(), StringIO()
    code = 0
    try:
        call_command(*args, stdout=out, stderr=err, **options)
    except CommandError as exc:
        code = exc.returncode
        err.write(f"CommandError: {exc}\n")
    return SimpleNamespace(
        out=out.getvalue(),
        err=err.getvalue(),
        code=code,
        err_lines=[line for line in err.getvalue().splitlines() if line.startswith("row ")],
    )

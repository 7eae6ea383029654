"""Spreadsheet cells from user text: always text, never a formula (formula injection).

One place for the rule, used by every workbook and CSV the app writes: the Tổng quan workbook,
the work-item export and template, the rounds CSV.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from openpyxl.cell import Cell

# A spreadsheet reads a CSV field starting with one of these as a formula (OWASP's list).
_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def xlsx_value(ws, value):
    """A value for ws.append: text becomes a string-typed cell (openpyxl makes "=…" a formula, "#N/A" an error).

    The text is stored unchanged, so an export read back by the import gives the same text.
    """
    if not isinstance(value, str):
        return value
    return xlsx_put(Cell(ws, column=1, row=1), value)


def xlsx_put(cell: Cell, value) -> Cell:
    """Set a cell's value; text stays text (the one place the string type is forced)."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def xlsx_row(ws, values: Iterable) -> list:
    """Every value of a row through xlsx_value."""
    return [xlsx_value(ws, v) for v in values]


def csv_text(value):
    """A CSV field a spreadsheet shows as text: a leading ' before = + - @ tab or CR."""
    if isinstance(value, str) and value.startswith(_CSV_FORMULA_START):
        return "'" + value
    return value


def csv_bytes(header: list[str], rows: Iterable[Iterable]) -> bytes:
    """UTF-8 CSV with a BOM (Excel reads Vietnamese right), every field through csv_text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_text(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else csv_text(v) for v in row])
    return out.getvalue().encode("utf-8-sig")

"""CSV and XLSX writers for the lists (rows.py), the open data and the monthly report.

CSV: UTF-8 with a BOM (so Japanese Excel opens it as UTF-8), CRLF line ends, one line generated at a time from an
iterator of rows (constant memory; the caller streams the lines). A text cell that starts with = + - @ or a tab or
carriage return is prefixed with an apostrophe, so a spreadsheet shows it as text instead of running it as a
formula (OWASP "CSV injection"). Numbers stay numbers.

XLSX: XlsxWriter in constant_memory mode (each row is flushed to a temporary file once written) with
strings_to_formulas, strings_to_numbers and strings_to_urls off, and every text cell written with write_string:
no cell ever becomes a formula, "=1+1" stays the text "=1+1".
"""
from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

import xlsxwriter

from web.models import User
from web.services.progress import opendata, rows
from web.services.progress.scope import JST, ProgressFilters

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
WORKBOOK_OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                    "strings_to_urls": False}
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def cell_text(value: Any) -> str:
    """A value as export text: datetimes in Japan time (YYYY-MM-DD HH:MM), dates ISO, None empty."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = value.astimezone(JST) if value.tzinfo else value
        return local.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def neutralise(text: str) -> str:
    """Prefix a cell that a spreadsheet would read as a formula with an apostrophe."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return cell_text(value)  # a negative number is a number, not a formula
    return neutralise(cell_text(value))


class _Line:
    """A file-like object whose write returns the line, so csv.writer produces one string per row."""

    def write(self, text: str) -> str:
        return text


def csv_lines(headings: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV as lines: the BOM and headings first, then one line per row, as the rows arrive."""
    writer = csv.writer(_Line())  # type: ignore[arg-type]
    yield BOM + writer.writerow([neutralise(h) for h in headings])
    for row in rows:
        yield writer.writerow([_csv_value(value) for value in row])


@dataclass(frozen=True)
class Sheet:
    """One worksheet: its name (≤ 31 characters), headings and rows (any iterable: written as it is read)."""

    name: str
    headings: Sequence[str]
    rows: Iterable[Sequence[Any]]
    title: str | None = None


def _write_cell(sheet: Any, row: int, col: int, value: Any) -> None:
    if isinstance(value, bool):
        sheet.write_string(row, col, "はい" if value else "いいえ")
    elif isinstance(value, (int, float)):
        sheet.write_number(row, col, value)
    elif value is not None:
        sheet.write_string(row, col, cell_text(value))


def xlsx_file(sheets: Sequence[Sheet]) -> IO[bytes]:
    """Write the sheets to a temporary file (constant memory) and return it, rewound, for send_file."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (send_file closes it)
    workbook = xlsxwriter.Workbook(handle, WORKBOOK_OPTIONS)
    bold = workbook.add_format({"bold": True})
    for spec in sheets:
        sheet = workbook.add_worksheet(spec.name[:31])
        line = 0
        if spec.title:
            sheet.write_string(0, 0, spec.title, bold)
            line = 2
        for col, heading in enumerate(spec.headings):
            sheet.write_string(line, col, heading, bold)
        for values in spec.rows:
            line += 1
            for col, value in enumerate(values):
                _write_cell(sheet, line, col, value)
    workbook.close()
    handle.seek(0)
    return handle


@dataclass(frozen=True)
class Table:
    """What an export writes: a title, a file name (ASCII), headings and the rows (an iterator, read once)."""

    title: str
    filename: str
    headings: Sequence[str]
    rows: Iterable[Sequence[Any]]


#: The kinds an export may name: every list, and the open data.
EXPORT_KINDS = (*rows.KINDS, "opendata")


def export_table(kind: str, user: User, filters: ProgressFilters, args: Mapping[str, str], *,
                 now: datetime | None = None) -> Table:
    """The rows of a list (with its narrowing arguments) or the open data, for the filters; the query runs here,
    the rows are fetched as the caller reads them. Unknown kind or out of scope: NotFound; bad args: InvalidInput."""
    filename = f"{kind}_{filters.prefecture_code}_{filters.fiscal_year}"
    if kind == "opendata":
        return Table("オープンデータ（支援と成果）", filename, opendata.HEADINGS,
                     (row.as_row() for row in opendata.opendata_rows(user, filters)))
    narrowing = rows.parse_narrowing(kind, args)
    return Table(rows.get_kind(kind).title, filename, rows.headings(kind),
                 rows.iter_rows(kind, user, filters, narrowing, now=now))

"""The analytics pages' tables as shown, and as CSV or XLSX files with the same numbers.

A page builds each `Table` once; the template renders it and an export writes it, so a file never disagrees with
the screen. A number the network did not report is an empty cell in a file (never 0) and "—" on the page.
"""

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _

FILE_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def shown(value: Any) -> Any:
    """A value as the pages show it: fractions to two decimals (a whole one without ".0"), the rest as they are."""
    if isinstance(value, float):
        value = round(value, 2)
        return int(value) if value.is_integer() else value
    return value


@dataclass(frozen=True)
class Cell:
    """One shown value; `figure` (Figure.as_dict()) answers "how is this computed", `missing` says why it is —,
    `link` is a page (URL name, id) the value leads to; a `signed` change shows "+" when it grew, as the PDF report
    does, while its file keeps the bare number."""

    value: Any
    figure: dict | None = None
    missing: str = ""
    suffix: str = ""
    link: tuple[str, int] | None = None
    signed: bool = False

    @property
    def number(self) -> Any:
        return shown(self.value)

    @property
    def sign(self) -> str:
        return "+" if self.signed and self.value > 0 else ""


def cell(value: Any, figure: dict | None = None, missing: str = "", suffix: str = "") -> Cell:
    return Cell(value, figure, missing or (_("not reported") if value is None else ""), suffix)


def change_cell(value: float | None, missing: str, suffix: str) -> Cell:
    return Cell(value, missing=missing if value is None else "", suffix=suffix, signed=True)


@dataclass
class Table:
    name: str  # the export's id on the page (?table=name)
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)

    def plain_rows(self) -> list[list[Any]]:
        return [[c.number if isinstance(c, Cell) else c for c in row] for row in self.rows]


def export(tables: list[Table], name: str, file_type: str, filename: str) -> HttpResponse:
    """The table called `name` as a CSV or XLSX download."""
    table = next((t for t in tables if t.name == name), None)
    if table is None or file_type not in FILE_TYPES:
        raise Http404(_("No such table to export."))
    writer = _csv if file_type == "csv" else _xlsx
    response = HttpResponse(writer(table), content_type=FILE_TYPES[file_type])
    response["Content-Disposition"] = f'attachment; filename="{filename}-{table.name}.{file_type}"'
    return response


FORMULA_START = ("=", "+", "-", "@")


def _text_safe(value: Any) -> Any:
    """Text from the internet (a channel name, a rubric) that a spreadsheet would run as a formula is quoted."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_START) else value


def _csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.columns)
    writer.writerows([["" if v is None else _text_safe(v) for v in row] for row in table.plain_rows()])
    return out.getvalue().encode("utf-8-sig")  # the BOM lets spreadsheet programs read UTF-8


def _xlsx(table: Table) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "".join(c for c in table.title if c not in "[]:*?/\\")[:31]  # what Excel takes as a sheet name
    sheet.append(table.columns)
    for row in table.plain_rows():
        sheet.append([_text_safe(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

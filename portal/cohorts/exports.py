"""The HR export's files: an Excel workbook (openpyxl) and a CSV that Excel opens in Chinese.

Both take headers and rows already in the reader's language, and write every text cell
through `rules.safe_cell`, so a name like "=HYPERLINK(…)" stays text in either format.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from portal.cohorts.rules import safe_cell

Value = str | float | int | None
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


def to_xlsx(*, title: str, headers: Sequence[str], rows: Sequence[Sequence[Value]]) -> bytes:
    """One sheet: a bold header row, frozen, then one row per trainee."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _sheet_title(title)
    sheet.append([safe_cell(h) for h in headers])
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in sheet.iter_rows(min_row=1):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = TYPE_STRING  # never a formula, whatever it starts with
    for i, header in enumerate(headers, 1):
        sheet.column_dimensions[get_column_letter(i)].width = max(10, min(40, 2 * len(header) + 2))
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(*, headers: Sequence[str], rows: Sequence[Sequence[Value]]) -> bytes:
    """UTF-8 with a byte-order mark (Excel reads Chinese correctly), CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in headers])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _sheet_title(title: str) -> str:
    cleaned = "".join(c for c in title if c not in "[]:*?/\\").strip("'")
    return (cleaned or "Sheet")[:31]

"""The HR files themselves: the workbook opened with openpyxl, the CSV parsed back."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from portal.cohorts import exports
from tests.cohorts.cohort_fixtures import INJECTIONS

HEADERS = ["姓名", "工号", "基础知识阶段考核 成绩", "是否通过"]
ROWS: list[list[exports.Value]] = [["林小雨", "D001", 92.5, "通过"], ["王珊", "D002", None, ""]]


def test_the_workbook_has_chinese_headers_and_typed_values() -> None:
    book = load_workbook(io.BytesIO(exports.to_xlsx(title="2026年11月第4期", headers=HEADERS,
                                                    rows=ROWS)))
    sheet = book.active
    assert sheet is not None and sheet.title == "2026年11月第4期"
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values == [HEADERS, ["林小雨", "D001", 92.5, "通过"], ["王珊", "D002", None, None]]
    assert sheet["C2"].data_type == "n" and sheet["A1"].font.bold
    assert sheet.freeze_panes == "A2"


@pytest.mark.parametrize(("text", "written"), list(INJECTIONS.items()))
def test_a_formula_in_any_cell_stays_text_in_the_workbook(text: str, written: str) -> None:
    data = exports.to_xlsx(title="批次", headers=[text, "工号"], rows=[[text, "D001"]])
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    for cell in (sheet["A1"], sheet["A2"]):
        # (XML reads a carriage return back as a line feed; the apostrophe is what matters.)
        assert cell.value == written.replace("\r", "\n") and cell.data_type == "s"
    # openpyxl keeps what a formula would be in the sheet XML's <f> elements: there are none.
    assert b"<f>" not in _sheet_xml(data)


def _sheet_xml(data: bytes) -> bytes:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("xl/worksheets/sheet1.xml")


def test_the_csv_starts_with_a_bom_and_reads_back_the_same_rows() -> None:
    data = exports.to_csv(headers=HEADERS, rows=ROWS)
    assert data.startswith("\ufeff".encode()) and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [HEADERS, ["林小雨", "D001", "92.5", "通过"], ["王珊", "D002", "", ""]]


@pytest.mark.parametrize(("text", "written"), list(INJECTIONS.items()))
def test_a_formula_in_any_cell_stays_text_in_the_csv(text: str, written: str) -> None:
    data = exports.to_csv(headers=[text], rows=[[text, "备注,含逗号"]])
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows == [[written], [written, "备注,含逗号"]]


def test_a_sheet_title_drops_what_excel_refuses_and_stays_short() -> None:
    data = exports.to_xlsx(title="[批次]:第4期/夜班?*" + "长" * 40, headers=["姓名"], rows=[])
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None and sheet.title.startswith("批次第4期夜班") and len(sheet.title) == 31

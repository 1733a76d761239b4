"""Pure rules for bulk-creating a cohort's trainees from a CSV file (no Flask, no database)."""
from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date

from portal.auth.rules import employee_no_problem, normalize_employee_no, password_problem
from portal.messages import N_, Message, msg

MAX_ROWS = 500
MAX_FILE_BYTES = 512 * 1024  # 500 rows fit in a few dozen KB; anything this big is a wrong file
DISPLAY_NAME_MAX_LENGTH = 80  # the user table's column size

# Column key -> the header names accepted for it (Chinese as Excel users type it, or English).
COLUMNS: dict[str, tuple[str, ...]] = {
    "employee_no": ("工号", "employee_no"),
    "display_name": ("姓名", "display_name"),
    "hire_date": ("入职日期", "hire_date"),
    "password": ("初始密码", "password"),
}
REQUIRED_COLUMNS = ("employee_no", "display_name")

_HEADER_NAMES = {name.casefold(): key for key, names in COLUMNS.items() for name in names}
# Excel in China turns 2026-11-23 into 2026/11/23 when it saves a CSV: accept both.
_DATE_RE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")
# Letters and digits that cannot be mistaken for each other when read aloud or handwritten.
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class CellError:
    """A problem in one row: `column` is a key of COLUMNS, or None for the row as a whole."""

    column: str | None
    message: Message


@dataclass(frozen=True)
class TraineeRow:
    number: int  # the row number a spreadsheet shows: the header is row 1
    employee_no: str
    display_name: str
    hire_date: date | None
    hire_date_text: str
    password: str  # "" means: generate a temporary password at import time
    errors: tuple[CellError, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class TraineeImport:
    """What a file would import: every row with its errors, and problems of the file itself."""

    text: str  # the decoded file, carried to the confirmation step
    rows: tuple[TraineeRow, ...] = ()
    problems: tuple[Message, ...] = ()
    encoding: str | None = None
    data_rows: int = 0  # rows with data, including any beyond MAX_ROWS (not kept)

    @property
    def valid(self) -> bool:
        return not self.problems and bool(self.rows) and all(row.ok for row in self.rows)

    @property
    def rows_with_errors(self) -> int:
        return sum(1 for row in self.rows if not row.ok)


def read_trainee_file(raw: bytes, *, existing_employee_nos: AbstractSet[str]) -> TraineeImport:
    """Check an uploaded file's size and encoding, then its rows (see parse_trainees)."""
    if len(raw) > MAX_FILE_BYTES:
        return TraineeImport(text="", problems=(msg(
            N_("文件太大（%(size)d KB），最大 %(max)d KB。请确认选择的是新客服名单的 CSV 文件。"),
            size=-(-len(raw) // 1024), max=MAX_FILE_BYTES // 1024),))
    text, encoding, problem = decode_csv(raw)
    if problem is not None:
        return TraineeImport(text="", problems=(problem,))
    checked = parse_trainees(text, existing_employee_nos=existing_employee_nos)
    return TraineeImport(text=checked.text, rows=checked.rows, problems=checked.problems,
                         encoding=encoding, data_rows=checked.data_rows)


def decode_csv(raw: bytes) -> tuple[str, str | None, Message | None]:
    """The file's text and encoding name, or a problem: UTF-8 (with or without BOM) or GBK."""
    if raw.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):  # .xlsx, .xls
        return "", None, msg(N_("这是 Excel 工作簿，不是 CSV 文件。请在 Excel 中选择“另存为”，"
                                "保存类型选“CSV UTF-8（逗号分隔）”或“CSV（逗号分隔）”后再上传。"))
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "", None, msg(N_("文件是 UTF-16 编码（Excel 的“Unicode 文本”）。"
                                "请另存为“CSV UTF-8（逗号分隔）”后再上传。"))
    if raw.startswith(b"\xef\xbb\xbf"):
        candidates = [("utf-8-sig", "UTF-8")]
    else:
        # GB18030 is a superset of GBK: it reads every file Excel saves as "CSV (comma delimited)".
        candidates = [("utf-8", "UTF-8"), ("gb18030", "GBK")]
    for codec, name in candidates:
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text, name, None
    return "", None, msg(N_("无法读取文件：这不是文本格式的 CSV 文件，或编码既不是 UTF-8 也不是 GBK。"
                            "请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后再上传。"))


def parse_trainees(text: str, *, existing_employee_nos: AbstractSet[str]) -> TraineeImport:
    """Every row of a trainee list with all of its errors; nothing here touches a database.

    The header row names the columns (Chinese or English, see COLUMNS); blank rows are
    skipped but still counted, so row numbers match what the admin sees in Excel.
    """
    text = text.removeprefix("\ufeff")
    if len(text) > MAX_FILE_BYTES:
        return TraineeImport(text="", problems=(msg(N_("文件太大，最大 %(max)d KB。"),
                                                    max=MAX_FILE_BYTES // 1024),))
    if "\x00" in text:
        return TraineeImport(text="", problems=(msg(N_("文件中有无法识别的字符，请重新保存为 CSV 文件。")),))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    header: list[str] | None = None
    columns: dict[int, str] = {}
    raw_rows: list[tuple[int, list[str]]] = []
    data_rows = 0
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = record
                columns, problems = _read_header(record, number)
                if problems:
                    return TraineeImport(text=text, problems=tuple(problems))
                continue
            data_rows += 1
            if data_rows <= MAX_ROWS:
                raw_rows.append((number, record))
    except csv.Error:
        return TraineeImport(text=text, problems=(msg(
            N_("第 %(row)d 行附近的格式有误，无法读取（可能有不成对的引号）。"), row=number + 1),))
    if header is None:
        return TraineeImport(text=text, problems=(msg(N_("文件是空的。第 1 行应为表头（工号,姓名,…）。")),))
    problems: list[Message] = []
    if data_rows == 0:
        problems.append(msg(N_("文件里只有表头，没有新客服的数据行。")))
    if data_rows > MAX_ROWS:
        problems.append(msg(N_("文件有 %(n)d 行数据，一次最多导入 %(max)d 行。请拆分成几个文件分批导入。"),
                            n=data_rows, max=MAX_ROWS))
    rows = _check_rows(raw_rows, columns, existing_employee_nos)
    return TraineeImport(text=text, rows=rows, problems=tuple(problems), data_rows=data_rows)


def generate_password(*, employee_no: str = "") -> str:
    """A strong temporary password that is easy to read out: e.g. `k7Qm-x3Fp-R9tz`."""
    while True:
        password = "-".join(
            "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(4)) for _ in range(3)
        )
        if password_problem(password, employee_no=employee_no) is None:
            return password


def _delimiter(text: str) -> str:
    # Excel saves commas; its "text (tab delimited)" format uses tabs.
    first_line = text.split("\n", 1)[0]
    return "\t" if first_line.count("\t") > first_line.count(",") else ","


def _read_header(record: list[str], number: int) -> tuple[dict[int, str], list[Message]]:
    columns: dict[int, str] = {}
    problems: list[Message] = []
    for index, cell in enumerate(record):
        name = cell.strip().removeprefix("\ufeff").strip()
        if not name:
            continue  # an empty trailing column, as Excel sometimes writes
        key = _HEADER_NAMES.get(name.casefold())
        if key is None:
            problems.append(msg(
                N_("第 %(row)d 行（表头）：无法识别的列名“%(name)s”。可用的列名：工号、姓名、入职日期、初始密码"
                   "（或 employee_no、display_name、hire_date、password）。"), row=number, name=name))
        elif key in columns.values():
            problems.append(msg(N_("第 %(row)d 行（表头）：列“%(name)s”出现了不止一次。"),
                                row=number, name=name))
        else:
            columns[index] = key
    for key in REQUIRED_COLUMNS:
        if key not in columns.values():
            problems.append(msg(N_("第 %(row)d 行（表头）：缺少必填的列“%(name)s”（或 %(english)s）。"),
                                row=number, name=COLUMNS[key][0], english=COLUMNS[key][1]))
    return columns, problems


def _check_rows(raw_rows: list[tuple[int, list[str]]], columns: dict[int, str],
                existing_employee_nos: AbstractSet[str]) -> tuple[TraineeRow, ...]:
    cells = [(number, _cells(record, columns), _extra_cells(record, columns))
             for number, record in raw_rows]
    seen: dict[str, list[int]] = {}
    for number, values, _ in cells:
        if values["employee_no"]:
            seen.setdefault(values["employee_no"], []).append(number)
    rows = []
    for number, values, extra in cells:
        errors: list[CellError] = []
        employee_no = values["employee_no"]
        if not employee_no:
            errors.append(CellError("employee_no", msg(N_("请填写工号"))))
        else:
            problem = employee_no_problem(employee_no)
            if problem:
                errors.append(CellError("employee_no", problem))
            others = [n for n in seen[employee_no] if n != number]
            if others:
                errors.append(CellError("employee_no", msg(
                    N_("与第 %(rows)s 行重复"), rows="、".join(str(n) for n in others))))
            if employee_no in existing_employee_nos:
                errors.append(CellError("employee_no", msg(N_("系统中已有此工号的用户"))))
        display_name = values["display_name"]
        if not display_name:
            errors.append(CellError("display_name", msg(N_("请填写姓名"))))
        elif "\n" in display_name or "\r" in display_name:
            # Usually an unpaired quote that swallowed the following lines.
            errors.append(CellError("display_name", msg(N_("姓名里有换行：请检查这一行的引号是否成对"))))
        elif len(display_name) > DISPLAY_NAME_MAX_LENGTH:
            errors.append(CellError("display_name", msg(N_("姓名最多 %(n)d 个字"),
                                                        n=DISPLAY_NAME_MAX_LENGTH)))
        hire_date_text = values["hire_date"]
        hire_date = parse_date(hire_date_text) if hire_date_text else None
        if hire_date_text and hire_date is None:
            errors.append(CellError("hire_date", msg(
                N_("“%(value)s”不是有效日期，格式应为 YYYY-MM-DD，例如 2026-11-23"),
                value=hire_date_text)))
        password = values["password"]
        if password:
            problem = password_problem(password, employee_no=employee_no)
            if problem:
                errors.append(CellError("password", problem))
        if extra:
            errors.append(CellError(None, msg(N_("这一行的列数比表头多：多出的内容不知道属于哪一列"))))
        rows.append(TraineeRow(number=number, employee_no=employee_no, display_name=display_name,
                               hire_date=hire_date, hire_date_text=hire_date_text,
                               password=password, errors=tuple(errors)))
    return tuple(rows)


def _cells(record: list[str], columns: dict[int, str]) -> dict[str, str]:
    values = dict.fromkeys(COLUMNS, "")
    for index, key in columns.items():
        value = record[index] if index < len(record) else ""
        if key == "password":
            # A password is taken as typed (the rules refuse surrounding spaces), unless blank.
            values[key] = value if value.strip() else ""
        elif key == "employee_no":
            values[key] = normalize_employee_no(value)
        else:
            values[key] = value.strip()
    return values


def _extra_cells(record: list[str], columns: dict[int, str]) -> bool:
    """Whether the row has content in a column the header does not name."""
    return any(cell.strip() for index, cell in enumerate(record) if index not in columns)


def parse_date(value: str) -> date | None:
    match = _DATE_RE.match(value.strip())
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None

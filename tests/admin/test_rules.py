"""The trainee list rules: encodings, headers, row numbers and every kind of row error."""
from __future__ import annotations

from datetime import date

import pytest

from portal.admin import rules
from portal.admin.rules import MAX_FILE_BYTES, MAX_ROWS, TraineeImport
from portal.auth.rules import password_problem

HEADER_ZH = "工号,姓名,入职日期,初始密码\n"
HEADER_EN = "employee_no,display_name,hire_date,password\n"
GOOD_ROWS = "KF001,张三,2026-11-23,\nKF002,李四,,Strong-pass-42\n"


def read(raw: bytes, existing: set[str] | None = None) -> TraineeImport:
    return rules.read_trainee_file(raw, existing_employee_nos=existing or set())


def parse(text: str, existing: set[str] | None = None) -> TraineeImport:
    return rules.parse_trainees(text, existing_employee_nos=existing or set())


def errors_of(checked: TraineeImport) -> dict[int, list[tuple[str | None, str]]]:
    """Row number -> (column, message) for every row with errors."""
    return {row.number: [(e.column, str(e.message)) for e in row.errors]
            for row in checked.rows if row.errors}


@pytest.mark.parametrize(("raw", "encoding"), [
    ((HEADER_ZH + GOOD_ROWS).encode("utf-8"), "UTF-8"),
    ((HEADER_ZH + GOOD_ROWS).encode("utf-8-sig"), "UTF-8"),
    ((HEADER_ZH + GOOD_ROWS).encode("gbk"), "GBK"),
    ((HEADER_ZH + GOOD_ROWS).replace("\n", "\r\n").encode("gbk"), "GBK"),
])
def test_utf8_with_or_without_bom_and_gbk_read_the_same(raw: bytes, encoding: str) -> None:
    checked = read(raw)
    assert checked.valid, (checked.problems, errors_of(checked))
    assert checked.encoding == encoding
    assert [(r.number, r.employee_no, r.display_name, r.hire_date, r.password) for r in checked.rows] == [
        (2, "KF001", "张三", date(2026, 11, 23), ""),
        (3, "KF002", "李四", None, "Strong-pass-42"),
    ]


def test_english_headers_in_any_case_and_order_are_accepted() -> None:
    checked = parse("Display_Name,EMPLOYEE_NO\n王五,KF009\n")
    assert checked.valid
    assert (checked.rows[0].employee_no, checked.rows[0].display_name) == ("KF009", "王五")


def test_optional_columns_may_be_left_out() -> None:
    checked = parse("工号,姓名\nKF001,张三\n")
    assert checked.valid
    assert checked.rows[0].hire_date is None and checked.rows[0].password == ""


def test_tab_separated_text_from_excel_is_accepted() -> None:
    checked = parse("工号\t姓名\t入职日期\nKF001\t张三\t2026-11-23\n")
    assert checked.valid and checked.rows[0].hire_date == date(2026, 11, 23)


def test_row_numbers_match_the_spreadsheet_even_with_blank_rows() -> None:
    checked = parse(HEADER_ZH + "KF001,张三,,\n,,,\n\nKF002,,,\n")
    assert [r.number for r in checked.rows] == [2, 5]
    assert errors_of(checked) == {5: [("display_name", "请填写姓名")]}


def test_a_duplicate_in_the_file_marks_every_copy_with_the_other_rows() -> None:
    checked = parse(HEADER_ZH + "KF001,张三,,\nKF002,李四,,\nKF001,王五,,\nKF001,赵六,,\n")
    errors = errors_of(checked)
    assert errors[2] == [("employee_no", "与第 4、5 行重复")]
    assert errors[4] == [("employee_no", "与第 2、5 行重复")]
    assert 3 not in errors
    assert not checked.valid


def test_employee_numbers_already_in_the_database_are_refused() -> None:
    checked = parse(HEADER_ZH + "KF001,张三,,\nKF002,李四,,\n", existing={"KF002"})
    assert errors_of(checked) == {3: [("employee_no", "系统中已有此工号的用户")]}


@pytest.mark.parametrize("value", ["2026-13-01", "2026-02-30", "23.11.2026", "11/23/2026", "明天"])
def test_bad_dates_are_refused_naming_the_value(value: str) -> None:
    checked = parse(HEADER_ZH + f"KF001,张三,{value},\n")
    [(column, message)] = errors_of(checked)[2]
    assert column == "hire_date" and value in message and "YYYY-MM-DD" in message


def test_dates_as_excel_rewrites_them_are_accepted() -> None:
    checked = parse(HEADER_ZH + "KF001,张三,2026/1/5,\nKF002,李四, 2026-11-23 ,\n")
    assert [r.hire_date for r in checked.rows] == [date(2026, 1, 5), date(2026, 11, 23)]


def test_bad_employee_numbers_weak_passwords_and_missing_names_are_all_reported() -> None:
    checked = parse(HEADER_ZH + "客服001,,2026-11-23,short\nKF002,李四,,kf002-kf002-kf002\n,王五,,\n")
    errors = errors_of(checked)
    assert [column for column, _ in errors[2]] == ["employee_no", "display_name", "password"]
    assert errors[2][2][1] == "密码至少 10 个字符"
    assert errors[3] == [("password", "密码不能包含工号")]
    assert errors[4] == [("employee_no", "请填写工号")]
    assert checked.rows_with_errors == 3


def test_a_password_is_taken_as_typed_but_a_blank_one_means_generate() -> None:
    checked = parse(HEADER_ZH + "KF001,张三,, Strong-pass-42\nKF002,李四,,   \n")
    assert errors_of(checked) == {2: [("password", "密码首尾不能是空格")]}
    assert checked.rows[1].password == ""


def test_content_beyond_the_header_columns_is_an_error() -> None:
    checked = parse("工号,姓名\nKF001,张三,备注\n")
    assert errors_of(checked)[2][0][0] is None


def test_a_name_swallowing_lines_through_an_unpaired_quote_is_an_error() -> None:
    checked = parse(HEADER_ZH + 'KF001,"张三,,\nKF002,李四,,\n')
    assert [column for column, _ in errors_of(checked)[2]] == ["display_name"]


def test_exactly_the_row_limit_is_fine_but_one_more_is_refused() -> None:
    rows = "".join(f"KF{i:04d},新客服{i},,\n" for i in range(MAX_ROWS + 1))
    at_limit = parse(HEADER_ZH + "".join(rows.splitlines(keepends=True)[:MAX_ROWS]))
    assert at_limit.valid and len(at_limit.rows) == MAX_ROWS
    over = parse(HEADER_ZH + rows)
    assert not over.valid and over.data_rows == MAX_ROWS + 1
    assert "501" in str(over.problems[0]) and "500" in str(over.problems[0])


def test_a_file_too_big_is_refused_before_reading_it() -> None:
    checked = read(b"x" * (MAX_FILE_BYTES + 1))
    assert not checked.valid and checked.rows == ()
    assert "文件太大" in str(checked.problems[0])


@pytest.mark.parametrize(("raw", "words"), [
    (b"PK\x03\x04\x14\x00\x06\x00", "Excel 工作簿"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Excel 工作簿"),
    ("工号,姓名\n".encode("utf-16"), "UTF-16"),
    (b"\x00\x01\x02\xff\xfe\x00binary", "不是文本格式"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "不是文本格式"),
    (b"\xef\xbb\xbf\xff\xfe broken after a BOM", "不是文本格式"),
])
def test_files_that_are_not_csv_text_are_refused(raw: bytes, words: str) -> None:
    checked = read(raw)
    assert not checked.valid and checked.rows == ()
    assert words in str(checked.problems[0])


def test_an_empty_file_or_a_header_alone_is_refused() -> None:
    assert "文件是空的" in str(read(b"").problems[0])
    assert "文件是空的" in str(read(b"\n\n").problems[0])
    assert "只有表头" in str(parse(HEADER_ZH).problems[0])


def test_missing_and_unknown_columns_name_the_header_row() -> None:
    checked = parse("工号,名字\nKF001,张三\n")
    messages = [str(p) for p in checked.problems]
    assert any("第 1 行" in m and "名字" in m for m in messages)
    assert any("缺少必填的列“姓名”" in m for m in messages)
    assert checked.rows == ()
    assert "出现了不止一次" in str(parse("工号,姓名,工号\nKF001,张三,KF001\n").problems[0])


def test_the_header_row_number_follows_leading_blank_lines() -> None:
    checked = parse("\n工号,备注\n")
    assert "第 2 行" in str(checked.problems[0])


def test_generated_passwords_are_strong_distinct_and_never_contain_the_employee_no() -> None:
    passwords = {rules.generate_password(employee_no="ab") for _ in range(200)}
    assert len(passwords) == 200
    for password in passwords:
        assert password_problem(password, employee_no="ab") is None
        assert len(password) == 14

"""Reading the CSV response matrix: the format, and every problem named by file, line and
column (in Chinese), with nothing read from a file that has one."""
from __future__ import annotations

from portal.analytics.files import read_matrix
from portal.analytics.stats import Attempt, Item

PATH = "scores.csv"


def _problems(text: str | bytes) -> list[str]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    matrix, problems = read_matrix(data, PATH)
    assert matrix is None
    return [str(p) for p in problems]


def test_a_matrix_with_random_draws_a_bom_and_blank_lines() -> None:
    text = "\ufeffQ1,Q2,问题3\r\n1,2,0.5\r\n\r\n1,2,\r\n0, 1.5 ,0.5\r\n,0,0\r\n\r\n"
    matrix, problems = read_matrix(text.encode("utf-8"), PATH)
    assert problems == []
    assert matrix is not None
    assert matrix.items == (Item("Q1", 1.0), Item("Q2", 2.0), Item("问题3", 0.5))
    # Attempts are named by their line; an empty cell is a question not drawn.
    assert matrix.attempts == (Attempt(4, {"Q1": 1.0, "Q2": 2.0}),
                               Attempt(5, {"Q1": 0.0, "Q2": 1.5, "问题3": 0.5}),
                               Attempt(6, {"Q2": 0.0, "问题3": 0.0}))


def test_every_bad_cell_is_named_by_line_and_column() -> None:
    text = ("Q1,Q2,Q3\n"
            "1,2,1\n"
            "1,x,1\n"          # line 3: not a number
            "-1,2,1\n"         # line 4: negative
            "1,2.5,1\n"        # line 5: above the maximum
            "1,2\n"            # line 6: ragged
            "1,2,1,0\n"        # line 7: ragged
            "1,1e3,nan\n")     # line 8: an exponent and nan are not plain numbers
    assert _problems(text) == [
        f"{PATH}:3: 第 2 列（Q2）的得分“x”不是数字（未抽到的题请留空）",
        f"{PATH}:4: 第 1 列（Q1）的得分不能为负数（-1）",
        f"{PATH}:5: 第 2 列（Q2）的得分 2.5 超过了该题满分 2",
        f"{PATH}:6: 这一行应有 3 列（与第 1 行的题目数相同），实际有 2 列",
        f"{PATH}:7: 这一行应有 3 列（与第 1 行的题目数相同），实际有 4 列",
        f"{PATH}:8: 第 2 列（Q2）的得分“1e3”不是数字（未抽到的题请留空）",
        f"{PATH}:8: 第 3 列（Q3）的得分“nan”不是数字（未抽到的题请留空）",
    ]


def test_bad_question_ids_and_maxima() -> None:
    assert _problems("Q1,Q2,Q1,\n1,0,abc,1\n1,0,1,1\n") == [
        f"{PATH}:1: 第 3 列的题目编号“Q1”与第 1 列重复",
        f"{PATH}:1: 第 4 列的题目编号为空",
        f"{PATH}:2: 第 2 列（Q2）的满分应为大于 0 的数字，而不是“0”",
        f"{PATH}:2: 第 3 列（Q1）的满分应为大于 0 的数字，而不是“abc”",
    ]
    assert _problems("Q1,Q2\n1\n1,1\n") == [
        f"{PATH}:2: 满分行应有 2 列（与题目编号行相同），实际有 1 列"]


def test_a_file_needs_ids_maxima_and_attempts() -> None:
    two_lines = f"{PATH}: 文件至少需要两行：第 1 行为题目编号，第 2 行为每题满分，之后每行为一次作答的得分"
    assert _problems("") == [two_lines]
    assert _problems("Q1,Q2\n\n") == [two_lines]
    assert _problems("Q1,Q2\n1,1\n") == [
        f"{PATH}: 文件里没有作答记录：第 3 行起每行为一次作答的各题得分"]


def test_encoding_and_quoting_errors() -> None:
    assert _problems(b"Q1\n1\n" + b"\xff\xfe\n") == [
        f"{PATH}:3: 不是有效的 UTF-8 编码（第 6 字节）"]
    assert _problems('Q1,Q2\n1,1\n1,"1"x\n') == [f"{PATH}:3: CSV 格式错误，请检查引号是否成对"]


def test_a_quoted_cell_is_read_as_its_value() -> None:
    matrix, problems = read_matrix(b'"Q,1",Q2\n"1",1\n"0.5",\n', PATH)
    assert problems == []
    assert matrix is not None and matrix.items[0] == Item("Q,1", 1.0)
    assert matrix.attempts == (Attempt(3, {"Q,1": 0.5}),)

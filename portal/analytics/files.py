"""Reading a CSV response matrix for `flask analytics items`, every problem by line and column.

The format (docs/analytics.md): UTF-8 (with or without a BOM), comma-separated;

    Q1,Q2,Q3        <- line 1: the question ids
    1,2,1           <- line 2: each question's maximum points (> 0)
    1,2,            <- line 3 on: one attempt each, the points it earned; an empty cell is a
    0,,1               question not drawn for that attempt (random draws)

Blank lines are skipped. Problems are in Chinese with the file, the line and, in the message,
the column; nothing is returned unless the whole file is valid.
"""
from __future__ import annotations

import csv
import io
import re

from portal.analytics.stats import Attempt, Item, ResponseMatrix
from portal.content.problems import Problem, capped
from portal.messages import N_, msg

MAX_FILE_BYTES = 16 * 1024 * 1024  # some 100,000 attempts of 50 questions
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def _number(text: str) -> float | None:
    """A plain decimal number (no exponent, no nan/inf, no thousands separator), or None."""
    return float(text) if NUMBER.fullmatch(text) else None


def read_matrix(data: bytes, path: str) -> tuple[ResponseMatrix | None, list[Problem]]:
    """The response matrix in a CSV file's bytes, or None and every problem."""
    problems: list[Problem] = []
    if len(data) > MAX_FILE_BYTES:
        return None, [Problem(path, None, msg(N_("文件过大（最多 %(max)d MB）"),
                                              max=MAX_FILE_BYTES // (1024 * 1024)))]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [Problem(path, data[:exc.start].count(b"\n") + 1,
                              msg(N_("不是有效的 UTF-8 编码（第 %(pos)d 字节）"), pos=exc.start + 1))]
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((start, [cell.strip() for cell in row]))
            start = reader.line_num + 1
    except csv.Error:
        return None, [Problem(path, reader.line_num or 1,
                              msg(N_("CSV 格式错误，请检查引号是否成对")))]
    if len(rows) < 2:
        return None, [Problem(path, None, msg(
            N_("文件至少需要两行：第 1 行为题目编号，第 2 行为每题满分，之后每行为一次作答的得分")))]
    items = _items(path, rows[0], rows[1], problems)
    if len(rows) == 2:
        problems.append(Problem(path, None, msg(
            N_("文件里没有作答记录：第 3 行起每行为一次作答的各题得分"))))
    attempts = [attempt for line, row in rows[2:]
                if (attempt := _attempt(path, line, row, items, problems)) is not None]
    if problems or items is None:
        return None, capped(problems)
    return ResponseMatrix(items=tuple(items), attempts=tuple(attempts)), []


def _items(path: str, header: tuple[int, list[str]], maxima: tuple[int, list[str]],
           problems: list[Problem]) -> list[Item] | None:
    (id_line, ids), (max_line, cells) = header, maxima
    start = len(problems)
    seen: dict[str, int] = {}
    for column, item_id in enumerate(ids, 1):
        if not item_id:
            problems.append(Problem(path, id_line, msg(N_("第 %(column)d 列的题目编号为空"),
                                                       column=column)))
        elif item_id in seen:
            problems.append(Problem(path, id_line, msg(
                N_("第 %(column)d 列的题目编号“%(item)s”与第 %(other)d 列重复"),
                column=column, item=item_id, other=seen[item_id])))
        else:
            seen[item_id] = column
    if len(cells) != len(ids):
        problems.append(Problem(path, max_line, msg(
            N_("满分行应有 %(expected)d 列（与题目编号行相同），实际有 %(found)d 列"),
            expected=len(ids), found=len(cells))))
        return None
    items = []
    for column, (item_id, cell) in enumerate(zip(ids, cells), 1):
        value = _number(cell)
        if value is None or value <= 0:
            problems.append(Problem(path, max_line, msg(
                N_("第 %(column)d 列（%(item)s）的满分应为大于 0 的数字，而不是“%(value)s”"),
                column=column, item=item_id, value=cell)))
        else:
            items.append(Item(id=item_id, max_points=value))
    return items if len(problems) == start else None


def _attempt(path: str, line: int, row: list[str], items: list[Item] | None,
             problems: list[Problem]) -> Attempt | None:
    if items is None:
        return None  # the header is wrong: cells cannot be checked against it
    if len(row) != len(items):
        problems.append(Problem(path, line, msg(
            N_("这一行应有 %(expected)d 列（与第 1 行的题目数相同），实际有 %(found)d 列"),
            expected=len(items), found=len(row))))
        return None
    start = len(problems)
    points: dict[str, float] = {}
    for column, (item, cell) in enumerate(zip(items, row), 1):
        if not cell:
            continue
        value = _number(cell)
        if value is None:
            problems.append(Problem(path, line, msg(
                N_("第 %(column)d 列（%(item)s）的得分“%(value)s”不是数字（未抽到的题请留空）"),
                column=column, item=item.id, value=cell)))
        elif value < 0:
            problems.append(Problem(path, line, msg(
                N_("第 %(column)d 列（%(item)s）的得分不能为负数（%(value)s）"),
                column=column, item=item.id, value=cell)))
        elif value > item.max_points:
            problems.append(Problem(path, line, msg(
                N_("第 %(column)d 列（%(item)s）的得分 %(value)s 超过了该题满分 %(max)s"),
                column=column, item=item.id, value=cell, max=f"{item.max_points:g}")))
        else:
            points[item.id] = value
    if len(problems) > start:
        return None
    return Attempt(id=line, points=points)

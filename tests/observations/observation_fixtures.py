"""Form files for the observation tests: the shipped folder and small broken variants."""
from __future__ import annotations

from portal.config import PROJECT_ROOT

FORMS = PROJECT_ROOT / "question_banks" / "observations"

GOOD = """\
key: mini
title: 小表
scale:
  1: 差
  2: 弱
  3: 中
  4: 良
  5: 优
items:
  - key: greeting
    title: 问候语
    required: true
  - key: farewell
    title: 道别语
"""

# (file text, the line the problem must name, a piece of the Chinese message)
BROKEN = [
    (GOOD.replace("  5: 优\n", ""), 3, "scale 缺少第 5 级"),
    (GOOD.replace("  5: 优\n", "  5: 优\n  6: 超\n"), 9, "不能有 6"),
    (GOOD.replace("    title: 道别语\n", "    title: 道别语\n    weight: 2\n"), 15, "未知字段 weight"),
    (GOOD.replace("key: farewell", "key: greeting"), 13, "重复（第 10 行已用过）"),
    (GOOD.replace("key: farewell", "key: Fare-well"), 13, "小写字母开头"),
    (GOOD.replace("    required: true\n", "    required: 是\n"), 12, "required 应为 true 或 false"),
    (GOOD.replace("    required: true\n", ""), 9, "至少要有一个必填"),
    (GOOD.replace("title: 小表\n", ""), 1, "缺少字段 title"),
    (GOOD.replace("  - key: farewell\n", "  - key: farewell\n    hint: &a x\n"), 14, "锚点"),
    (GOOD.replace("title: 小表", "title: [小表"), 2, "方括号"),
    (GOOD.replace("    title: 道别语\n", "    title: 道别语\n    chat_item: goodbye\n"), 15,
     "chat_item goodbye 不是模拟对话考试的评分项"),
    (GOOD.replace("    title: 问候语\n", "    title: 问候语\n    chat_item: [greeting]\n"), 12,
     "不是模拟对话考试的评分项"),
    (GOOD.replace("    title: 道别语\n", "    title: 道别语\n    chat_measure: speed\n"), 15,
     "chat_measure speed 不是可从模拟对话考试测得的指标（可用：typing_speed）"),
]

# The mini form with its items linked to the chat exams: both kinds of link read back.
LINKED = GOOD.replace("    title: 问候语\n", "    title: 问候语\n    chat_item: greeting\n").replace(
    "    title: 道别语\n", "    title: 道别语\n    chat_measure: typing_speed\n")

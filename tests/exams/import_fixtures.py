"""Bank files of many generated questions, for the import statement and known-file tests."""
from __future__ import annotations


def bank_text(key: str, questions: int, *, changed: frozenset[int] = frozenset(),
               skip: frozenset[int] = frozenset()) -> str:
    lines = [f"key: {key}", f"title: 题库 {key}", "questions:"]
    for n in range(questions):
        if n in skip:
            continue
        mark = "（改）" if n in changed else ""
        if n % 2:
            lines += [f"  - id: q{n:04d}", "    kind: true-false",
                      f"    prompt: 第 {n} 题{mark}：发票金额按订单如实开具。", "    points: 1",
                      "    answer: true",
                      f"    tags: [topic:t{n % 7}]"]
        else:
            lines += [f"  - id: q{n:04d}", "    kind: single-choice",
                      f"    prompt: 第 {n} 题{mark}：先做什么？", "    points: 2", "    choices:",
                      "      - {text: 核实订单, correct: true}", "      - {text: 直接拒绝}"]
    return "\n".join(lines) + "\n"

"""Data for the chat staff pages' tests (the chats folder is the console tests' own)."""
from __future__ import annotations

GOOD = "亲，您好~我们合作的是申通、中通和圆通哦"
PROMISE = "可以的亲，给您韵达"

# A scenario file with two problems the files reader reports with their lines.
BROKEN_SCENARIO = """key: broken
title: 有问题的剧本
customer: {name: 小王, type: rational}
start: ask
states:
  ask:
    say: [{text: 在吗, after: 0}]
    routes: [{when: no-such-matcher, goto: nowhere}]
rubric: {greeting: 1}
"""

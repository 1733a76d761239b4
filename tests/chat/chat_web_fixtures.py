"""Data for the chat console's tests: a chats folder of their own and a track that asks for it.

`data/web/` holds two scenarios (小林 wants 韵达; 阿强 wants the price raised by one yuan),
the drill `solo` (小林 alone, passing stage `practice` of `web-track`) and the drill `pair`
(小林 at once, 阿强 twenty seconds later, no stage); `one` is 小林 alone, no stage.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

CHATS = Path(__file__).resolve().parent / "data" / "web"
TRACK_KEY = "web-track"
STAGES: list[dict[str, Any]] = [
    {"key": "practice", "title": "实际解决能力", "summary": "", "kind": "modules",
     "planned_day": 1, "planned_duration": "1 天", "modules": ["m-a"], "assessment": None,
     "chat_exam": "solo", "roles": ["all"], "checklist": []},
    {"key": "after", "title": "之后", "summary": "", "kind": "modules", "planned_day": 2,
     "planned_duration": "1 天", "modules": ["m-b"], "assessment": None, "roles": ["all"],
     "checklist": []},
]
# A stage asking for a written exam and a chat drill: it passes when both are passed.
BOTH_STAGES: list[dict[str, Any]] = [
    {**STAGES[0], "assessment": "web-written"}, STAGES[1]]
MODULES = {"m-a": "售后处理", "m-b": "复盘"}

# Replies as a new hire would write them.
GOOD_FIRST = "亲，您好~我们这边合作的是申通、中通和圆通哦，您看哪家方便？"
PROMISE = "可以的亲，给您韵达"
REFUSE_PRICE = "亲，价格是平台统一的，不能改高哦"

"""The GIFT corpora the full-syntax tests run on, with what each must give.

`PROJECT` is this repository's own corpus (tests/exams/data/gift_corpus.txt, Chinese
customer-service questions using every GIFT feature): it always runs. `MOODLE` is Moodle's
examples file from ../shared/interop: an extra corpus that runs when the folder is there,
fails under CI=true when it is not, and skips otherwise. Lines are where a question starts.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.exams.examples import gift_corpus_bytes, gift_examples_bytes

Definition = dict[str, Any]


@dataclass(frozen=True)
class Corpus:
    file_name: str  # the bank's key and title come from it
    read: Callable[[], bytes]
    kinds: list[tuple[int, str]]  # every question: (line, kind in this portal)
    # (line, what to read off that question's definition, what it must be)
    meaning: list[tuple[int, Callable[[Definition], Any], Any]]
    ids_from_titles: list[str]  # ids made from ::titles::, in order
    # (line, answer, points) exactly as Moodle grades it
    grades: list[tuple[int, Any, float]]
    import_notices: list[str]
    export_notices: list[str]  # what an export says it could not keep

    @property
    def key(self) -> str:
        return self.file_name.removesuffix(".txt").replace("_", "-")

    @property
    def title(self) -> str:
        return self.file_name.removesuffix(".txt")


def _texts(q: Definition) -> list[str]:
    return [c["text"] for c in q["choices"]]


MOODLE = Corpus(
    file_name="gift_examples.txt",
    read=gift_examples_bytes,
    # Read off gift_examples.txt question by question.
    kinds=[
        (8, "single-choice"),     # {~Grant ~Jefferson =no one}
        (10, "single-choice"),    # missing word {~buried =entombed ~living}
        (12, "true-false"),       # {FALSE}
        (14, "fill-in"),          # short answer {=no one =nobody}
        (16, "numeric"),          # {#1822:1}
        (25, "single-choice"),
        (27, "single-choice"),
        (29, "single-choice"),    # multi-line, missing word
        (35, "single-choice"),
        (43, "fill-in"),
        (45, "fill-in"),          # missing word {=four =4}.
        (49, "true-false"),       # {F}
        (51, "true-false"),       # {T}
        (55, "matching"),
        (61, "matching"),
        (70, "numeric"),          # {#1822}
        (72, "numeric"),          # {#3.1415:0.0005}.
        (74, "numeric"),          # {#3.141..3.142}.
        (76, "numeric"),          # two answers, one at 50 %
        (85, "numeric"),          # after a comment line, {#4}
        (90, "fill-in"),          # ::Kanji Origins:: … {=China}
        (93, "single-choice"),    # ::Thanksgiving Date::
        (98, "single-choice"),    # feedback on every choice
        (103, "fill-in"),         # short answer with feedback
        (108, "fill-in"),         # [markdown]
        (113, "true-false"),      # {FALSE#feedback}
        (115, "single-choice"),   # ~%50% partial credit
        (117, "single-choice"),   # ::Jesus' hometown:: weights on wrong choices
        (123, "fill-in"),         # ::Jesus' hometown:: short answer with weights
        (130, "multiple-choice"),  # multiple answers, 50/50, wrong ones 0
        (136, "multiple-choice"),  # multiple answers, 50/50, wrong ones -50
        (143, "single-choice"),   # escaped \=
        (148, "single-choice"),   # ::GIFT Control Characters::
        (167, "single-choice"),
        (169, "single-choice"),
        (171, "true-false"),
        (173, "fill-in"),
        (175, "numeric"),
        (177, "matching"),        # {=Canada->Ottawa …} on one line
        (184, "single-choice"),   # ::Grant's Tomb::
        (190, "single-choice"),
        (195, "fill-in"),         # ::Jesus' hometown (Short answer ex.)::
        (202, "numeric"),         # ::Numerical example::
    ],
    meaning=[
        (10, lambda q: q["prompt"], "Grant is _____ in Grant's tomb."),
        (45, lambda q: q["prompt"], "Two plus two equals [[1]]."),
        (29, lambda q: q["prompt"].endswith("on the _____ Thursday of November."), True),
        (74, lambda q: q["answers"], [{"value": 3.1415, "tolerance": 0.0005, "credit": 100}]),
        (76, lambda q: [(a["tolerance"], a["credit"]) for a in q["answers"]], [(0, 100), (2, 50)]),
        (108, lambda q: q["prompt"], "Who's buried in **Grant's tomb**?"),
        (113, lambda q: q["feedback_incorrect"], "No one is buried in Grant's tomb."),
        (115, lambda q: q["choices"][1]["credit"], 50),
        (130, lambda q: q["scoring"], "weighted"),
        (136, lambda q: q["scoring"], "proportional"),
        (143, _texts, ["= 2 + 2", "= 2 + 3", "= 2 + 4"]),
        (148, _texts, ["~", "=", "#", "{", "}", "\\"]),
        (148, lambda q: q["choices"][5]["correct"], True),
        (148, lambda q: q["choices"][5]["feedback"].startswith("Correct! \\ (backslash)"), True),
        (202, lambda q: q["answers"][1]["feedback"],
         "He was born in 1822.\nYou get 50% credit for being close."),
        (61, lambda q: q["pairs"][3], {"left": "India", "right": "New Delhi"}),
        (90, lambda q: q["title"], "Kanji Origins"),
        (195, lambda q: q["title"], "Jesus' hometown (Short answer ex.)"),
        (8, lambda q: (q.get("title"), q.get("category")), (None, None)),
    ],
    ids_from_titles=["kanji-origins", "thanksgiving-date", "jesus-hometown", "jesus-hometown-2",
                     "gift-control-characters", "grant-s-tomb", "jesus-hometown-short-answer-ex",
                     "numerical-example"],
    grades=[
        (136, ["b", "c"], 1),
        (136, ["a", "b", "c", "d"], 0),
        (130, ["a", "b", "c", "d"], 1),  # Moodle's own loophole
        (123, "Nazereth", 0.75),
        (74, "3.1418", 1),
        (76, "1823", 0.5),
    ],
    import_notices=[],
    export_notices=[],
)

PROJECT = Corpus(
    file_name="gift_corpus.txt",
    read=gift_corpus_bytes,
    kinds=[
        (11, "single-choice"),    # {~… ~… =…} on one line
        (13, "single-choice"),    # missing word
        (15, "true-false"),       # {FALSE}
        (17, "fill-in"),          # short answer {=申通 =申通快递}
        (19, "numeric"),          # {#12:0}
        (30, "single-choice"),    # after a new $CATEGORY
        (32, "single-choice"),    # missing word
        (34, "single-choice"),    # multi-line, missing word
        (40, "single-choice"),    # multi-line
        (48, "fill-in"),
        (50, "fill-in"),          # missing word {=签收 =签收商品}
        (54, "true-false"),       # {F}
        (56, "true-false"),       # {T}
        (60, "matching"),
        (66, "matching"),         # with a distractor = -> …
        (77, "numeric"),          # {#278}
        (79, "numeric"),          # {#230.8:0.05}。 text after the answer block
        (81, "numeric"),          # {#39.5..40.5} a range
        (83, "numeric"),          # two answers, one at 50 %
        (88, "numeric"),          # after a comment line
        (99, "fill-in"),          # ::Return Window:: over two lines
        (104, "single-choice"),   # ::预售尾款:: missing word
        (110, "single-choice"),   # feedback on every choice
        (115, "fill-in"),         # short answer with feedback
        (120, "fill-in"),         # [markdown]
        (124, "single-choice"),   # [html] with #### general feedback
        (130, "true-false"),      # [plain]
        (132, "true-false"),      # [moodle]
        (135, "true-false"),      # {TRUE#wrong#right}
        (137, "single-choice"),   # ~%50% partial credit
        (139, "single-choice"),   # ::Return Reason:: weights on wrong choices
        (145, "fill-in"),         # ::Return Reason:: again, short answer with weights
        (152, "multiple-choice"),  # 50/50, wrong ones 0
        (158, "multiple-choice"),  # 50/50, wrong ones -50
        (165, "single-choice"),   # escaped \\=
        (170, "single-choice"),   # every control character escaped
        (189, "true-false"),      # [id:…] [tag:…] [points:…] [difficulty:…], {TRUE####…}
        (193, "short-answer"),    # essay {}
        (197, "short-answer"),    # essay with general feedback, after a description
        (202, "single-choice"),   # ::Yunda Promise:: feedback, missing word
        (208, "single-choice"),   # weights and feedback after spaces
        (214, "numeric"),         # ::Shipping Fee (numeric):: feedback over two lines
    ],
    meaning=[
        (11, lambda q: q["category"], ["售后", "发货承诺"]),
        (13, lambda q: q["prompt"], "订单已付款，按店铺的承诺应在 _____ 内发货。"),
        (17, lambda q: [a["text"] for a in q["blanks"][0]["answers"]], ["申通", "申通快递"]),
        (19, lambda q: q["answers"], [{"value": 12, "tolerance": 0, "credit": 100}]),
        (30, lambda q: (q["category"], q["tags"]), (["售后", "退换货"], ["topic:退换货"])),
        (34, lambda q: q["prompt"], "买家退回的商品，仓库一般在签收后的 _____ 内完成验货。"),
        (50, lambda q: q["prompt"], "七天无理由退货从买家 [[1]] 的次日开始计算。"),
        (60, lambda q: q["pairs"][2], {"left": "咨询尺码", "right": "售前客服"}),
        (66, lambda q: (q["pairs"][1]["right"], q["distractors"]),
         ("快递员正在送货", ["商家已经发起退款"])),
        (79, lambda q: (q["prompt"][-7:], q["answers"]),
         ("？_____。", [{"value": 230.8, "tolerance": 0.05, "credit": 100}])),
        (81, lambda q: q["answers"], [{"value": 40, "tolerance": 0.5, "credit": 100}]),
        (83, lambda q: [(a["tolerance"], a["credit"]) for a in q["answers"]], [(0, 100), (10, 50)]),
        (99, lambda q: (q["title"], q["prompt"]),
         ("Return Window", "买家问“收到货以后\n几天内能退？”，应回答几天？")),
        (104, lambda q: (q["title"], q["category"]), ("预售尾款", ["售前"])),
        (110, lambda q: [c["feedback"] for c in q["choices"]],
         ["先核实，不要急着补发。", "把问题推给买家会引来投诉。", "很好，先查清楚再处理。"]),
        (120, lambda q: q["prompt"], "买家要开 **增值税专用发票**，客服需要先收集哪一项信息？"),
        (124, lambda q: (q["prompt"], q["explanation"], q["choices"][0]["feedback"]),
         ("在途订单的买家申请**仅退款**，客服应该：", "先拦截包裹，避免钱货两空。", "正确")),
        (130, lambda q: q["answer"], False),
        (132, lambda q: q["answer"], True),
        (135, lambda q: (q["feedback_incorrect"], q["feedback_correct"]),
         ("不对：描述不符时退货运费由卖家承担。", "对，描述不符由卖家承担运费。")),
        (137, lambda q: q["choices"][1]["credit"], 50),
        (139, lambda q: [c.get("credit") for c in q["choices"]], [None, 25, 50, None]),
        (139, lambda q: q["prompt"], "买家选错退货原因，主要会影响 _____。"),
        (145, lambda q: [a["credit"] for a in q["blanks"][0]["answers"]], [100, 75, 25]),
        (152, lambda q: q["scoring"], "weighted"),
        (158, lambda q: q["scoring"], "proportional"),
        (165, _texts, ["原价 = 实付", "原价 - 优惠 = 实付", "原价 + 优惠 = 实付"]),
        (170, lambda q: q["title"], "快捷短语: 变量"),
        (170, _texts, ["~", "=", "#", "{ }", "\\"]),
        (170, lambda q: (q["choices"][3]["correct"], q["choices"][3]["feedback"]),
         (True, "对！{ } 括起来的是变量，\n例如 {买家昵称}，发送时换成\n买家的昵称。")),
        (170, lambda q: q["explanation"], "用法：{订单号}\n也是变量。"),
        (189, lambda q: (q["points"], q["difficulty"], q["tags"], q["category"]),
         (2, "hard", ["role:after-sales", "topic:开票时间"], ["售后", "发票/收据", "开票时间"])),
        (189, lambda q: q["explanation"], "电子发票可以冲红后重开，纸质发票要先收回原票。"),
        (193, lambda q: [c["points"] for c in q["rubric"]], [1]),
        (197, lambda q: (q["title"], q["explanation"]),
         ("Complaint Reply", "先道歉，再说明改进措施，不要和买家争论。")),
        (202, lambda q: q["prompt"], "客服 _____ 买家发韵达，所以发申通不算违背承诺。"),
        (208, lambda q: [(c["text"], c.get("credit")) for c in q["choices"]],
         [("第二天中午", None), ("当天 24 点前", 50), ("店铺公告的截单时间之前", None)]),
        (214, lambda q: q["answers"][1]["feedback"], "接近了，\n再算一遍续重。"),
    ],
    ids_from_titles=["return-window", "return-reason", "return-reason-2", "invoice-reissue",
                     "complaint-reply", "yunda-promise", "shipping-fee-numeric"],
    grades=[
        (158, ["b", "c"], 1),
        (158, ["a", "b", "c", "d"], 0),
        (152, ["a", "b", "c", "d"], 1),  # Moodle's own loophole: zero-weight choices cost nothing
        (152, ["b"], 0.5),
        (145, "买家自己", 0.75),
        (79, "230.84", 1),
        (79, "230.9", 0),
        (81, "40.5", 1),
        (83, "270", 0.5),
        (83, "268", 1),
        (137, "b", 0.5),
        (139, "b", 0.25),
        (60, {"1": "财务", "2": "售前客服", "3": "售后客服"}, 0.33),  # one pair of three
        (99, "７", 1),  # full width is the same digit
        (189, True, 2),
        (189, False, 0),
    ],
    import_notices=["gift_corpus.txt:195: 这是没有答案区的说明文字，已跳过（本门户只导入题目）"],
    export_notices=[
        "gift_corpus.txt:193: 题目 q-38：简答题导出为 GIFT 问答题，评分标准和参考答案没有导出",
        "gift_corpus.txt:197: 题目 complaint-reply：简答题导出为 GIFT 问答题，评分标准和参考答案没有导出"],
)

# The project's corpus always runs; Moodle's when ../shared/interop is there (see above).
CORPORA = [pytest.param(PROJECT, id="project"), pytest.param(MOODLE, id="moodle")]

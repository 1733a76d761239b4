"""Normalising replies: simplified characters, widths, case, spaces, punctuation, emoji,
with every normalised character traced back to what the trainee typed."""
from __future__ import annotations

import pytest

from portal.chat.normalize import MAX_TEXT_CHARS, normalize, segment, user_words


@pytest.mark.parametrize(("typed", "expected"), [
    ("韻達我們發不了哦", "韵达我们发不了哦"),       # traditional -> simplified
    ("ＯＫ啦，７天無理由", "ok啦,7天无理由"),        # full width -> half width, lower case
    ("亲 可以 给您 发", "亲可以给您发"),           # spaces dropped
    ("好的！！！真的吗？？", "好的!真的吗?"),        # runs of the same punctuation kept once
    ("好的。。。", "好的。"),
    ("亲~ 在的哦^_^😊❤️", "亲在的哦"),             # decorations, kaomoji and emoji dropped
    ("好的(^▽^)谢谢", "好的谢谢"),
    ("妳好", "你好"),
])
def test_normalised_text(typed: str, expected: str) -> None:
    assert normalize(typed).text == expected


def test_every_character_maps_back_to_the_original() -> None:
    typed = "亲~ 可以給您發 韵达的 ^_^"
    norm = normalize(typed)
    start = norm.text.index("发韵达")
    a, b = norm.span(start, start + 3)
    assert typed[a:b] == "發 韵达"  # highlighted on what was typed, the space included
    assert norm.original_text(0, 1) == "亲"
    for i, ch in enumerate(norm.text):
        assert normalize(typed[norm.index[i]]).text == ch


def test_dropped_spaces_and_emoji_are_clause_breaks() -> None:
    norm = normalize("发不了申通 可以发韵达😊好的")
    assert sorted(norm.breaks) == [norm.text.index("可以"), norm.text.index("好的")]


def test_input_is_bounded() -> None:
    norm = normalize("好" * (MAX_TEXT_CHARS + 500))
    assert len(norm.text) == MAX_TEXT_CHARS


def test_segmentation_knows_the_domain_words() -> None:
    words = [t.word for t in segment(normalize("亲，7天无理由退货哦，补差价可以发顺丰，运费险有的").text)]
    for word in ("7天无理由", "补差价", "顺丰", "运费险"):
        assert word in words
    assert ("仅退款", 1000) in user_words()


def test_token_offsets_are_in_the_normalised_text() -> None:
    text = normalize("我们发申通和韵达").text
    for token in segment(text):
        assert text[token.start:token.end] == token.word

"""Text normalisation for comparing typed answers: width, spaces and case do not matter."""
from __future__ import annotations

import functools
import re
import unicodedata

# CJK ideographs, kana, CJK punctuation and the remaining full-width forms: a space next to
# one of them carries no meaning ("7 天 无理由" is "7天无理由").
_CJK = r"\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff" \
       r"\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
_SPACE_NEXT_TO_CJK = re.compile(rf"(?<=[{_CJK}]) | (?=[{_CJK}])")
_SPACES = re.compile(r"\s+")


@functools.lru_cache(maxsize=16384)
def normalize_answer(text: str) -> str:
    """The form two answers are compared in (pure, so remembered: a bank's checks and a
    grading run compare the same few texts again and again).

    NFKC folds full-width letters, digits and punctuation to half-width (“ＡＢＣ１２３，” →
    “ABC123,”); case is folded; runs of white space become one space and a space next to a
    CJK character is dropped; leading and trailing space is removed.
    """
    text = unicodedata.normalize("NFKC", text)
    text = text.casefold()
    text = _SPACES.sub(" ", text).strip()
    return _SPACE_NEXT_TO_CJK.sub("", text)


def same_answer(given: str, accepted: str) -> bool:
    return normalize_answer(given) == normalize_answer(accepted)


def normalize_number_text(text: str) -> str:
    """A typed number made comparable: half-width, no spaces, no thousands separators."""
    text = unicodedata.normalize("NFKC", text)
    text = _SPACES.sub("", text)
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?", text):
        text = text.replace(",", "")
    return text

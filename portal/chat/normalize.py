"""Normalising chat text before matching, with a map back to what the trainee typed.

Traditional characters become simplified (OpenCC t2s), full-width forms half-width (NFKC),
letters lower case; spaces, emoji, kaomoji and decorations (~, ^_^, ❤) are dropped and a
run of the same punctuation is kept once. `Normalized.index[i]` is the offset in the
original text of normalised character i, so evidence is highlighted on the original.
Segmentation uses jieba with the domain words of `data/userdict.txt`, loaded once, lazily.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

MAX_TEXT_CHARS = 2000  # a chat reply; longer input is cut before any matching
USERDICT = Path(__file__).parent / "data" / "userdict.txt"

# Variants OpenCC's t2s keeps (they are standard in Taiwan) but a matcher wants unified.
_VARIANTS = str.maketrans({"妳": "你", "祂": "他", "喫": "吃", "纔": "才"})
# Emoticons written with punctuation: ^_^ ^^ :) :-( (^▽^) o(*￣▽￣*)o …
_KAOMOJI = re.compile(
    r"[oO]?\([^()a-zA-Z0-9\u4e00-\u9fff]{1,8}\)[oO]?"  # (^▽^) (*^_^*) o(≧▽≦)o
    r"|\^[_\-.oOωvV]?\^"                          # ^_^ ^^ ^o^
    r"|(?<![a-zA-Z0-9])[:;]-?[)(DPp](?![a-zA-Z0-9])"  # :) ;-) :D
    r"|[Tt]_[Tt]|[>＞]_[<＜]"                      # T_T >_<
)
_DROP_CATEGORIES = frozenset({"So", "Sk", "Cf", "Cs", "Co", "Mn", "Me", "Cc"})
_DECORATIONS = frozenset("~～〜•·°")
_PUNCTUATION_CATEGORIES = frozenset({"Po", "Pd", "Ps", "Pe", "Pi", "Pf", "Pc", "Sm"})


@dataclass(frozen=True)
class Normalized:
    """A normalised text and where each of its characters came from."""

    text: str
    original: str
    index: tuple[int, ...]  # index[i]: offset in `original` of text[i]
    breaks: frozenset[int]  # positions in `text` where spaces or emoji were dropped

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original-text span of text[start:end] (end exclusive)."""
        if start >= end or end > len(self.index):
            return (0, 0)
        return (self.index[start], self.index[end - 1] + 1)

    def original_text(self, start: int, end: int) -> str:
        a, b = self.span(start, end)
        return self.original[a:b]


@lru_cache(maxsize=1)
def _converter() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional to simplified, one character for one (so offsets still line up)."""
    converted = _converter().convert(text)
    if len(converted) != len(text):  # a phrase conversion changed the length: go by char
        converted = "".join(c2 if len(c2 := _converter().convert(c)) == 1 else c for c in text)
    return converted.translate(_VARIANTS)


def _kaomoji_positions(text: str) -> set[int]:
    return {i for m in _KAOMOJI.finditer(text) for i in range(m.start(), m.end())}


@lru_cache(maxsize=4096)
def normalize(text: str) -> Normalized:
    """The normalised form of `text` (cut at MAX_TEXT_CHARS) with its map to the original."""
    original = text[:MAX_TEXT_CHARS]
    simplified = to_simplified(original)
    drop = _kaomoji_positions(simplified)
    out: list[str] = []
    index: list[int] = []
    breaks: set[int] = set()
    for i, ch in enumerate(simplified):
        if i in drop:
            breaks.add(len(out))
            continue
        for c in unicodedata.normalize("NFKC", ch):
            for c2 in c.lower():
                if c2.isspace() or c2 in _DECORATIONS \
                        or unicodedata.category(c2) in _DROP_CATEGORIES:
                    if unicodedata.category(c2) not in ("Mn", "Me", "Cf"):
                        breaks.add(len(out))  # not inside a character (a variation selector)
                    continue
                if out and c2 == out[-1] and _is_punctuation(c2):
                    continue  # ！！！ -> !
                out.append(c2)
                index.append(i)
    return Normalized("".join(out), original, tuple(index),
                      frozenset(b for b in breaks if 0 < b < len(out)))


def _is_punctuation(ch: str) -> bool:
    return unicodedata.category(ch) in _PUNCTUATION_CATEGORIES


def normalize_text(text: str) -> str:
    """Only the normalised text (for phrases and examples written by trainers)."""
    return normalize(text).text


# --- segmentation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    word: str
    start: int  # in the normalised text
    end: int


_lock = threading.Lock()
_tokenizer: Any = None


def user_words() -> list[tuple[str, int | None]]:
    """The domain words of the user dictionary (word, optional frequency), normalised."""
    words: list[tuple[str, int | None]] = []
    for raw in USERDICT.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        words.append((normalize_text(parts[0]), freq))
    return words


def tokenizer() -> Any:
    """jieba's tokenizer with the domain words, built on first use and shared."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import logging

                import jieba

                jieba.setLogLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                tok.initialize()
                for word, freq in user_words():
                    tok.add_word(word, freq)
                _tokenizer = tok
    return _tokenizer


@lru_cache(maxsize=4096)
def segment(text: str) -> tuple[Token, ...]:
    """Words of an already normalised text, with their offsets."""
    return tuple(Token(w, a, b) for w, a, b in tokenizer().tokenize(text, HMM=True))


def word_boundaries(text: str) -> frozenset[int]:
    """Offsets in a normalised text where a word starts or ends."""
    bounds = {0, len(text)}
    for tok in segment(text):
        bounds.add(tok.start)
        bounds.add(tok.end)
    return frozenset(bounds)

"""Chinese full-text search over module texts: jieba segmentation, scoring, snippets.

Pure: it takes plain texts and returns hits; the service decides what a user may see.
"""
from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass
from functools import cache

SNIPPET_RADIUS = 40
_PUNCT = re.compile(r"^[\W_]+$", re.UNICODE)


@cache
def _jieba():  # type: ignore[no-untyped-def]
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def terms(query: str) -> list[str]:
    """The words of a query: jieba's search segmentation, plus the whole query."""
    query = query.strip()
    if not query:
        return []
    found = [query]
    for word in _jieba().cut_for_search(query):
        word = word.strip()
        if word and not _PUNCT.match(word) and word not in found:
            found.append(word)
    return found


@dataclass(frozen=True)
class Document:
    key: str
    title: str
    text: str


@dataclass(frozen=True)
class Hit:
    key: str
    title: str
    score: int
    snippet_html: str  # escaped text with <mark> around matches


def plain_text(rendered_html: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", rendered_html)).split())


def search(documents: list[Document], query: str, *, limit: int = 20) -> list[Hit]:
    words = terms(query)
    if not words:
        return []
    whole, parts = words[0], words[1:] or words
    hits = []
    for doc in documents:
        lowered_text, lowered_title = doc.text.lower(), doc.title.lower()
        score = 10 * lowered_text.count(whole.lower()) + 30 * lowered_title.count(whole.lower())
        matched_parts = [w for w in parts if w.lower() in lowered_text or w.lower() in lowered_title]
        # Every word must occur somewhere unless the whole phrase does.
        if score == 0 and len(matched_parts) < len(parts):
            continue
        score += sum(lowered_text.count(w.lower()) + 3 * lowered_title.count(w.lower())
                     for w in matched_parts)
        if score:
            hits.append(Hit(doc.key, doc.title, score, snippet(doc.text, words)))
    hits.sort(key=lambda h: (-h.score, h.key))
    return hits[:limit]


def snippet(text: str, words: list[str]) -> str:
    lowered = text.lower()
    positions = [lowered.find(w.lower()) for w in words if lowered.find(w.lower()) >= 0]
    start = max(0, min(positions) - SNIPPET_RADIUS) if positions else 0
    end = min(len(text), start + 2 * SNIPPET_RADIUS + 20)
    piece = text[start:end]
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)),
                         re.IGNORECASE)
    out, last = [], 0
    for m in pattern.finditer(piece):
        out.append(html.escape(piece[last:m.start()]))
        out.append(f"<mark>{html.escape(m.group(0))}</mark>")
        last = m.end()
    out.append(html.escape(piece[last:]))
    return ("…" if start > 0 else "") + "".join(out) + ("…" if end < len(text) else "")

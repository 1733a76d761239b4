"""Markdown to safe HTML: the extensions trainers need, then an allow-list sanitiser.

Rendering happens once per content version (at import or save), never per request.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from xml.etree.ElementTree import Element

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

# Internal links are written as "other-module.md" or "other-module.md#anchor".
MODULE_LINK_RE = re.compile(r"^(?P<key>[a-z0-9][a-z0-9-]*)\.md(?P<anchor>#[^\s]*)?$")

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt", "em",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "input", "kbd", "label", "li", "mark", "ol",
    "p", "pre", "s", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "div": {"class"},
    "p": {"class"},
    "span": {"class"},
    "li": {"class"},
    "ul": {"class"},
    "label": {"class"},
    "input": {"type", "checked"},
    "code": {"class"},
    "th": {"align", "scope"},
    "td": {"align"},
    "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"},
}
ALLOWED_CLASSES = {
    "div": {"admonition", "tip", "note", "warning", "danger", "toc"},
    "p": {"admonition-title"},
    "ul": {"task-list"},
    "li": {"task-list-item"},
    "label": {"task-list-control"},
    "span": {"task-list-indicator", "toclink"},
}
URL_SCHEMES = {"http", "https", "mailto"}
# Bumped whenever rendering or sanitising changes, so that importing the same files
# again renders every module anew (the version's hash covers source and renderer).
RENDERER_VERSION = "2"


def sanitize(html: str) -> str:
    """Keep only allow-listed tags, attributes, classes and URL schemes.

    No script, no event handlers, no style, no hx-* attributes, no javascript: or
    data: URLs; ids are kept only on headings (for the table of contents).
    """
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    # Inputs become symbols after class filtering, so their own classes survive.
    return _filter_inputs(_filter_classes(cleaned))


_CLASS_ATTR_RE = re.compile(r'<(?P<tag>[a-z0-9]+)(?P<pre>[^>]*?) class="(?P<cls>[^"]*)"')


def _filter_classes(html: str) -> str:
    def keep(match: re.Match[str]) -> str:
        tag = match["tag"]
        allowed = ALLOWED_CLASSES.get(tag, set())
        if tag == "code":
            allowed = {c for c in match["cls"].split() if re.fullmatch(r"language-[a-z0-9+#-]+", c)}
        classes = [c for c in match["cls"].split() if c in allowed]
        if not classes:
            return f"<{tag}{match['pre']}"
        return f'<{tag}{match["pre"]} class="{" ".join(classes)}"'

    return _CLASS_ATTR_RE.sub(keep, html)


_INPUT_RE = re.compile(r"<input\b[^>]*>")


def _filter_inputs(html: str) -> str:
    # Checklists in content are reading material, not form controls: a box drawn as a
    # symbol (hidden from screen readers) and, for ticked items, a spoken "done".
    def keep(match: re.Match[str]) -> str:
        tag = match.group(0)
        if 'type="checkbox"' not in tag:
            return ""
        if re.search(r"\bchecked\b", tag):
            return ('<span class="task-box task-box--done" aria-hidden="true">☑</span>'
                    '<span class="visually-hidden">（已完成）</span>')
        return '<span class="task-box" aria-hidden="true">☐</span>'

    return _INPUT_RE.sub(keep, html)


@dataclass(frozen=True)
class Rendered:
    html: str
    toc_html: str


class _ModuleLinks(Treeprocessor):
    def __init__(self, md: markdown.Markdown, resolve: Callable[[str], str | None]) -> None:
        super().__init__(md)
        self.resolve = resolve

    def run(self, root: Element) -> None:
        for a in root.iter("a"):
            href = a.get("href", "")
            m = MODULE_LINK_RE.match(href)
            if m:
                url = self.resolve(m["key"])
                if url is not None:
                    a.set("href", url + (m["anchor"] or ""))


class _ModuleLinkExtension(Extension):
    def __init__(self, resolve: Callable[[str], str | None]) -> None:
        super().__init__()
        self.resolve = resolve

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.treeprocessors.register(_ModuleLinks(md, self.resolve), "portal_module_links", 5)


def _slugify(value: str, separator: str) -> str:
    # Keep Chinese headings readable in anchors: drop punctuation, keep letters/CJK.
    value = re.sub(r"[^\w\u4e00-\u9fff\s-]", "", value).strip().lower()
    return re.sub(r"[\s_-]+", separator, value) or "section"


def render_markdown(text: str, *, resolve_module: Callable[[str], str | None] = lambda k: None
                    ) -> Rendered:
    md = markdown.Markdown(
        extensions=[
            "tables",
            "fenced_code",
            "admonition",
            "sane_lists",
            "toc",
            "pymdownx.tasklist",
            _ModuleLinkExtension(resolve_module),
        ],
        extension_configs={
            "toc": {"slugify": _slugify, "toc_depth": "2-3", "permalink": False},
            "pymdownx.tasklist": {"custom_checkbox": False, "clickable_checkbox": False},
        },
        output_format="html",
    )
    html = md.convert(text)
    toc = getattr(md, "toc", "")
    return Rendered(html=sanitize(html), toc_html=sanitize(toc))

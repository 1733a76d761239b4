"""Moodle XML question files imported into a bank (export is GIFT's and YAML's job).

Parsed with defusedxml's SAX reader with DTDs forbidden: a file with `<!DOCTYPE …>` is
refused before any entity is declared, so neither an entity bomb nor an external entity
(XXE) is ever expanded or fetched. Elements keep their line for error reports. The
question types map to this portal's kinds as in docs/question-bank-format.md.
"""
from __future__ import annotations

import codecs
import io
import re
import xml.sax
import xml.sax.handler
from dataclasses import dataclass, field
from typing import Any

from defusedxml import (
    DefusedXmlException,
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)
from defusedxml.expatreader import DefusedExpatParser

from portal.content.loader import Problem
from portal.content.parse_errors import xml_reason
from portal.exams import kinds
from portal.exams.bank import ImportResult, decode_utf8
from portal.exams.interop import Importer, imported_tag
from portal.exams.kinds import NUMBER_RE
from portal.exams.markup import html_to_text
from portal.exams.normalize import normalize_number_text
from portal.exams.validation import tidy
from portal.messages import N_, msg

MAX_XML_BYTES = 4 * 1024 * 1024
MAX_ELEMENTS = 200_000
MAX_DEPTH = 32
_ENCODING_RE = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
# Moodle question type -> the kind that reads it (each kind lists its moodle_qtypes).
KIND_OF_QTYPE = {qtype: kind for kind in kinds.KINDS.values() for qtype in kind.moodle_qtypes}
SUPPORTED = tuple(KIND_OF_QTYPE)


@dataclass
class _Element:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[_Element] = field(default_factory=list)
    chunks: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.chunks)

    def child(self, tag: str) -> _Element | None:
        return next((c for c in self.children if c.tag == tag), None)

    def all(self, tag: str) -> list[_Element]:
        return [c for c in self.children if c.tag == tag]

    def value(self, tag: str, default: str = "") -> str:
        """The text of a child: Moodle wraps most texts as <tag><text>…</text></tag>."""
        found = self.child(tag)
        if found is None:
            return default
        inner = found.child("text")
        return (inner.text if inner is not None else found.text).strip()


class _TooLarge(Exception):
    pass


class _Builder(xml.sax.handler.ContentHandler):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[_Element] = []
        self.root: _Element | None = None
        self.count = 0
        self.locator: Any = None

    def setDocumentLocator(self, locator: Any) -> None:
        self.locator = locator

    def line(self) -> int:
        return self.locator.getLineNumber() if self.locator is not None else 1

    def startElement(self, name: str, attrs: Any) -> None:
        self.count += 1
        if self.count > MAX_ELEMENTS or len(self.stack) >= MAX_DEPTH:
            raise _TooLarge
        element = _Element(name, dict(attrs), self.line())
        if self.stack:
            self.stack[-1].children.append(element)
        else:
            self.root = element
        self.stack.append(element)

    def endElement(self, name: str) -> None:
        self.stack.pop()

    def characters(self, content: str) -> None:
        if self.stack:
            self.stack[-1].chunks.append(content)


def _parse(data: bytes, path: str, problems: list[Problem]) -> _Element | None:
    if len(data) > MAX_XML_BYTES:
        problems.append(Problem(path, None, msg(N_("文件超过 %(kb)d KB 上限"), kb=MAX_XML_BYTES // 1024)))
        return None
    declared = _ENCODING_RE.match(data[:300])
    encoding = declared[1].decode("ascii").lower() if declared else "utf-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        pass  # UTF-16 with its byte order mark: expat reads it
    elif encoding in ("utf-8", "utf8"):
        if decode_utf8(data, path, problems, limit=MAX_XML_BYTES) is None:
            return None
    else:  # GBK and friends: expat reads only single-byte encodings, so hand it UTF-8
        recoded = _as_utf8(data, encoding, path, problems)
        if recoded is None:
            return None
        data = recoded
    parser = DefusedExpatParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    builder = _Builder()
    parser.setContentHandler(builder)
    parser.setFeature(xml.sax.handler.feature_namespaces, False)
    parser.setFeature(xml.sax.handler.feature_external_ges, False)
    try:
        parser.parse(io.BytesIO(data))
    except DTDForbidden:
        problems.append(Problem(path, builder.line(), msg(N_(
            "XML 文件含有 DTD 声明（<!DOCTYPE …>），出于安全原因不予导入（可能是实体炸弹或外部实体攻击）；"
            "Moodle 导出的题目文件不含 DTD"))))
    except EntitiesForbidden:
        problems.append(Problem(path, builder.line(), msg(N_(
            "XML 文件声明了实体（<!ENTITY …>），出于安全原因不予导入"))))
    except ExternalReferenceForbidden:
        problems.append(Problem(path, builder.line(), msg(N_(
            "XML 文件引用了外部实体，出于安全原因不予导入"))))
    except DefusedXmlException:
        problems.append(Problem(path, builder.line(), msg(N_("XML 文件含有不安全的内容，不予导入"))))
    except _TooLarge:
        problems.append(Problem(path, builder.line(), msg(
            N_("XML 文件的元素太多或嵌套太深（最多 %(count)d 个元素、%(depth)d 层）"),
            count=MAX_ELEMENTS, depth=MAX_DEPTH)))
    except xml.sax.SAXParseException as exc:  # expat's English reason, said in Chinese
        problems.append(Problem(path, exc.getLineNumber(), xml_reason(exc.getMessage())))
    except xml.sax.SAXException as exc:
        problems.append(Problem(path, builder.line(), xml_reason(exc.getMessage())))
    except ValueError:  # pyexpat refusing an encoding, for one
        problems.append(Problem(path, None, msg(N_("XML 文件无法读取：请用 UTF-8 编码另存后重新上传"))))
    else:
        return builder.root
    return None


def _as_utf8(data: bytes, encoding: str, path: str, problems: list[Problem]) -> bytes | None:
    try:
        codecs.lookup(encoding)
    except LookupError:
        problems.append(Problem(path, 1, msg(N_("不支持的字符编码 %(encoding)s，请另存为 UTF-8"),
                                             encoding=encoding)))
        return None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        problems.append(Problem(path, line, msg(
            N_("不是有效的 %(encoding)s 编码（文件的第 %(pos)d 个字节）"),
            line=line, encoding=encoding, pos=exc.start + 1)))
        return None
    declaration = re.match(r"\s*<\?xml[^>]*\?>", text)
    if declaration:  # dropped, keeping its line breaks so that lines stay right
        text = "\n" * declaration[0].count("\n") + text[declaration.end():]
    return text.encode("utf-8")


# --- questions --------------------------------------------------------------------------


def _rich(element: _Element | None, importer: Importer,
          default: str = "moodle_auto_format") -> str:
    """A Moodle text (with its format attribute) as the Markdown a bank stores."""
    if element is None:
        return ""
    inner = element.child("text")
    text = (inner.text if inner is not None else element.text)
    if element.attrs.get("format", default) == "html":
        text, images = html_to_text(text)
        if images:
            importer.notice(element.line, N_("图片没有导入（只导入文字）"),
                            line=element.line)
    return text.strip()


def _fraction(answer: _Element, importer: Importer) -> float:
    raw = answer.attrs.get("fraction", "0").strip()
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not -100 <= value <= 100:
        importer.problem(answer.line, N_("答案的 fraction=\"%(value)s\" 应为 -100 到 100 之间的数"),
                         value=raw)
        return 0.0
    return value


def _feedback(item: dict[str, Any], answer: _Element, importer: Importer) -> None:
    feedback = _rich(answer.child("feedback"), importer)
    if feedback:
        item["feedback"] = feedback


def _number(text: str) -> int | float | None:
    typed = normalize_number_text(text)
    if not NUMBER_RE.fullmatch(typed):
        return None
    return tidy(float(typed))


@dataclass(frozen=True)
class _Reader:
    """What a kind reads its <question> with (`QuestionKind.from_moodle_xml`)."""

    importer: Importer

    def rich(self, element: _Element | None) -> str:
        return _rich(element, self.importer)

    def fraction(self, answer: _Element) -> float:
        return _fraction(answer, self.importer)

    def feedback(self, item: dict[str, Any], answer: _Element) -> None:
        _feedback(item, answer, self.importer)

    number = staticmethod(_number)

    def problem(self, where: int | None, text: str, /, **params: Any) -> None:
        self.importer.problem(where, text, **params)

    def notice(self, where: int | None, text: str, /, **params: Any) -> None:
        self.importer.notice(where, text, **params)


def _question(element: _Element, importer: Importer) -> None:
    qtype = element.attrs.get("type", "")
    if qtype == "category":
        importer.category(element.value("category"), element.line)
        return
    if qtype == "description":
        importer.notice(element.line, N_("这是说明文字（description），已跳过（本门户只导入题目）"),
                        line=element.line)
        return
    if qtype not in SUPPORTED:
        importer.problem(element.line, N_("不支持的 Moodle 题型 %(type)s（支持：%(allowed)s）"),
                         type=qtype or "?", allowed=", ".join(SUPPORTED))
        return
    raw: dict[str, Any] = {"__line__": element.line,
                           "prompt": _rich(element.child("questiontext"), importer)}
    grade = element.value("defaultgrade", "1")
    points = _number(grade)
    if points is None:
        importer.problem(element.line, N_("defaultgrade %(value)s 不是数"), value=grade)
        return
    raw["points"] = points
    explanation = _rich(element.child("generalfeedback"), importer)
    if explanation:
        raw["explanation"] = explanation
    idnumber = element.value("idnumber")
    if idnumber:
        raw["id"] = idnumber
    tags_element = element.child("tags")
    tags = [imported_tag(t.value("text") or t.text) for t in tags_element.all("tag")] \
        if tags_element is not None else []
    kind = KIND_OF_QTYPE[qtype]
    raw["kind"] = kind.name
    if not kind.from_moodle_xml(raw, element, _Reader(importer)):
        return
    importer.add(raw, element.value("name") or None, tags)


def import_moodle_xml(data: bytes, path: str, *, key: str | None = None,
                      title: str | None = None) -> ImportResult:
    """Import a Moodle XML file as a bank (key and title default to the file's name)."""
    importer = Importer(path)
    root = _parse(data, path, importer.problems)
    if root is None:
        return ImportResult(None, importer.problems, importer.notices)
    if root.tag != "quiz":
        importer.problem(root.line, N_("根元素应为 <quiz>（Moodle XML 题目格式），而不是 <%(tag)s>"),
                         tag=root.tag)
        return ImportResult(None, importer.problems, importer.notices)
    for element in root.all("question"):
        _question(element, importer)
    return importer.finish(key=key, title=title)

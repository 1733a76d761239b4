"""PyYAML's and expat's own (English) error reasons, said in Chinese with what to do.

Each function returns the line to report and a Message without that line in it: the
problem's location is shown once, by whoever lists the problem ("第 2 行：…").
"""
from __future__ import annotations

from typing import Any

import yaml

from portal.messages import N_, Message, msg


def _line_of(mark: Any) -> int | None:
    return mark.line + 1 if mark is not None else None


def _text_line(text: str, line: int | None) -> str:
    if line is None:
        return ""
    lines = text.splitlines()
    return lines[line - 1] if 0 < line <= len(lines) else ""


def yaml_problem(exc: yaml.YAMLError, text: str) -> tuple[int | None, Message]:
    """The line and a Chinese message for an error from PyYAML (pure Python or libyaml)."""
    if isinstance(exc, yaml.reader.ReaderError):  # a character YAML does not allow
        # Where the character first occurs (libyaml counts bytes, PyYAML characters).
        character = exc.character
        if isinstance(character, int):
            character = chr(character)
        found = text.find(character) if isinstance(character, str) and character else -1
        position = max(found, 0)
        return text[:position].count("\n") + 1, msg(
            N_("YAML 格式错误：文件里有不可见的控制字符，请删除它们后重新保存"))
    problem = str(getattr(exc, "problem", None) or "")
    context = str(getattr(exc, "context", None) or "")
    problem_mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    line = _line_of(problem_mark) or _line_of(context_mark)
    start = _line_of(context_mark)
    both = f"{context} {problem}"
    source = _text_line(text, line)
    if "\t" in source[:len(source) - len(source.lstrip())] or "'\\t'" in problem \
            or "tab" in problem:
        return line, msg(N_("YAML 格式错误：用了制表符（Tab）缩进，请改用空格"))
    if "quoted scalar" in context:
        return start or line, msg(N_("YAML 格式错误：引号没有闭合，请在这段文字的末尾补上对应的引号"))
    if "flow sequence" in both or "expected ',' or ']'" in problem:
        return start or line, msg(N_("YAML 格式错误：方括号 [ 没有闭合或其中缺少逗号，请检查 [ ] 是否成对"))
    if "flow mapping" in both or "expected ',' or '}'" in problem:
        return start or line, msg(N_("YAML 格式错误：花括号 { 没有闭合或其中缺少逗号，请检查 { } 是否成对"))
    if "mapping values are not allowed" in problem:
        return line, msg(N_("YAML 格式错误：这里不能出现“: ”，文字中含有冒号时请给整段文字加引号，或检查缩进"))
    if "duplicate anchor" in both:
        return line, msg(N_("YAML 格式错误：锚点（&名字）重复，每个锚点只能定义一次"))
    if "undefined alias" in both or "found undefined" in problem and "alias" in problem:
        return line, msg(N_("YAML 格式错误：引用了没有定义的别名（*名字），请把内容直接写出来"))
    if "constructor for the tag" in problem or "tag handle" in problem or "tag" in context:
        tag = problem.rsplit(" ", 1)[-1].strip("'\"") if "constructor" in problem else ""
        return line, msg(N_("YAML 格式错误：用了不支持的 YAML 标签 %(tag)s：这里只能写普通文字、数字、列表和“字段: 值”；"
                            "以 ! 开头的文字请加引号"), tag=tag)
    if "cannot start any token" in problem:
        return line, msg(N_("YAML 格式错误：这一行以不能开头的字符（如 @ 或 `）开始，请给这段文字加引号"))
    if "special characters are not allowed" in problem or "control characters" in problem:
        return line, msg(N_("YAML 格式错误：文件里有不可见的控制字符，请删除它们后重新保存"))
    if "block end" in problem or "expected key" in problem or "expected ':'" in problem \
            or "block mapping" in both or "block collection" in both or "simple key" in both:
        return line, msg(N_("YAML 格式错误：缩进没有对齐，或缺少“字段: 值”中的冒号，同一层的字段请用相同数量的空格缩进"))
    if "end of stream" in problem:
        return line, msg(N_("YAML 格式错误：文件意外结束，请检查最后几行是否完整（引号、括号是否闭合）"))
    return line, msg(N_("YAML 格式错误：请检查这一行及上一行的缩进、冒号和引号"))


# expat's error codes (xml.parsers.expat.errors) -> what to tell the trainer.
_EXPAT: dict[str, str] = {
    "XML_ERROR_SYNTAX": N_("XML 格式错误：请检查这一行的尖括号和引号"),
    "XML_ERROR_NO_ELEMENTS": N_("XML 格式错误：文件不完整或是空的，请检查文件末尾的结束标签是否齐全"),
    "XML_ERROR_INVALID_TOKEN": N_("XML 格式错误：文件不完整或含有非法字符（例如未转义的 & 或 <），请把 & 写成 &amp;，< 写成 &lt;"),
    "XML_ERROR_UNCLOSED_TOKEN": N_("XML 格式错误：标记没有写完，请检查这一行的尖括号是否闭合"),
    "XML_ERROR_PARTIAL_CHAR": N_("XML 格式错误：文件中有不完整的字符，请用 UTF-8 重新保存文件"),
    "XML_ERROR_TAG_MISMATCH": N_("XML 格式错误：结束标签与开始标签不匹配，请检查这一行的结束标签及其对应的开始标签"),
    "XML_ERROR_DUPLICATE_ATTRIBUTE": N_("XML 格式错误：同一个元素里有重复的属性"),
    "XML_ERROR_JUNK_AFTER_DOC_ELEMENT": N_("XML 格式错误：根元素结束后还有内容，整份文件应只有一个 <quiz> 根元素"),
    "XML_ERROR_UNDEFINED_ENTITY": N_("XML 格式错误：用了未定义的实体（如 &nbsp;），请改成对应的字符，或把 & 写成 &amp;"),
    "XML_ERROR_RECURSIVE_ENTITY_REF": N_("XML 格式错误：实体递归引用自身，不予导入"),
    "XML_ERROR_ASYNC_ENTITY": N_("XML 格式错误：实体使用不当，不予导入"),
    "XML_ERROR_BAD_CHAR_REF": N_("XML 格式错误：字符引用（&#…;）指向了不允许的字符"),
    "XML_ERROR_BINARY_ENTITY_REF": N_("XML 格式错误：实体引用指向了二进制内容，不予导入"),
    "XML_ERROR_MISPLACED_XML_PI": N_("XML 格式错误：<?xml …?> 声明只能写在文件的第一行最前面"),
    "XML_ERROR_UNKNOWN_ENCODING": N_("XML 格式错误：文件声明了不支持的字符编码，请另存为 UTF-8"),
    "XML_ERROR_INCORRECT_ENCODING": N_("XML 格式错误：文件声明的编码与文件的实际编码不一致，请另存为 UTF-8"),
    "XML_ERROR_UNCLOSED_CDATA_SECTION": N_("XML 格式错误：<![CDATA[ 段没有闭合，请补上 ]]>"),
    "XML_ERROR_XML_DECL": N_("XML 格式错误：<?xml …?> 声明写得不对"),
    "XML_ERROR_UNBOUND_PREFIX": N_("XML 格式错误：用了未声明的命名空间前缀"),
}
_EXPAT_BY_MESSAGE: dict[str, str] = {}


def _expat_table() -> dict[str, str]:
    if not _EXPAT_BY_MESSAGE:
        from xml.parsers.expat import errors

        for name, text in _EXPAT.items():
            reason = getattr(errors, name, None)
            if isinstance(reason, str):
                _EXPAT_BY_MESSAGE[reason] = text
    return _EXPAT_BY_MESSAGE


def xml_reason(reason: str) -> Message:
    """A Chinese message for expat's reason (as SAX or ExpatError reports it)."""
    reason = reason.strip()
    for english, text in _expat_table().items():
        if reason == english or reason.startswith(english):
            return msg(text)
    if "unclosed token" in reason or "no element found" in reason:
        return msg(N_("XML 格式错误：文件不完整，请检查文件末尾的结束标签是否齐全"))
    return msg(N_("XML 格式错误：请检查这一行的标签、尖括号和引号"))

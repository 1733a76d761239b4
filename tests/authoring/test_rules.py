"""Pure authoring rules: the tag field, numbers as typed, and line diffs between versions."""
from __future__ import annotations

from portal.authoring.rules import (
    DiffKind,
    diff_counts,
    line_diff,
    links_open_elsewhere,
    normalize_body,
    normalize_roles,
    parse_minutes,
    split_tags,
)


def test_tags_split_on_western_and_chinese_commas_and_the_enumeration_comma() -> None:
    assert split_tags("售后, 退款，物流、 发票 ;售后") == ["售后", "退款", "物流", "发票"]
    assert split_tags("  ") == []


def test_minutes_as_typed_including_full_width_digits() -> None:
    assert parse_minutes("25") == 25
    assert parse_minutes("２５") == 25
    assert parse_minutes("") is None
    assert parse_minutes("二十") is None
    assert parse_minutes("-3") is None


def test_roles_in_canonical_order_unknown_kept_for_the_validator() -> None:
    assert normalize_roles(["after-sales", "all", "boss"]) == ["all", "after-sales", "boss"]


def test_body_is_normalised_like_the_loader_and_counts_lost_leading_lines() -> None:
    assert normalize_body("\r\n\r\n## 标题\r\n正文\r\n\r\n") == ("## 标题\n正文\n", 2)


def test_line_diff_marks_added_and_removed_lines_with_line_numbers() -> None:
    old = "\n".join(f"第{i}行" for i in range(1, 21))
    new = old.replace("第10行", "第十行") + "\n新增的最后一行"
    diff = line_diff(old, new, context=1)
    kinds = [d.kind for d in diff]
    assert DiffKind.SKIPPED in kinds
    removed = next(d for d in diff if d.kind is DiffKind.REMOVED)
    added = [d for d in diff if d.kind is DiffKind.ADDED]
    assert (removed.text, removed.old_number, removed.new_number) == ("第10行", 10, None)
    assert [(d.text, d.new_number) for d in added] == [("第十行", 10), ("新增的最后一行", 21)]
    assert diff[0].kind is DiffKind.SKIPPED and diff[0].skipped == 8
    assert diff_counts(diff) == (2, 1)


def test_identical_texts_have_no_diff() -> None:
    assert line_diff("a\nb\n", "a\nb\n") == []


def test_preview_links_open_in_a_new_tab() -> None:
    html = '<p><a href="/x" rel="noopener noreferrer">x</a></p>'
    assert links_open_elsewhere(html) == (
        '<p><a target="_blank" href="/x" rel="noopener noreferrer">x</a></p>')

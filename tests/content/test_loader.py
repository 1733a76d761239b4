"""The content loader: the shipped content is valid; bad files are reported by file and line."""
from __future__ import annotations

from pathlib import Path

import pytest

from portal.config import PROJECT_ROOT
from portal.content.loader import load_content

TRACK = """key: demo
title: 演示路线
stages:
  - key: one
    title: 第一阶段
    planned: {day: 1, duration: 半天}
    modules: [intro]
    assessment: demo-one
  - key: two
    title: 第二阶段
    planned: {day: 2, duration: 一天}
    modules: [next]
"""

MODULE = """---
title: {title}
summary: 摘要
minutes: 10
tags: [演示]
roles: [all]
---

## 小节

正文，见[下一篇](next.md)。
"""


def write_track(root: Path, track: str = TRACK, modules: dict[str, str] | None = None) -> Path:
    folder = root / "courses" / "demo"
    folder.mkdir(parents=True)
    (folder / "track.yaml").write_text(track, encoding="utf-8")
    for key, text in (modules or {"intro": MODULE.format(title="入门"),
                                  "next": MODULE.format(title="下一篇").replace("(next.md)", "(intro.md)")}).items():
        (folder / f"{key}.md").write_text(text, encoding="utf-8")
    return root / "courses"


def messages(root: Path) -> list[str]:
    return [str(p) for p in load_content(root).problems]


def test_shipped_content_is_valid() -> None:
    content = load_content(PROJECT_ROOT / "courses")
    assert [str(p) for p in content.problems] == []
    keys = {t.key for t in content.tracks}
    assert keys == {"new-hire", "double11"}
    new_hire = next(t for t in content.tracks if t.key == "new-hire")
    assert [s.key for s in new_hire.stages] == ["basics", "operations", "team", "practice"]
    assert len(new_hire.modules) >= 14
    for track in content.tracks:
        for module in track.modules:
            cjk = sum(1 for ch in module.body if "\u4e00" <= ch <= "\u9fff")
            assert cjk >= 600, f"{module.path} is too short ({cjk} characters)"


def test_a_valid_track_loads(tmp_path: Path) -> None:
    content = load_content(write_track(tmp_path))
    assert content.problems == []
    assert [m.key for m in content.tracks[0].modules] == ["intro", "next"]


def test_missing_module_file_is_reported_with_the_track_line(tmp_path: Path) -> None:
    root = write_track(tmp_path, TRACK.replace("modules: [next]", "modules: [next, ghost]"))
    found = messages(root)
    assert any("courses/demo/track.yaml:12" in m and "ghost" in m for m in found), found


def test_bad_front_matter_is_reported_with_its_line(tmp_path: Path) -> None:
    bad = MODULE.format(title="入门").replace("minutes: 10", "minutes: [oops")
    root = write_track(tmp_path, modules={"intro": bad, "next": MODULE.format(title="下一篇")})
    found = messages(root)
    # The line where the bracket opens, once, and what to do, in Chinese.
    assert "courses/demo/intro.md:4: YAML 格式错误：方括号 [ 没有闭合或其中缺少逗号，请检查 [ ] 是否成对" \
        in found, found


def test_missing_title_and_bad_minutes(tmp_path: Path) -> None:
    bad = MODULE.format(title="").replace("minutes: 10", "minutes: 0")
    root = write_track(tmp_path, modules={"intro": bad, "next": MODULE.format(title="下一篇")})
    found = messages(root)
    assert any("intro.md:2" in m and "title" in m for m in found), found
    assert any("minutes" in m for m in found), found


def test_broken_internal_link_is_reported_with_its_line(tmp_path: Path) -> None:
    text = MODULE.format(title="入门").replace("(next.md)", "(nowhere.md#x)")
    root = write_track(tmp_path, modules={"intro": text, "next": MODULE.format(title="下一篇")})
    found = messages(root)
    assert any(m.startswith("courses/demo/intro.md:11") and "nowhere.md#x" in m for m in found), found


def test_duplicate_stage_keys_and_unknown_kind(tmp_path: Path) -> None:
    track = TRACK.replace("key: two", "key: one").replace("modules: [next]", "modules: [next]\n    kind: party")
    found = messages(write_track(tmp_path, track))
    assert any("重复" in m for m in found) and any("party" in m for m in found), found


def test_unreferenced_module_and_bad_assessment_key(tmp_path: Path) -> None:
    track = TRACK.replace("modules: [next]", "modules: []").replace("demo-one", "Demo One")
    found = messages(write_track(tmp_path, track))
    assert any("next" in m and "没有被任何阶段引用" in m for m in found), found
    assert any("assessment" in m for m in found), found


def test_invalid_utf8_is_reported_with_position(tmp_path: Path) -> None:
    root = write_track(tmp_path)
    good = MODULE.format(title="入门").encode("utf-8")
    (root / "demo" / "intro.md").write_bytes(good + b"\xff\xfe")
    found = messages(root)
    line = good.count(b"\n") + 1
    # Counted from 1, as the question banks' reader says it (the first bad byte is there).
    assert any(m.endswith(f"intro.md:{line}: 不是有效的 UTF-8 编码（文件的第 {len(good) + 1} 个字节）")
               for m in found), found


def test_yaml_tags_are_refused(tmp_path: Path) -> None:
    track = TRACK.replace("title: 演示路线", "title: !!python/object/apply:os.system ['true']")
    found = messages(write_track(tmp_path, track))
    assert any("track.yaml:2" in m and "YAML" in m for m in found), found


@pytest.mark.parametrize("name", ["Bad_Name", "空格 名"])
def test_bad_module_file_names(tmp_path: Path, name: str) -> None:
    root = write_track(tmp_path)
    (root / "demo" / f"{name}.md").write_text(MODULE.format(title="x"), encoding="utf-8")
    assert any("文件名" in m for m in messages(root))


def test_assessments_must_name_a_defined_exam(tmp_path: Path) -> None:
    root = write_track(tmp_path)
    assert load_content(root, known_exams={"demo-one"}).problems == []
    found = [str(p) for p in load_content(root, known_exams=set()).problems]
    assert any("courses/demo/track.yaml:8" in m and "demo-one" in m for m in found), found


def test_shipped_assessments_all_have_exams() -> None:
    import yaml

    keys = {yaml.safe_load(p.read_text(encoding="utf-8"))["key"]
            for p in (PROJECT_ROOT / "question_banks" / "exams").glob("*.yaml")}
    assert load_content(PROJECT_ROOT / "courses", known_exams=keys).problems == []


def test_a_team_integration_stage_takes_no_exam(tmp_path: Path) -> None:
    track = TRACK.replace("    modules: [next]\n", """    modules: [next]
    kind: team-integration
    assessment: demo-two
    checklist:
      - {key: cs-group, title: 客服群, purpose: 日常工作群, rules: 用订单号指代订单}
""")
    found = messages(write_track(tmp_path, track))
    assert any("courses/demo/track.yaml:14" in m and "融入团队阶段以清单为考核" in m
               for m in found), found


def test_module_front_matter_and_track_files_refuse_yaml_aliases(tmp_path: Path) -> None:
    bomb = MODULE.format(title="入门").replace("summary: 摘要", "summary: &a 摘要\ntags2: *a")
    found = messages(write_track(tmp_path, modules={
        "intro": bomb, "next": MODULE.format(title="下一篇").replace("(next.md)", "(intro.md)")}))
    assert "courses/demo/intro.md:3: 文件不允许使用 YAML 锚点（&a）" in found, found
    other = tmp_path / "other"
    other.mkdir()
    track = TRACK.replace("title: 演示路线", "title: &t 演示路线\nsummary: *t")
    found = messages(write_track(other, track=track))
    assert any(m.endswith("track.yaml:2: 文件不允许使用 YAML 锚点（&t）") for m in found), found

"""A bank file byte for byte as last imported is recognised by its hash (`file_hash`: its
bytes and the reader's code) with one statement and not read again; any other file is read
and imported as before, and nothing that could make the outcome differ is skipped."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Self

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.exams import bank as bank_module
from portal.exams import services
from portal.exams.bank import build_bank, file_hash, load_bank, load_banks
from portal.exams.errors import ImportInvalid
from portal.exams.models import Question, QuestionBank, QuestionVersion
from portal.exams.validation import Report
from tests.exams.import_fixtures import bank_text as _bank_text


def _files(*specs: tuple[str, int]) -> list[tuple[str, bytes]]:
    return [(f"{key}.yaml", _bank_text(key, n).encode()) for key, n in specs]


def _import(session: Session, files: list[tuple[str, bytes]], now: datetime,
            ) -> tuple[list[services.KnownBankFile], services.ImportPlan]:
    """As `flask exams import` does: recognise, read the rest, import."""
    known = services.known_bank_files(session, files)
    banks, problems = load_banks(files, known={k.path: k.key for k in known})
    assert problems == []
    plan = services.apply_import(session, banks=banks, exams=[], actor_id=None, now=now,
                                 known=known)
    session.commit()
    return known, plan


class _Counter:
    def __init__(self, session: Session) -> None:
        self.engine, self.seen = session.get_bind(), []

    def _record(self, conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if statement.split()[0].upper() != "BEGIN":
            self.seen.append(statement.split()[0].upper())

    def __enter__(self) -> Self:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


def _version_count(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(QuestionVersion)) or 0


def test_unchanged_files_are_recognised_with_one_select_and_import_with_one_more(
        session: Session, now: datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    files = _files(("first-bank", 30), ("second-bank", 60))
    known, plan = _import(session, files, now)
    assert known == [] and len(plan.new) == 90
    versions = _version_count(session)

    def never(*args: object) -> object:
        raise AssertionError("a recognised file was read")

    monkeypatch.setattr(bank_module, "load_bank", never)
    with _Counter(session) as counter:
        known, plan = _import(session, files, now + timedelta(days=1))
    assert [k.key for k in known] == ["first-bank", "second-bank"]
    assert [len(k.qids) for k in known] == [30, 60]
    # One SELECT to recognise the files, one in the import's transaction to see that they
    # are still stored with that hash; nothing written.
    assert counter.seen == ["SELECT", "SELECT"]
    assert not plan.touched and len(plan.unchanged) == 90
    assert "question:first-bank/q0000" in plan.unchanged
    assert _version_count(session) == versions


def test_a_changed_byte_is_read_again_and_a_changed_question_imported(
        session: Session, now: datetime) -> None:
    _import(session, _files(("demo-bank", 6)), now)
    # A comment only: read again (a different file hash), nothing new but the stored hash.
    path, data = _files(("demo-bank", 6))[0]
    commented = [(path, b"# a comment\n" + data)]
    known, plan = _import(session, commented, now)
    assert known == [] and not plan.touched and len(plan.unchanged) == 6
    assert session.scalar(sa.select(QuestionBank.file_hash)) == file_hash(commented[0][1])
    assert services.known_bank_files(session, commented)[0].key == "demo-bank"
    # One question's text changed by one character: read and imported as a new version.
    changed = [(path, _bank_text("demo-bank", 6, changed=frozenset({1})).encode())]
    known, plan = _import(session, changed, now)
    assert known == [] and plan.changed == ["question:demo-bank/q0001"]
    # The original file again: not the stored bytes, so it is read and q0001 restored.
    known, plan = _import(session, _files(("demo-bank", 6)), now)
    assert known == [] and plan.changed == ["question:demo-bank/q0001"]


def test_a_bank_changed_in_the_portal_is_never_recognised_by_its_old_file(
        session: Session, now: datetime) -> None:
    files = _files(("demo-bank", 4))
    _import(session, files, now)
    # What the question editor does: a bank built from data (no file), imported.
    edited = build_bank({"key": "demo-bank", "title": "题库 demo-bank", "__line__": 1,
                         "questions": [{"id": "q0000", "kind": "true-false", "__line__": 2,
                                        "prompt": "改过的题", "points": 1,
                                        "answer": True}]},
                        report := Report("demo-bank", line=1))
    assert edited is not None and edited.file_hash == "", report.problems
    services.apply_import(session, banks=[edited], exams=[], actor_id=None, now=now)
    session.commit()
    assert session.scalar(sa.select(QuestionBank.file_hash)) is None
    known, plan = _import(session, files, now)
    # Read again: q0000 restored, the three the edit retired brought back.
    assert known == [] and plan.changed == [f"question:demo-bank/q{n:04d}" for n in range(4)]


def test_the_readers_code_is_in_the_hash(session: Session, now: datetime,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    files = _files(("demo-bank", 4))
    _import(session, files, now)
    assert len(services.known_bank_files(session, files)) == 1
    monkeypatch.setattr(bank_module, "reader_fingerprint", lambda: b"another validator")
    assert services.known_bank_files(session, files) == []


def test_the_fingerprint_covers_every_portal_module_the_bank_reader_imports() -> None:
    import subprocess
    import sys

    loaded = subprocess.run(
        [sys.executable, "-c", ("import sys, portal.exams.bank, portal.exams.kinds; "
                                "print('\\n'.join(m for m in sys.modules if m.startswith('portal')))")],
        capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2]).stdout.split()
    names = [(m + ".__init__").split(".")[1] for m in loaded]
    covered = [m for m, name in zip(loaded, names, strict=True)
               if name in bank_module._READER_PACKAGES
               or f"{name}.py" in bank_module._READER_MODULES]
    assert sorted(covered) == sorted(loaded)


def test_two_files_with_the_same_bytes_are_both_read_and_their_key_refused(
        session: Session, now: datetime) -> None:
    files = _files(("demo-bank", 4))
    _import(session, files, now)
    copies = files + [("copy.yaml", files[0][1])]
    known = services.known_bank_files(session, copies)
    assert known == []
    banks, problems = load_banks(copies, known={})
    assert banks == [] and "demo-bank" in str(problems[0].message)


def test_a_recognised_files_key_still_counts_for_the_other_files(
        session: Session, now: datetime) -> None:
    files = _files(("demo-bank", 4))
    _import(session, files, now)
    other = ("other.yaml", _bank_text("demo-bank", 2).encode())
    known = services.known_bank_files(session, files + [other])
    assert [k.path for k in known] == ["demo-bank.yaml"]
    banks, problems = load_banks(files + [other], known={k.path: k.key for k in known})
    assert banks == [] and [p.path for p in problems] == ["other.yaml"]
    assert "demo-bank.yaml" in str(problems[0].message)


def test_a_bank_written_after_it_was_recognised_refuses_the_import(
        session: Session, now: datetime) -> None:
    files = _files(("demo-bank", 4))
    _import(session, files, now)
    known = services.known_bank_files(session, files)
    # Someone imports another version of the bank in between.
    changed, _ = load_bank(_bank_text("demo-bank", 4, changed=frozenset({0})).encode(), "x.yaml")
    assert changed is not None
    services.apply_import(session, banks=[changed], exams=[], actor_id=None, now=now)
    session.commit()
    with pytest.raises(ImportInvalid):
        services.apply_import(session, banks=[], exams=[], actor_id=None, now=now, known=known)
    session.rollback()
    prompt = session.scalar(sa.select(QuestionVersion.data["prompt"].as_string())
                            .join(Question, Question.current_version_id == QuestionVersion.id)
                            .where(Question.qid == "q0000"))
    assert "（改）" in prompt


def test_flask_exams_import_does_not_read_unchanged_files_again(
        app: Flask, tmp_path: Path) -> None:
    root = tmp_path / "question_banks"
    (root / "banks").mkdir(parents=True)
    (root / "exams").mkdir()
    for path, data in _files(("first-bank", 3), ("second-bank", 2)):
        (root / "banks" / path).write_bytes(data)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["exams", "import", "--path", str(root)])
    assert first.exit_code == 0, first.output
    assert "new: 5, changed: 0, unchanged: 0" in first.output
    (root / "banks" / "second-bank.yaml").write_bytes(
        _bank_text("second-bank", 2, changed=frozenset({1})).encode())
    again = runner.invoke(args=["exams", "import", "--path", str(root)])
    assert again.exit_code == 0, again.output
    assert "1 bank file(s) byte for byte as last imported" in again.output
    assert "new: 0, changed: 1, unchanged: 4, removed: 0" in again.output
    dry = runner.invoke(args=["exams", "import", "--dry-run", "--path", str(root)])
    assert "2 bank file(s) byte for byte" in dry.output
    assert "new: 0, changed: 0, unchanged: 5, removed: 0" in dry.output


def test_the_shipped_folder_imported_again_is_unchanged_and_its_exams_still_check(
        app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["exams", "import"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(args=["exams", "import", "--dry-run"])
    assert again.exit_code == 0, again.output
    assert "byte for byte as last imported" in again.output

    def exam_lint(output: str) -> list[str]:  # the exams' coverage warnings
        return [line for line in output.splitlines() if line.startswith("question_banks/exams")]

    assert exam_lint(again.output) == exam_lint(first.output)
    # Every question unchanged, the exams' picks checked against the stored banks (a pool
    # without them would be a problem of the plan).
    new = next(line for line in first.output.splitlines() if line.startswith("new: "))
    count = new.split(",")[0].removeprefix("new: ")
    summary = next(line for line in again.output.splitlines() if line.startswith("new: "))
    assert summary == f"new: 0, changed: 0, unchanged: {count}, removed: 0"
    assert "problem" not in again.output

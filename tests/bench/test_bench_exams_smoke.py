"""The exams benchmark runs end to end, checks what it claims to check, and returns numbers
(no timing thresholds)."""
from __future__ import annotations

import math

import pytest

from bench import __main__ as bench_cli
from bench import exams
from bench.support import gunicorn_available
from portal.exams import answers, kinds
from portal.exams.bank import MAX_QUESTIONS, load_bank
from tests.postgres_support import unavailable


def _bench_bank_views() -> list[kinds.PublicQuestion]:
    bank, problems = load_bank(exams.BANK.encode("utf-8"), "bench-bank.yaml")
    assert bank is not None, problems
    return [kinds.public_view(q.definition) for q in bank.questions]


def test_every_kind_gets_a_form_the_app_reads_as_an_answer() -> None:
    files = exams.generated_bank_files(len(exams.KINDS_CYCLE))
    bank, problems = load_bank(files[0][1], files[0][0])
    assert bank is not None, problems
    views = [kinds.public_view(q.definition) for q in bank.questions] + _bench_bank_views()
    assert {v.kind for v in views} == set(exams.KINDS_CYCLE)
    for view in views:
        for variant in (1, 2, 3):
            answer = exams.expected_answer(view, exams.answer_form(view, variant))
            assert answers.is_answered(answer), (view.kind, variant, answer)
    # Text answers carry the variant, so two revisions never send the same answer.
    for view in views:
        if view.kind in ("fill-in", "numeric", "short-answer", "operation-task", "case"):
            first, second = (exams.expected_answer(view, exams.answer_form(view, v))
                             for v in (1, 2))
            assert first != second, view.kind


def test_an_acknowledged_save_missing_or_different_in_the_database_is_reported() -> None:
    acked = {(1, 1): (5, "a"), (1, 2): (3, ["x"]), (2, 1): (2, True), (2, 2): (1, "b")}
    stored = {(1, 1): (5, "a"), (1, 2): (2, ["old"]), (2, 1): (2, False), (2, 2): (4, "c")}
    check = exams.compare_saves(acked, stored, acknowledged=11)
    assert (check.acknowledged, check.answers, check.newer) == (11, 4, 1)
    assert check.lost == ["attempt 1 question 2: revision 3 acknowledged, 2 stored"]
    assert len(check.differs) == 1 and check.differs[0].startswith("attempt 2 question 1")
    assert not check.ok
    assert exams.compare_saves({(1, 1): (5, "a")}, {(1, 1): (5, "a")}, acknowledged=3).ok
    assert not exams.compare_saves({(1, 1): (1, "a")}, {}, acknowledged=1).ok


def test_the_generated_bank_has_every_kind_in_files_the_format_accepts() -> None:
    files = exams.generated_bank_files(MAX_QUESTIONS + 20)
    assert len(files) == 2
    counted = 0
    for path, data in files:
        bank, problems = load_bank(data, path)
        assert bank is not None, [str(p) for p in problems[:3]]
        counted += len(bank.questions)
        assert {q.kind for q in bank.questions} == set(exams.KINDS_CYCLE) or len(
            bank.questions) < len(exams.KINDS_CYCLE)
    assert counted == MAX_QUESTIONS + 20


def test_the_command_line_refuses_unbounded_or_empty_runs() -> None:
    for args in (["--trainees", "0"], ["--trainees", "100000"], ["--seconds", "0"],
                 ["--seconds", "1000"], ["--rounds", "0"], ["--questions", "-1"],
                 ["--questions", "10000000"], ["--workers", "0"], ["--only", "chat"],
                 ["--only", "import", "--questions", "0"]):
        with pytest.raises(SystemExit):
            exams.parse_args(args)
    assert exams.parse_args(["--trainees", "20", "--questions", "0"]).questions == 0
    assert exams.parse_args(["--only", "import"]).only == "import"


def test_only_the_import_runs_its_rounds_and_checks_them(capsys: pytest.CaptureFixture[str],
                                                         ) -> None:
    assert exams.main(["--only", "import", "--questions", "30", "--rounds", "2"]) == 0
    text = capsys.readouterr().out
    assert text.count("round ") == 2 and text.count("same rows in both databases: yes") == 2
    assert "changed nothing" in text and "autosave" not in text


def test_python_m_bench_without_a_name_runs_every_benchmark(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    ran: list[tuple[str, list[str]]] = []

    def fake(name: str, status: int):
        def main(argv):  # type: ignore[no-untyped-def]
            ran.append((name, list(argv)))
            return status
        return main

    from bench import analytics, chat, courses, dashboard, placement

    monkeypatch.setattr(courses, "main", fake("courses", 0))
    monkeypatch.setattr(exams, "main", fake("exams", 1))
    monkeypatch.setattr(chat, "main", fake("chat", 0))
    monkeypatch.setattr(placement, "main", fake("placement", 0))
    monkeypatch.setattr(dashboard, "main", fake("dashboard", 0))
    monkeypatch.setattr(analytics, "main", fake("analytics", 0))
    assert bench_cli.main([]) == 1  # the worst status of them all
    assert ran == [("courses", []), ("exams", []), ("chat", []), ("placement", []),
                   ("dashboard", []), ("analytics", [])]
    ran.clear()
    assert bench_cli.main(["exams", "--trainees", "5"]) == 1
    assert ran == [("exams", ["--trainees", "5"])]
    assert bench_cli.main(["--seconds", "3"]) == 2
    assert "options go after a benchmark's name" in capsys.readouterr().err
    assert bench_cli.main(["--list"]) == 0
    assert capsys.readouterr().out.split() == ["courses", "exams", "chat", "placement",
                                               "dashboard", "analytics", "classroom", "faults"]
    ran.clear()
    assert bench_cli.main(["chat", "--seconds", "5"]) == 0
    assert ran == [("chat", ["--seconds", "5"])]


@pytest.mark.parametrize("server", ["gunicorn", "werkzeug"])
def test_a_tiny_run_saves_submits_sweeps_imports_and_loses_nothing(server: str) -> None:
    if server == "gunicorn" and not gunicorn_available():
        # gunicorn is a dependency of the portal: without it the install is broken.
        unavailable("gunicorn is not importable (pip install -e '.[test]') or this is not POSIX")
    report = exams.run(exams.Options(trainees=3, seconds=0.3, warmup=1, questions=30,
                                     server=server))

    for result in report.results:
        assert result.ok > 0, f"{result.endpoint.name}: no successful response {result.errors}"
        assert result.error_count == 0, f"{result.endpoint.name}: {result.errors}"
        assert result.elapsed > 0 and result.throughput > 0
        assert 0 < result.p50 <= result.p95
    assert report.questions_per_attempt == 8

    saves = report.saves
    assert saves.ok and saves.acknowledged >= report.autosave.ok > 0 and saves.answers > 0
    for check in (report.submitted, report.resubmitted, report.sweep.check):
        assert check.ok, check.problems
        assert check.once == check.scored == 3
    assert report.submitted.by == "trainee" and report.sweep.check.by == "deadline"
    assert report.sweep.attempts == 3

    imported = report.imported
    assert imported is not None and imported.same_rows and not imported.reimport_touched
    assert imported.questions == 30 and imported.files == 1
    assert imported.import_statements > imported.bulk_statements > 0

    assert not report.failed
    for r in report.ratios:
        assert math.isfinite(r.throughput) and r.throughput > 0
        assert math.isfinite(r.p95) and r.p95 > 0
    text = exams.format_report(report)
    assert "autosave/bare" in text and "submit/bare-burst" in text
    assert "lost 0, answer differs 0" in text and "same rows in both databases: yes" in text

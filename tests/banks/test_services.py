"""Bank services: uploads checked as a dry run and imported all or nothing, the browser,
exports, and the editor saving new versions through the import path."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.audit.models import AuditEvent
from portal.auth.models import Role
from portal.banks import rules, services
from portal.banks.errors import (
    NothingChanged,
    PlanChanged,
    QuestionInvalid,
    UploadRefused,
    VersionChanged,
)
from portal.banks.rules import Change, QuestionFilter
from portal.errors import NotFound
from portal.exams import services as exam_services
from portal.exams.bank import load_bank
from portal.exams.gift import import_gift
from portal.exams.models import Question, QuestionBank, QuestionVersion
from tests.banks.bank_fixtures import CATEGORISED_GIFT, EXAM, SENTINEL, SMALL_BANK
from tests.exams.examples import FIXTURES, docs_example, docs_example_text
from tests.exams.gift_corpora import CORPORA, Corpus
from tests.factories import import_categorised_bank, import_small_bank, make_user, upload

# Moodle's own examples file, as the issue names it (tests/exams/fixtures holds a copy).


def versions(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(QuestionVersion)) or 0


def audits(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                          .where(AuditEvent.action == "exams.import")) or 0


def problem_texts(check: services.UploadCheck) -> list[str]:
    return [str(p) for p in check.problems]


# --- uploads ----------------------------------------------------------------------------


def test_a_valid_yaml_bank_is_a_dry_run_until_confirmed(session: Session, now: datetime) -> None:
    trainer = make_user(session, role=Role.TRAINER)
    files = [upload("after-sales-small.yaml", SMALL_BANK)]
    check = services.check_upload(session, files=files)
    assert check.ok and check.problems == []
    assert check.report is not None
    assert check.report.questions[Change.NEW] == {
        "after-sales-small": ["promise-01", "invoice-01", "aov-01", "groups-01"]}
    assert [(f.name, f.format, f.bank_key, f.questions) for f in check.files] == [
        ("after-sales-small.yaml", rules.FileFormat.BANK, "after-sales-small", 4)]
    assert versions(session) == 0  # the dry run wrote nothing

    services.confirm_upload(session, files=files, expected_digest=check.digest,
                            actor_id=trainer.id, now=now)
    assert versions(session) == 4
    bank = session.scalars(sa.select(QuestionBank)).one()
    assert bank.key == "after-sales-small" and bank.title == "售后小题库"
    event = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "exams.import")).one()
    assert event.actor_id == trainer.id


def test_importing_the_same_file_again_shows_all_unchanged_and_changes_nothing(
        session: Session, now: datetime) -> None:
    import_small_bank(session, now=now)
    before = (versions(session), audits(session))
    files = [upload("after-sales-small.yaml", SMALL_BANK)]
    check = services.check_upload(session, files=files)
    assert check.ok and check.report is not None and not check.report.touched
    assert check.report.count(Change.UNCHANGED) == 4
    services.confirm_upload(session, files=files, expected_digest=check.digest, actor_id=None,
                            now=now + timedelta(days=1))
    assert (versions(session), audits(session)) == before


def test_a_changed_and_a_removed_question_are_reported_then_versioned_and_retired(
        session: Session, now: datetime) -> None:
    import_small_bank(session, now=now)
    changed = SMALL_BANK.replace("买家多付的钱可以开进发票。", "买家多付的钱不能开进发票吗？")
    changed = changed.split("  - id: groups-01")[0]
    files = [upload("after-sales-small.yaml", changed)]
    check = services.check_upload(session, files=files)
    assert check.report is not None
    assert check.report.questions[Change.CHANGED] == {"after-sales-small": ["invoice-01"]}
    assert check.report.questions[Change.REMOVED] == {"after-sales-small": ["groups-01"]}
    assert check.report.count(Change.UNCHANGED) == 2
    services.confirm_upload(session, files=files, expected_digest=check.digest, actor_id=None,
                            now=now)
    q = {q.qid: q for q in session.scalars(sa.select(Question))}
    assert q["invoice-01"].current_version.number == 2 and q["groups-01"].retired


def test_problems_name_file_and_line_and_nothing_is_imported(session: Session,
                                                             now: datetime) -> None:
    broken = SMALL_BANK.replace("kind: true-false", "kind: true-or-false")
    files = [upload("good.yaml", SMALL_BANK.replace("after-sales-small", "other-bank")),
             upload("broken.yaml", broken)]
    check = services.check_upload(session, files=files)
    assert not check.ok and check.report is None
    line = broken.split("\n").index("    kind: true-or-false") + 1
    assert any(t.startswith(f"broken.yaml:{line}: 未知的题型 true-or-false")
               for t in problem_texts(check)), problem_texts(check)
    assert [len(f.problems) for f in check.files] == [0, 1]
    with pytest.raises(UploadRefused):
        services.confirm_upload(session, files=files, expected_digest=check.digest,
                                actor_id=None, now=now)
    assert versions(session) == 0  # not even the good file


def test_a_bank_and_an_exam_import_together(session: Session, now: datetime) -> None:
    files = [upload("small-exam.yaml", EXAM), upload("after-sales-small.yaml", SMALL_BANK)]
    check = services.check_upload(session, files=files)
    assert check.ok, problem_texts(check)
    assert check.files[0].format is rules.FileFormat.EXAM and check.files[0].exam_key == "small-exam"
    assert check.report is not None and check.report.exams[Change.NEW] == ["small-exam"]
    services.confirm_upload(session, files=files, expected_digest=check.digest, actor_id=None,
                            now=now)
    assert exam_services.get_exam(session, "small-exam").current_version is not None


def test_an_exam_whose_questions_cannot_be_drawn_is_a_problem(session: Session) -> None:
    exam = EXAM.replace("after-sales-small/promise-01", "after-sales-small/missing-01")
    check = services.check_upload(session, files=[upload("after-sales-small.yaml", SMALL_BANK),
                                                  upload("small-exam.yaml", exam)])
    assert not check.ok
    assert problem_texts(check) == [
        "small-exam.yaml: 考试引用的题目 after-sales-small/missing-01 不存在或已停用"]


def test_an_import_that_would_break_an_existing_exam_is_refused(session: Session,
                                                               now: datetime) -> None:
    import_small_bank(session, now=now, with_exam=True)
    without_hard = SMALL_BANK.replace("difficulty: hard", "difficulty: medium")
    check = services.check_upload(session, files=[upload("after-sales-small.yaml", without_hard)])
    assert not check.ok
    assert "已有的考试“售后小测”（small-exam）将无法组卷" in problem_texts(check)[0]


@pytest.mark.parametrize("corpus", CORPORA)
def test_a_gift_corpus_imports_into_the_bank_chosen_in_the_form(session: Session, now: datetime,
                                                                corpus: Corpus) -> None:
    data = corpus.read()
    expected = import_gift(data, corpus.file_name, key="chosen-bank").bank
    assert expected is not None
    files = [services.UploadedFile(corpus.file_name, data, "chosen-bank", "表单中填写的题库")]
    check = services.check_upload(session, files=files)
    assert check.ok, problem_texts(check)
    assert check.files[0].bank_key == "chosen-bank" and check.files[0].default_key == corpus.key
    services.confirm_upload(session, files=files, expected_digest=check.digest, actor_id=None,
                            now=now)
    stored = {q.qid: q.current_version.data for q in session.scalars(sa.select(Question))}
    assert stored == {q.id: q.definition.to_data() for q in expected.questions}  # titles, categories too
    assert session.scalars(sa.select(QuestionBank)).one().title == "表单中填写的题库"


def test_a_gift_file_without_a_key_is_named_after_the_file(session: Session) -> None:
    check = services.check_upload(session, files=[upload("KPI Quiz.gift", "::q1:: 客单价=销售额/订单数 {T}")])
    assert check.ok and check.files[0].bank_key == "kpi-quiz"


def test_gift_problems_come_with_their_line(session: Session) -> None:
    text = "::ok:: 对吗 {T}\n\n\n::bad:: 客单价 {#abc}\n"
    check = services.check_upload(session, files=[upload("kpi.gift", text, key="kpi")])
    assert not check.ok
    assert all(t.startswith("kpi.gift:4:") for t in problem_texts(check)), problem_texts(check)


def test_moodle_xml_imports(session: Session) -> None:
    data = (FIXTURES / "moodle_sample.xml").read_bytes()
    check = services.check_upload(session, files=[services.UploadedFile("moodle_sample.xml", data)])
    assert check.ok and check.files[0].bank_key == "moodle-sample" and check.files[0].questions == 8


@pytest.mark.parametrize("name", ["billion_laughs.xml", "xxe.xml", "xxe_parameter.xml"])
def test_hostile_xml_is_refused_and_nothing_imported(session: Session, name: str) -> None:
    check = services.check_upload(
        session, files=[services.UploadedFile(name, (FIXTURES / name).read_bytes())])
    assert not check.ok and check.banks == []
    assert "出于安全原因不予导入" in problem_texts(check)[0]
    assert "root:" not in repr(check)


def test_hostile_yaml_is_refused_even_as_an_exam(session: Session) -> None:
    bomb = "key: bomb\ntitle: x\npass_mark: &a [1, 2]\nattempts: *a\nquestions: {fixed: []}\n"
    check = services.check_upload(session, files=[upload("exam.yaml", bomb)])
    assert problem_texts(check) == ["exam.yaml:3: 文件不允许使用 YAML 锚点（&a）"]
    tagged = "key: x\ntitle: !!python/object:os.system x\nquestions: []\n"
    check = services.check_upload(session, files=[upload("x.yaml", tagged)])
    assert "不允许使用 YAML 标签" in problem_texts(check)[0]


def test_invalid_utf8_is_reported_with_its_position(session: Session) -> None:
    data = "key: x\ntitle: 题库\n".encode() + b"prompt: \xff\n"
    check = services.check_upload(session, files=[services.UploadedFile("x.yaml", data)])
    assert problem_texts(check) == ["x.yaml:3: 不是有效的 UTF-8 编码（文件的第 30 个字节）"]


def test_unsupported_too_many_and_too_big_uploads_are_refused(session: Session) -> None:
    check = services.check_upload(session, files=[upload("名单.csv", "a,b")])
    assert "不支持的文件类型" in problem_texts(check)[0]
    assert problem_texts(services.check_upload(session, files=[])) == [": 请选择要导入的文件"]
    many = [upload(f"b{i}.yaml", "key: x") for i in range(services.MAX_UPLOAD_FILES + 1)]
    assert "一次最多导入 20 个文件" in problem_texts(services.check_upload(session, files=many))[0]
    big = [services.UploadedFile("big.xml", b" " * (services.MAX_UPLOAD_BYTES + 1))]
    assert "合计超过 4 MB" in problem_texts(services.check_upload(session, files=big))[0]
    one_big = [services.UploadedFile("big.yaml", b"#" * (1024 * 1024 + 1))]
    assert "文件超过 1024 KB 上限" in problem_texts(services.check_upload(session, files=one_big))[0]


def test_a_bank_key_used_by_two_files_is_a_problem(session: Session) -> None:
    check = services.check_upload(session, files=[
        upload("a.yaml", SMALL_BANK), upload("b.gift", "::q:: 对吗 {T}", key="after-sales-small")])
    assert problem_texts(check) == ["b.gift: 题库 key after-sales-small 与 a.yaml 重复"]


def test_confirming_imports_only_what_was_reviewed(session: Session, now: datetime) -> None:
    files = [upload("after-sales-small.yaml", SMALL_BANK)]
    check = services.check_upload(session, files=files)
    # Meanwhile someone else imports a changed version of the bank.
    import_small_bank(session, now=now)
    with pytest.raises(PlanChanged) as exc:
        services.confirm_upload(session, files=files, expected_digest=check.digest,
                                actor_id=None, now=now)
    assert exc.value.check.report is not None and not exc.value.check.report.touched
    # A different key for a GIFT file than the one reviewed is not imported either.
    gift_files = [upload("q.gift", "::q:: 对吗 {T}", key="bank-a")]
    reviewed = services.check_upload(session, files=gift_files)
    with pytest.raises(PlanChanged):
        services.confirm_upload(session, files=[upload("q.gift", "::q:: 对吗 {T}", key="bank-b")],
                                expected_digest=reviewed.digest, actor_id=None, now=now)
    assert session.scalar(sa.select(QuestionBank).where(QuestionBank.key.in_(["bank-a", "bank-b"]))) is None


def test_a_blank_key_and_the_default_key_are_the_same_review(session: Session, now: datetime) -> None:
    check = services.check_upload(session, files=[upload("kpi.gift", "::q:: 对吗 {T}")])
    services.confirm_upload(session, files=[upload("kpi.gift", "::q:: 对吗 {T}", key="kpi", title="kpi")],
                            expected_digest=check.digest, actor_id=None, now=now)
    assert services.get_bank(session, "kpi").title == "kpi"


# --- browsing and export ----------------------------------------------------------------


def test_the_overview_counts_questions_by_state_and_kind(session: Session, now: datetime) -> None:
    import_small_bank(session, now=now)
    removed = SMALL_BANK.split("  - id: groups-01")[0]
    files = [upload("after-sales-small.yaml", removed)]
    check = services.check_upload(session, files=files)
    services.confirm_upload(session, files=files, expected_digest=check.digest, actor_id=None,
                            now=now)
    (summary,) = services.bank_overview(session)
    assert (summary.active, summary.retired) == (3, 1)
    assert summary.kinds == {"single-choice": 1, "true-false": 1, "numeric": 1}


def test_the_listing_filters_by_kind_difficulty_tag_text_and_status(session: Session,
                                                                    now: datetime) -> None:
    import_small_bank(session, now=now)

    def ids(**kw: str) -> list[str]:
        listing = services.bank_listing(session, bank_key="after-sales-small",
                                        filters=QuestionFilter(**kw))
        return [r.question.qid for r in listing.rows]

    assert ids() == ["promise-01", "invoice-01", "aov-01", "groups-01"]
    assert ids(kind="numeric") == ["aov-01"]
    assert ids(difficulty="easy") == ["promise-01", "invoice-01"]
    assert ids(tag="role:after-sales") == ["promise-01", "invoice-01"]
    assert ids(text="30000") == ["aov-01"]  # the prompt says ３００００ (full width)
    assert ids(text="物流群") == ["groups-01"]
    assert ids(status="retired") == []
    listing = services.bank_listing(session, bank_key="after-sales-small", filters=QuestionFilter())
    assert listing.kinds == ["single-choice", "true-false", "numeric", "matching"]
    assert "topic:KPI" in listing.tags and listing.total == 4
    with pytest.raises(NotFound):
        services.bank_listing(session, bank_key="nope", filters=QuestionFilter())


def test_the_listing_shows_category_paths_and_titles_and_filters_by_category(
        session: Session, now: datetime) -> None:
    import_categorised_bank(session, now=now)

    def rows(category: str = "") -> list[tuple[str, str, tuple[str, ...]]]:
        listing = services.bank_listing(session, bank_key="categorised",
                                        filters=QuestionFilter(category=category))
        return [(r.question.qid, r.title, r.category) for r in listing.rows]

    assert rows() == [("promise-yunda", "没答应的快递", ("售后", "发货承诺")),
                      ("promise-48h", "", ("售后", "发货承诺")),
                      ("invoice-title", "改抬头", ("售后", "发票")),
                      ("presale-deposit", "", ("售前",))]
    assert [qid for qid, _, _ in rows("售后")] == ["promise-yunda", "promise-48h", "invoice-title"]
    assert [qid for qid, _, _ in rows("售后/发票")] == ["invoice-title"]
    assert rows("售后/退款") == []
    listing = services.bank_listing(session, bank_key="categorised", filters=QuestionFilter())
    assert listing.categories == [("售前",), ("售后",), ("售后", "发票"), ("售后", "发货承诺")]
    assert [r.question.qid for r in services.bank_listing(
        session, bank_key="categorised", filters=QuestionFilter(text="改抬头")).rows] == [
        "invoice-title"]  # titles are searched too


def test_gift_export_of_a_stored_bank_keeps_categories_and_titles(session: Session,
                                                                 now: datetime) -> None:
    import_categorised_bank(session, now=now)
    exported = services.export_gift(session, bank_key="categorised")
    again = import_gift(exported.text.encode("utf-8"), "again.gift", key="categorised",
                        title="分类题库").bank
    original = import_gift(CATEGORISED_GIFT.encode("utf-8"), "categorised.gift",
                           key="categorised", title="分类题库").bank
    assert again is not None and original is not None
    assert [q.definition for q in again.questions] == [q.definition for q in original.questions]


def test_yaml_export_round_trips_and_reimports_unchanged(session: Session, now: datetime) -> None:
    files = [upload("after-sales-demo.yaml", docs_example_text())]
    check = services.check_upload(session, files=files)
    services.confirm_upload(session, files=files, expected_digest=check.digest, actor_id=None,
                            now=now)
    text = services.export_yaml(session, bank_key="after-sales-demo")
    bank, problems = load_bank(text.encode("utf-8"), "export.yaml")
    assert problems == [] and bank is not None
    assert [q.definition for q in bank.questions] == [q.definition for q in docs_example().questions]
    again = services.check_upload(session, files=[upload("after-sales-demo.yaml", text)])
    assert again.report is not None and not again.report.touched


def test_gift_export_lists_what_gift_cannot_express(session: Session, now: datetime) -> None:
    files = [upload("after-sales-demo.yaml", docs_example_text())]
    check = services.check_upload(session, files=files)
    services.confirm_upload(session, files=files, expected_digest=check.digest, actor_id=None,
                            now=now)
    result = services.export_gift(session, bank_key="after-sales-demo")
    notes = [str(n.message) for n in result.notices]
    assert any("refund-in-transit" in n for n in notes)
    assert any("out-of-stock-note" in n for n in notes)
    assert "::refund-in-transit::" not in result.text
    back = import_gift(result.text.encode("utf-8"), "x.txt", key="after-sales-demo")
    assert back.bank is not None and "promise-express-01" in [q.id for q in back.bank.questions]


# --- the editor -------------------------------------------------------------------------


def test_the_editor_text_reads_back_to_the_same_question(session: Session, now: datetime) -> None:
    files = [upload("after-sales-demo.yaml", docs_example_text())]
    check = services.check_upload(session, files=files)
    services.confirm_upload(session, files=files, expected_digest=check.digest, actor_id=None,
                            now=now)
    for question in docs_example().questions:
        text = services.question_yaml(question.definition)
        checked = services.check_question(session, bank_key="after-sales-demo",
                                          original_qid=question.id, text=text)
        assert checked.problems == [] and checked.definition == question.definition, question.id
        with pytest.raises(NothingChanged):
            services.save_question(session, bank_key="after-sales-demo", original_qid=question.id,
                                   text=text, base_number=1, actor_id=None, now=now)
    assert "tags: ['stage:practice', 'topic:发货承诺', 'role:after-sales']" in services.question_yaml(
        docs_example().questions[0].definition)


def _text(session: Session, qid: str) -> str:
    _, question = services.get_question(session, bank_key="after-sales-small", qid=qid)
    return services.question_yaml(question.current_version.definition)


def test_saving_an_edit_makes_a_new_version_and_attempts_keep_theirs(
        session: Session, now: datetime) -> None:
    import_small_bank(session, now=now, with_exam=True)
    trainee = make_user(session)
    trainer = make_user(session, role=Role.TRAINER)
    attempt = exam_services.start_attempt(session, user=trainee, exam_key="small-exam", now=now,
                                          seed=1)
    given = {r.question_version.question.qid: r.question_version for r in attempt.responses}
    old = given["promise-01"]
    old_data = dict(old.data)
    before = versions(session)

    text = _text(session, "promise-01").replace("算违背承诺吗？", "算不算违背承诺？")
    saved = services.save_question(session, bank_key="after-sales-small",
                                   original_qid="promise-01", text=text, base_number=1,
                                   actor_id=trainer.id, now=now + timedelta(minutes=5))
    assert saved.current_version.number == 2
    assert saved.current_version.data["prompt"].endswith("算不算违背承诺？")
    assert saved.current_version.created_by_id == trainer.id
    assert versions(session) == before + 1  # the other questions are untouched
    session.expire_all()
    response = next(r for r in attempt.responses
                    if r.question_version.question.qid == "promise-01")
    assert response.question_version_id == old.id and response.question_version.data == old_data
    detail = services.question_detail(session, bank_key="after-sales-small", qid="promise-01")
    assert [(e.version.number, e.attempts) for e in detail.history] == [(2, 0), (1, 1)]
    assert detail.history[0].author is not None and detail.history[0].author.id == trainer.id


def test_problems_point_at_lines_of_the_edited_text(session: Session, now: datetime) -> None:
    import_small_bank(session, now=now)
    text = _text(session, "invoice-01").replace("answer: false", "answer: maybe")
    checked = services.check_question(session, bank_key="after-sales-small",
                                      original_qid="invoice-01", text=text)
    line = text.split("\n").index("answer: maybe") + 1
    assert [(p.line, str(p.message), p.excerpt) for p in checked.problems] == [
        (line, "判断题的 answer 应为 true（对）或 false（错）", "answer: maybe")]
    assert checked.definition is None and checked.public is None
    with pytest.raises(QuestionInvalid) as exc:
        services.save_question(session, bank_key="after-sales-small", original_qid="invoice-01",
                               text=text, base_number=1, actor_id=None, now=now)
    assert exc.value.problems[0].line == line
    broken_yaml = services.check_question(session, bank_key="after-sales-small",
                                          original_qid="invoice-01", text="id: x\n  kind: [\n")
    assert broken_yaml.problems[0].line == 2 and "YAML 格式错误" in str(broken_yaml.problems[0].message)


def test_ids_are_stable_and_never_reused(session: Session, now: datetime) -> None:
    import_small_bank(session, now=now)
    renamed = _text(session, "invoice-01").replace("id: invoice-01", "id: invoice-02")
    checked = services.check_question(session, bank_key="after-sales-small",
                                      original_qid="invoice-01", text=renamed)
    assert [(p.line, p.excerpt) for p in checked.problems] == [(1, "id: invoice-02")]
    assert "不能修改题目 id" in str(checked.problems[0].message)
    # A new question may not take an id the bank has used, even a retired one.
    files = [upload("after-sales-small.yaml", SMALL_BANK.split("  - id: groups-01")[0])]
    check = services.check_upload(session, files=files)
    services.confirm_upload(session, files=files, expected_digest=check.digest, actor_id=None,
                            now=now)
    reused = services.new_question_text(session, bank_key="after-sales-small",
                                        kind="true-false").replace("id: true-false-01",
                                                                   "id: groups-01")
    checked = services.check_question(session, bank_key="after-sales-small", original_qid=None,
                                      text=reused)
    assert "题库中已有 id 为 groups-01 的题目" in str(checked.problems[0].message)


@pytest.mark.parametrize("kind", list(rules.QUESTION_TEMPLATES))
def test_a_new_question_of_every_kind_is_saved_from_its_template(
        session: Session, now: datetime, kind: str) -> None:
    import_small_bank(session, now=now)
    text = services.new_question_text(session, bank_key="after-sales-small", kind=kind)
    checked = services.check_question(session, bank_key="after-sales-small", original_qid=None,
                                      text=text)
    assert checked.problems == [] and checked.public is not None
    saved = services.save_question(session, bank_key="after-sales-small", original_qid=None,
                                   text=text, base_number=None, actor_id=None, now=now)
    assert saved.qid == f"{kind}-01" and saved.current_version.number == 1
    assert services.new_question_text(session, bank_key="after-sales-small",
                                      kind=kind).startswith(f"id: {kind}-02")


def test_the_preview_of_a_question_never_holds_its_key(session: Session, now: datetime) -> None:
    import_small_bank(session, now=now)
    for qid in ("promise-01", "invoice-01", "aov-01", "groups-01"):
        checked = services.check_question(session, bank_key="after-sales-small",
                                          original_qid=qid, text=_text(session, qid))
        assert checked.public is not None and SENTINEL not in repr(checked.public)
        assert SENTINEL in repr(checked.definition)


def test_saving_over_a_newer_version_needs_a_second_save(session: Session, now: datetime) -> None:
    import_small_bank(session, now=now)
    first = _text(session, "aov-01")
    services.save_question(session, bank_key="after-sales-small", original_qid="aov-01",
                           text=first.replace("points: 2", "points: 3"), base_number=1,
                           actor_id=None, now=now)
    mine = first.replace("points: 2", "points: 4")
    with pytest.raises(VersionChanged) as exc:
        services.save_question(session, bank_key="after-sales-small", original_qid="aov-01",
                               text=mine, base_number=1, actor_id=None, now=now)
    assert exc.value.current_number == 2
    saved = services.save_question(session, bank_key="after-sales-small", original_qid="aov-01",
                                   text=mine, base_number=2, actor_id=None, now=now)
    assert saved.current_version.number == 3 and saved.current_version.points == 4


def test_an_edit_that_would_break_an_exam_is_refused(session: Session, now: datetime) -> None:
    import_small_bank(session, now=now, with_exam=True)
    text = _text(session, "aov-01").replace("difficulty: hard", "difficulty: easy")
    with pytest.raises(QuestionInvalid) as exc:
        services.save_question(session, bank_key="after-sales-small", original_qid="aov-01",
                               text=text, base_number=1, actor_id=None, now=now)
    assert "small-exam" in str(exc.value.problems[0].message)
    assert versions(session) == 4


def test_editing_a_retired_question_brings_it_back(session: Session, now: datetime) -> None:
    import_small_bank(session, now=now)
    text = _text(session, "groups-01")
    files = [upload("after-sales-small.yaml", SMALL_BANK.split("  - id: groups-01")[0])]
    check = services.check_upload(session, files=files)
    services.confirm_upload(session, files=files, expected_digest=check.digest, actor_id=None,
                            now=now)
    saved = services.save_question(session, bank_key="after-sales-small",
                                   original_qid="groups-01", text=text, base_number=1,
                                   actor_id=None, now=now)
    assert not saved.retired and saved.current_version.number == 1


def test_unknown_banks_and_questions_are_not_found(session: Session, now: datetime) -> None:
    import_small_bank(session, now=now)
    with pytest.raises(NotFound):
        services.question_detail(session, bank_key="after-sales-small", qid="nope")
    with pytest.raises(NotFound):
        services.question_detail(session, bank_key="after-sales-small", qid="aov-01", number=7)
    with pytest.raises(NotFound):
        services.check_question(session, bank_key="nope", original_qid=None, text="id: x")

"""The trainer's home lists the banks whose current questions have open lint warnings,
each question linked to its page; a bank without warnings, and other roles, see none."""
from __future__ import annotations

import re
from datetime import datetime

from flask import Flask
from sqlalchemy.orm import Session

from portal.auth.models import Role
from portal.home import services
from tests.factories import (
    cued_questions,
    import_lint_bank,
    login,
    make_cohort,
    make_user,
    single_choice_data,
)


def test_a_trainer_sees_each_warned_question_with_a_link(app: Flask, session: Session,
                                                         now: datetime) -> None:
    import_lint_bank(session, now=now, questions=cued_questions())
    trainer = make_user(session, role=Role.TRAINER)
    make_cohort(session, staff=[trainer])
    found = services.banks_with_warnings(session)
    assert [(b.key, len(b.flagged)) for b in found] == [("lint-bank", 10)]
    assert all(q.labels for q in found[0].flagged)
    session.commit()
    client = app.test_client()
    login(client, trainer)
    page = client.get("/").get_data(as_text=True)
    assert "题库里待处理的出题提醒" in page
    assert 'href="/banks/lint-bank"' in page
    assert 'href="/banks/lint-bank/questions/single-0"' in page
    section = page.split('id="bank-warnings-heading"', 1)[1].split("</section>", 1)[0]
    read = re.sub(r"<[^>]+>", " ", section)
    assert "single-0" not in read and "position-cue" not in read  # names, not keys


def test_a_clean_bank_and_a_supervisor_see_no_warnings(app: Flask, session: Session,
                                                       now: datetime) -> None:
    import_lint_bank(session, now=now, questions=[single_choice_data(
        qid="calm", prompt="大促期间买家询问发货时间，应该怎么回答？",
        options=("按付款顺序发货，说明预计时间", "马上发", "不知道"), correct=0)])
    assert services.banks_with_warnings(session) == []
    import_lint_bank(session, now=now, questions=cued_questions(), key="cued")
    supervisor = make_user(session, role=Role.SUPERVISOR)
    session.commit()
    client = app.test_client()
    login(client, supervisor)
    assert "题库里待处理的出题提醒" not in client.get("/").get_data(as_text=True)

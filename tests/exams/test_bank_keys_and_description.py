"""Bank keys that clash with the bank pages are refused; a bank keeps its description."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from portal.banks import services as banks
from portal.exams import services
from portal.exams.bank import load_bank
from tests.exams.exam_fixtures import BANK


def test_a_bank_key_used_by_the_bank_pages_is_refused() -> None:
    bank, problems = load_bank(BANK.replace("key: demo-bank", "key: import").encode(), "b.yaml")
    assert bank is None
    assert any("b.yaml:2" in str(p) and "保留字" in str(p) for p in problems), problems


def test_the_description_survives_import_and_export(session: Session, now: datetime) -> None:
    text = BANK.replace("title: 测试题库", "title: 测试题库\ndescription: 用于测试的小题库")
    bank, problems = load_bank(text.encode(), "demo-bank.yaml")
    assert bank is not None, problems
    services.apply_import(session, banks=[bank], exams=[], actor_id=None, now=now)
    exported = banks.current_bank(session, bank_key="demo-bank")
    assert exported.description == "用于测试的小题库"

"""Chinese search across the modules a user may see."""
from __future__ import annotations

from datetime import datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from portal.auth.models import Role
from portal.config import PROJECT_ROOT
from portal.content.loader import load_content
from portal.courses import search, services
from tests.factories import HX, login, make_cohort, make_user


def test_segmentation_and_snippets_are_escaped() -> None:
    assert search.terms("违背承诺")[:1] == ["违背承诺"] and "承诺" in search.terms("违背承诺")
    docs = [search.Document("a", "售后", "买家说<b>客服</b>违背承诺，要求赔偿。"),
            search.Document("b", "其他", "和这个查询无关的内容")]
    hits = search.search(docs, "违背承诺")
    assert [h.key for h in hits] == ["a"]
    assert "<mark>违背承诺</mark>" in hits[0].snippet_html
    assert "&lt;b&gt;" in hits[0].snippet_html


@pytest.fixture
def imported(session: Session, now: datetime) -> None:
    services.import_content(session, content=load_content(PROJECT_ROOT / "courses"),
                            actor_id=None, now=now)
    session.commit()


@pytest.mark.parametrize("query, expected", [("违背承诺", "shipping-promises"),
                                             ("催付", "order-workflow"),
                                             ("客单价", "kpi-basics")])
def test_staff_find_the_right_modules(session: Session, imported: None, query: str,
                                      expected: str) -> None:
    trainer = make_user(session, role=Role.TRAINER)
    keys = [h.key for _, h in services.search_modules(session, user=trainer, query=query)]
    assert f"new-hire/{expected}" in keys[:3], keys


def test_trainees_only_find_modules_of_unlocked_stages(session: Session, imported: None) -> None:
    trainee = make_user(session, cohort=make_cohort(session))
    keys = [h.key for _, h in services.search_modules(session, user=trainee, query="催付")]
    assert "new-hire/order-workflow" not in keys  # stage 2 is still locked
    assert all(k.startswith("new-hire/") for k in keys)


def test_search_page_full_and_fragment(client: FlaskClient, session: Session,
                                       imported: None) -> None:
    user = make_user(session, role=Role.SUPERVISOR)
    session.commit()
    login(client, user)
    page = client.get("/search?q=违背承诺").get_data(as_text=True)
    assert "<html" in page and "<mark>" in page and "发货与快递承诺规则" in page
    fragment = client.get("/search?q=催付", headers=HX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body and 'id="results"' in body

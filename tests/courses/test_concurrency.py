"""Module pages record progress on GET: under concurrent load none may fail as "locked"."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, build_opener

from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from portal.config import PROJECT_ROOT
from portal.content.loader import load_content
from portal.courses import services
from tests.factories import PASSWORD, make_cohort, make_user


def test_concurrent_module_visits_never_fail(app: Flask, session: Session, now) -> None:  # type: ignore[no-untyped-def]
    services.import_content(session, content=load_content(PROJECT_ROOT / "courses"),
                            actor_id=None, now=now)
    cohort = make_cohort(session)
    trainees = [make_user(session, cohort=cohort) for _ in range(4)]
    session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        openers = []
        for trainee in trainees:
            opener = build_opener(HTTPCookieProcessor(CookieJar()))
            opener.open(base + "/login", data=urlencode(
                {"employee_no": trainee.employee_no, "password": PASSWORD}).encode())
            openers.append(opener)
        modules = ["company-culture", "shops-and-platforms", "department-structure"]

        def visit(i: int) -> int:
            opener = openers[i % len(openers)]
            url = f"{base}/tracks/new-hire/modules/{modules[i % len(modules)]}"
            with opener.open(url) as response:
                return response.status

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(visit, range(160)))
    finally:
        server.shutdown()
        thread.join(timeout=10)
    assert statuses == [200] * 160

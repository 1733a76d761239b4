"""The portal asks "is this an htmx request?" in one way: portal.web.render.is_htmx()."""
from __future__ import annotations

import re
from pathlib import Path

from flask import Flask

from portal.web.render import is_htmx, wants_fragment

PORTAL = Path(__file__).resolve().parents[2] / "portal"
# A read of an htmx request header by hand: headers.get("HX-Request"), headers["HX-Boosted"] …
RAW_HEADER_READ = re.compile(
    r"""headers\s*(?:\.get\(\s*|\[\s*)["']HX-(?!Redirect|Location|Retarget|Reswap|Trigger\b)""",
    re.IGNORECASE)
ONE_PLACE = PORTAL / "web" / "render.py"


def test_no_module_reads_the_htmx_request_headers_by_hand() -> None:
    offenders = []
    for path in PORTAL.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), start=1):
            if RAW_HEADER_READ.search(line) or ("request.htmx" in line and path != ONE_PLACE):
                offenders.append(f"{path.relative_to(PORTAL.parent)}:{number}: {line.strip()}")
    assert not offenders, "use portal.web.render.is_htmx():\n" + "\n".join(offenders)


def test_the_check_catches_a_hand_written_header_read() -> None:
    assert RAW_HEADER_READ.search('if request.headers.get("HX-Request") == "true":')
    assert RAW_HEADER_READ.search("flask.request.headers['hx-boosted']")
    assert not RAW_HEADER_READ.search('response.headers["HX-Redirect"] = location')


def test_is_htmx_and_wants_fragment_follow_the_request_headers(app: Flask) -> None:
    cases = [({}, False, False), ({"HX-Request": "true"}, True, True),
             ({"HX-Request": "true", "HX-Boosted": "true"}, True, False),
             ({"HX-Request": "true", "HX-History-Restore-Request": "true"}, True, False),
             ({"HX-Request": "false"}, False, False)]
    for headers, htmx, fragment in cases:
        with app.test_request_context("/", headers=headers):
            assert (is_htmx(), wants_fragment()) == (htmx, fragment), headers

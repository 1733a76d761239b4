"""Helpers for the browser tests: signing in, watching the console, axe, screenshots."""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from playwright.sync_api import ConsoleMessage, Error, Page, expect
from sqlalchemy.orm import Session

from portal.config import PROJECT_ROOT
from portal.demo import DEMO_PASSWORD

SCREENSHOTS = PROJECT_ROOT / "test-output" / "screenshots"
BLOCKING_IMPACTS = ("serious", "critical")

# Reported as console errors by an init script, in case Chromium stops logging them itself.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
                + ` at ${e.sourceFile || document.location.href}:${e.lineNumber}`);
});
"""


@dataclass(frozen=True)
class LiveServer:
    url: str
    app: Flask

    @contextmanager
    def db(self) -> Iterator[Session]:
        """A session on the server's database, committed when the block ends."""
        session: Session = self.app.extensions["portal.sessionmaker"]()
        try:
            yield session
            session.commit()
        finally:
            session.close()


class ConsoleWatch:
    """Collects console errors, uncaught exceptions and CSP violations of a browser context."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        # Chromium asks for /favicon.ico by itself and logs the 404; the portal has no icon
        # yet. That is the browser's request, not the page's, so it is not a page error.
        self._allowed: list[re.Pattern[str]] = [re.compile(r"status of 404 .*/favicon\.ico")]

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "assert"):
            location = message.location or {}
            where = f" ({location.get('url', '')}:{location.get('lineNumber', '')})" if location else ""
            self._add(f"console.{message.type}: {message.text}{where}")
        elif "Content Security Policy" in message.text:
            self._add(f"console.{message.type}: {message.text}")

    def on_page_error(self, error: Error) -> None:
        self._add(f"uncaught exception: {error.message}")

    def allow(self, pattern: str) -> None:
        """Expect messages matching `pattern` (e.g. the 422 of a refused log-in)."""
        self._allowed.append(re.compile(pattern))

    def _add(self, text: str) -> None:
        if not any(p.search(text) for p in self._allowed):
            self.problems.append(text)

    def assert_clean(self, where: str = "") -> None:
        problems, self.problems = self.problems, []
        assert not problems, f"browser console errors{' on ' + where if where else ''}:\n" + (
            "\n".join(f"  - {p}" for p in problems))


def log_in(page: Page, employee_no: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the log-in form, as a person would."""
    page.goto("/login")
    page.get_by_label("工号").fill(employee_no)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_load_state()


def log_out(page: Page) -> None:
    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("status")).to_contain_text("你已退出登录")
    expect(page.get_by_label("工号")).to_be_visible()


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_accessible(page: Page, where: str) -> None:
    """No axe violation of serious or critical impact on the current page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]
    assert not blocking, f"accessibility violations on {where} ({page.url}):\n" + format_violations(
        blocking)


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']}  <{v.get('helpUrl', '')}>")
        for node in v.get("nodes", [])[:5]:
            target = " ".join(json.dumps(t, ensure_ascii=False) for t in node.get("target", []))
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    at {target}: {summary[:300]}")
            lines.append(f"       {node.get('html', '')[:200]}")
        if len(v.get("nodes", [])) > 5:
            lines.append(f"    … and {len(v['nodes']) - 5} more")
    return "\n".join(lines)

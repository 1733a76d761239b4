"""On a phone (390 px wide), every button and every link in a list on the main pages is a
tap target of at least 44 × 44 CSS px (WCAG 2.5.5), measured in Chromium."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from portal.config import PROJECT_ROOT
from portal.content.loader import load_content
from portal.courses.services import import_content
from portal.db import utcnow
from portal.exams import services as exams
from portal.exams.files import load_folder
from tests.e2e.support import LiveServer, log_in, screenshot

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
MIN = 44

# Buttons and links in lists (navigation, module lists, result lines, person lists ...);
# a link inside running text (a module's body, a sentence) is text, not a tap target.
SMALL_TARGETS = """(min) => {
  const found = [];
  const selector = 'button, a.button, input[type=submit], li a, nav a, summary';
  for (const el of document.querySelectorAll(selector)) {
    if (el.closest('.prose, .reader__body, .visually-hidden, .skip-link')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not rendered (a closed section)
    if (box.width + 0.5 < min || box.height + 0.5 < min) {
      found.push(`${el.tagName.toLowerCase()} “${el.textContent.trim().replace(/\\s+/g, ' ')
        .slice(0, 30)}” ${Math.round(box.width)}×${Math.round(box.height)}`);
    }
  }
  return found;
}"""


@pytest.fixture(scope="module", autouse=True)
def content_imported(live_server: LiveServer) -> None:
    """The shipped courses, banks and exams, so that every main page has its lists."""
    content = load_folder(PROJECT_ROOT / "question_banks")
    with live_server.db() as session:
        import_content(session, content=load_content(PROJECT_ROOT / "courses"), actor_id=None,
                       now=utcnow())
        exams.apply_import(session, banks=content.banks, exams=content.exams, actor_id=None,
                           now=utcnow())


def _small_targets(page: Page, url: str) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page.evaluate(SMALL_TARGETS, MIN)


def _first_href(page: Page, pattern: str) -> str:
    for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
        if href and re.fullmatch(pattern, href):
            return href
    raise AssertionError(f"no link matching {pattern} on {page.url}")


def _check(page: Page, role: str, urls: list[str]) -> None:
    problems = []
    for url in urls:
        small = _small_targets(page, url)
        screenshot(page, f"tap-{role}-{url.strip('/').replace('/', '-') or 'home'}-phone")
        problems += [f"{url}: {target}" for target in small]
    assert problems == [], "tap targets under 44×44 px:\n" + "\n".join(problems)


def test_the_trainees_main_pages_have_large_tap_targets(new_context) -> None:  # type: ignore[no-untyped-def]
    page = new_context(viewport=PHONE).new_page()
    log_in(page, "demo-trainee")
    module = _first_href(page, r"/tracks/[^/]+/modules/[^/]+")
    _check(page, "trainee", ["/", "/my/results", module])


def test_the_staffs_main_pages_have_large_tap_targets(new_context) -> None:  # type: ignore[no-untyped-def]
    page = new_context(viewport=PHONE).new_page()
    log_in(page, "demo-trainer")
    grid = _first_href(page, r"/cohorts/\d+/progress")
    track = _first_href(page, r"/trainees/\d+/track")
    page.goto(grid)
    timeline = _first_href(page, r"/trainees/\d+/timeline")
    page.goto("/banks")
    bank = _first_href(page, r"/banks/(?!import$|help/)[a-z0-9-]+")
    _check(page, "trainer", ["/", grid, track, timeline, "/banks", bank])

"""Translations: the English catalog covers every source string, keeps the placeholders,
and the language switch shows it.

Source strings are zh_CN (the default locale, shown as they are); en ships a catalog.
After adding or changing a marked string, update the template and the catalogs:

    .venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ \\
        --no-location --sort-output -o portal/translations/messages.pot .
    .venv/bin/pybabel update -i portal/translations/messages.pot -d portal/translations \\
        --no-fuzzy-matching

then translate the new (empty) msgstrs in portal/translations/en/LC_MESSAGES/messages.po.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "portal" / "translations"
LOCALES = ("zh_CN", "en")
EN_PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
EXTRACT_ARGS = ["extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-k", "N_",
                "--no-location", "--sort-output"]
HOW_TO_UPDATE = (
    "Update the catalogs, then translate the empty msgstrs in "
    "portal/translations/en/LC_MESSAGES/messages.po (and clear any fuzzy flags):\n"
    "  .venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ --no-location "
    "--sort-output -o portal/translations/messages.pot .\n"
    "  .venv/bin/pybabel update -i portal/translations/messages.pot -d portal/translations "
    "--no-fuzzy-matching"
)
# A printf conversion: %(name)s, %d, %.2f, %% ...
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def _singular(message: Message) -> str:
    return message.id[0] if isinstance(message.id, (list, tuple)) else message.id


def _forms(value: object) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, (list, tuple)) else (str(value or ""),)


def _placeholders(text: str) -> tuple[set[str], str]:
    """The conversions in a string, and what is left once they are removed."""
    return {m.group(0) for m in PLACEHOLDER.finditer(text)}, PLACEHOLDER.sub("", text)


def _compile_catalogs() -> None:
    """Compile each .po next to itself when its .mo is missing or older (as `make test` does)."""
    for locale in LOCALES:
        po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        catalog = _read(po, locale)
        tmp = mo.with_name(f".messages.{os.getpid()}.mo")
        with tmp.open("wb") as f:
            write_mo(f, catalog, use_fuzzy=False)
        os.replace(tmp, mo)  # atomic: a running app never reads half a file


@pytest.fixture(scope="session")
def compiled_catalogs() -> None:
    _compile_catalogs()


@pytest.fixture(scope="module")
def en_catalog() -> Catalog:
    return _read(EN_PO, "en")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The messages marked in the source right now (the same command as for the .pot)."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    result = subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", *EXTRACT_ARGS, "-o", str(pot), "."],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, f"pybabel extract failed:\n{result.stdout}\n{result.stderr}"
    catalog = _read(pot)
    assert len(catalog) > 100, "extraction found almost nothing: is babel.cfg right?"
    return catalog


def test_every_source_message_is_in_the_english_catalog(extracted: Catalog,
                                                         en_catalog: Catalog) -> None:
    missing = []
    for message in extracted:
        if not message.id:
            continue
        found = en_catalog.get(message.id)
        if found is None or found.id != message.id:
            missing.append(message.id)
    listed = "\n".join(f"  {m!r}" for m in missing)
    assert not missing, (f"{len(missing)} source message(s) missing from the en catalog:\n"
                         f"{listed}\n{HOW_TO_UPDATE}")


def test_english_catalog_is_complete_and_not_fuzzy(en_catalog: Catalog) -> None:
    assert not en_catalog.fuzzy, "the en catalog header is marked fuzzy"
    assert en_catalog.num_plurals == 2
    empty = [m.id for m in en_catalog if m.id and not all(_forms(m.string))]
    fuzzy = [m.id for m in en_catalog if m.id and m.fuzzy]
    wrong_forms = [m.id for m in en_catalog
                   if m.id and m.pluralizable and len(_forms(m.string)) != en_catalog.num_plurals]
    problems = "\n".join(
        [f"  empty msgstr: {m!r}" for m in empty] + [f"  fuzzy: {m!r}" for m in fuzzy]
        + [f"  needs {en_catalog.num_plurals} plural forms: {m!r}" for m in wrong_forms])
    assert not (empty or fuzzy or wrong_forms), f"en catalog:\n{problems}\n{HOW_TO_UPDATE}"


def test_english_translations_keep_the_placeholders(en_catalog: Catalog) -> None:
    bad = []
    for message in en_catalog:
        if not message.id:
            continue
        wanted: set[str] = set()
        for source in _forms(message.id):
            wanted |= _placeholders(source)[0]
        for translation in _forms(message.string):
            found, rest = _placeholders(translation)
            if found != wanted or "%" in rest:
                bad.append(f"  {_singular(message)!r}: wants {sorted(wanted)}, "
                           f"got {sorted(found)} in {translation!r}")
    assert not bad, ("en translations whose %-placeholders differ from the source "
                     "(a literal % is written %%):\n" + "\n".join(bad))


def test_template_is_current(extracted: Catalog) -> None:
    """The committed messages.pot (the source for new languages) lists what the code marks."""
    committed = _read(TRANSLATIONS / "messages.pot")
    now = {_singular(m) for m in extracted if m.id}
    before = {_singular(m) for m in committed if m.id}
    assert now == before, (f"messages.pot is out of date: new {sorted(now - before)}, "
                           f"gone {sorted(before - now)}\n{HOW_TO_UPDATE}")


def test_language_switch_to_english_and_back(compiled_catalogs: None,
                                             client: FlaskClient) -> None:
    response = client.post("/language", data={"lang": "en", "next": "/login"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/login")

    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Sign in" in page and "Employee no." in page and "Password" in page
    # Every text on the page is English, except the native name of the other language.
    left = CJK.findall(page.replace("简体中文", ""))
    assert not left, f"untranslated text on the English login page: {''.join(left)!r}"

    response = client.post("/language", data={"lang": "zh_CN", "next": "/login"})
    assert response.status_code == 303
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "登录" in page and "工号" in page and "Sign in" not in page


def test_error_page_in_english(compiled_catalogs: None, client: FlaskClient) -> None:
    client.post("/language", data={"lang": "en", "next": "/login"})
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)

"""Domain code (models, rules, services) imports nothing from Flask or the web layer."""
from __future__ import annotations

import ast
from pathlib import Path

PORTAL = Path(__file__).resolve().parent.parent / "portal"
WEB_PACKAGES = ("flask", "flask_login", "flask_wtf", "flask_babel", "flask_limiter", "htmx_flask",
                "wtforms", "werkzeug", "portal.web", "portal.extensions")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


# The HTTP side of each domain, and the wiring; everything else is domain code.
WEB_MODULES = ("views.py", "staff_views.py", "forms.py", "__init__.py", "cli.py",
               "extensions.py")


def test_domain_modules_do_not_import_the_web_layer() -> None:
    checked = 0
    for path in PORTAL.rglob("*.py"):
        if path.name in WEB_MODULES or "web" in path.relative_to(PORTAL).parts:
            continue
        checked += 1
        bad = {n for n in _imports(path) if n.split(".")[0] in WEB_PACKAGES or n.startswith(WEB_PACKAGES)}
        assert not bad, f"{path.relative_to(PORTAL.parent)} imports {sorted(bad)}"
    assert checked >= 5


def test_rules_modules_import_only_the_standard_library_and_messages() -> None:
    allowed_prefixes = ("portal.messages", "portal.errors", "__future__")
    for path in PORTAL.rglob("rules.py"):
        for name in _imports(path):
            top = name.split(".")[0]
            if name.startswith(allowed_prefixes) or (name.startswith("portal.")
                                                     and name.endswith(".rules")):
                continue  # other pure rules are fine
            assert top in _stdlib(), f"{path.relative_to(PORTAL.parent)} imports {name}"


def _stdlib() -> frozenset[str]:
    import sys

    return frozenset(sys.stdlib_module_names)

"""The shape of the code: domain code (models, rules, services) imports nothing from Flask
or the web layer, imports point one way (views -> services -> models/rules), and domain
packages never import each other in a cycle."""
from __future__ import annotations

import ast
from functools import cache
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


# The HTTP side of each domain (its views, forms and template helpers), and the wiring;
# everything else is domain code. A domain with several blueprints names each one's views
# `<part>_views.py` (analytics: chat_views.py, cohort_views.py).
WEB_MODULES = ("views.py", "staff_views.py", "forms.py", "templating.py", "__init__.py",
               "cli.py", "extensions.py")


def _is_web_module(name: str) -> bool:
    return name in WEB_MODULES or name.endswith("_views.py")


def test_domain_modules_do_not_import_the_web_layer() -> None:
    checked = 0
    for path in PORTAL.rglob("*.py"):
        if _is_web_module(path.name) or "web" in path.relative_to(PORTAL).parts:
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
            own_errors = ".".join(path.relative_to(PORTAL.parent).parts[:2]) + ".errors"
            if name.startswith(allowed_prefixes) or name == own_errors or (
                    name.startswith("portal.") and name.endswith(".rules")):
                continue  # other pure rules, and the domain's own errors, are fine
            assert top in _stdlib(), f"{path.relative_to(PORTAL.parent)} imports {name}"


def _stdlib() -> frozenset[str]:
    import sys

    return frozenset(sys.stdlib_module_names)


# --- the direction of imports (CONVENTIONS.md 1 and 15) -----------------------------------

# Modules every domain may use; they are not domains, so they are not nodes of the graph.
# `portal.audit` is the log every domain writes to (auth included) and names users in.
SHARED = ("portal.web", "portal.db", "portal.messages", "portal.errors", "portal.audit")
VIEW_MODULES = ("views", "staff_views")


def _is_view(layer: str) -> bool:
    """views.py, staff_views.py, and a package's other views (analytics' chat_views.py)."""
    return layer in VIEW_MODULES or layer.endswith("_views")


def _domain_packages() -> list[str]:
    return _packages_under(PORTAL)


@cache
def _packages_under(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir()
                  if (p / "__init__.py").is_file() and f"portal.{p.name}" not in SHARED)


def _all_imports(path: Path) -> set[str]:
    """Every module `path` imports, anywhere in it (inside functions too), as dotted names:
    `from portal.exams import services` gives portal.exams and portal.exams.services."""
    names: set[str] = set()
    package = ".".join(path.relative_to(PORTAL.parent).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # relative: resolve against the importing package
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _domain_of(name: str) -> str | None:
    parts = name.split(".")
    if len(parts) < 2 or parts[0] != "portal" or name.startswith(SHARED):
        return None
    return parts[1] if parts[1] in _domain_packages() else None


def _layer(name: str) -> str:
    """The convention layer of a module inside a domain package: its last name (a
    `<part>_views` module is a views module)."""
    layer = name.split(".")[2] if name.count(".") >= 2 else ""
    return "views" if layer.endswith("_views") and layer not in VIEW_MODULES else layer


def _domain_modules() -> list[tuple[str, Path]]:
    found = []
    for domain in _domain_packages():
        for path in sorted((PORTAL / domain).rglob("*.py")):
            dotted = ".".join(path.relative_to(PORTAL.parent).with_suffix("").parts)
            found.append((dotted.removesuffix(".__init__"), path))
    return found


def package_graph() -> dict[str, set[str]]:
    """Domain package -> the other domain packages it imports (at any depth, anywhere)."""
    graph: dict[str, set[str]] = {d: set() for d in _domain_packages()}
    for dotted, path in _domain_modules():
        source = dotted.split(".")[1]
        for name in _all_imports(path):
            target = _domain_of(name)
            if target is not None and target != source:
                graph[source].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected set of more than one package (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_there_are_no_import_cycles_between_domain_packages() -> None:
    graph = package_graph()
    assert {"courses", "exams", "auth", "progress"} <= set(graph)
    assert "courses" in graph["exams"]  # the graph sees imports (exams reports to courses)
    cycles = _cycles(graph)
    detail = "; ".join(" <-> ".join(c) + " (" + ", ".join(
        f"{a}->{b}" for a in c for b in sorted(graph[a]) if b in c) + ")" for c in cycles)
    assert not cycles, f"domain packages import each other: {detail}"


def test_courses_imports_no_assessment_domain() -> None:
    assert "exams" not in package_graph()["courses"]


def _violations(check: dict[str, tuple[str, ...]]) -> list[str]:
    """Imports by modules of a layer that the layer may not make.

    `check` maps a layer to the layers (of any domain) it must not import."""
    bad = []
    for dotted, path in _domain_modules():
        layer = _layer(dotted)
        forbidden = check.get(layer)
        if forbidden is None:
            continue
        for name in sorted(_all_imports(path)):
            target = _layer(name)
            if _domain_of(name) is not None and (
                    target in forbidden or ("views" in forbidden and _is_view(target))):
                bad.append(f"{dotted} imports {name}")
    return bad


def test_models_never_import_services_views_or_forms() -> None:
    assert _violations({"models": ("services", "grading", *VIEW_MODULES, "forms")}) == []


def test_domain_code_never_imports_views_or_forms() -> None:
    """views -> forms, services, web; never the other way round, in any domain."""
    domain_layers = ("services", "grading", "rules", "models", "errors", "kinds")
    assert _violations(dict.fromkeys(domain_layers, (*VIEW_MODULES, "forms", "templating"))) == []


# The web layer may name roles (its access decorators do) and, for now, render Markdown
# (layout.py's `markdown` filter, which could move onto `templating.register` too); it knows
# no other domain.
WEB_MAY_IMPORT = ("auth", "content")


def test_the_web_layer_imports_no_domain() -> None:
    """Domains register what the web layer serves for them (template helpers with
    `web.templating.register`, called from create_app): portal.web imports none of them."""
    bad = [f"{path.relative_to(PORTAL.parent)} imports {name}"
           for path in sorted((PORTAL / "web").rglob("*.py"))
           for name in sorted(_all_imports(path))
           if _domain_of(name) not in (None, *WEB_MAY_IMPORT)]
    assert bad == []


def test_no_domain_imports_another_domains_views() -> None:
    bad = []
    for dotted, path in _domain_modules():
        source = dotted.split(".")[1]
        bad += [f"{dotted} imports {n}" for n in sorted(_all_imports(path))
                if _domain_of(n) not in (None, source) and _is_view(_layer(n))]
    assert bad == []


def test_views_and_forms_reach_the_database_only_through_services() -> None:
    bad = [f"{dotted} imports {n}" for dotted, path in _domain_modules()
           if _is_view(_layer(dotted)) or _layer(dotted) == "forms"
           for n in sorted(_all_imports(path)) if n.split(".")[0] == "sqlalchemy"]
    assert bad == []


def test_rules_import_only_pure_modules() -> None:
    """rules -> standard library, portal.messages/errors, their own errors, other rules."""
    bad = []
    for dotted, path in _domain_modules():
        if _layer(dotted) != "rules":
            continue
        own = ".".join(dotted.split(".")[:2])
        for name in sorted(_all_imports(path)):
            top = name.split(".")[0]
            if top == "__future__" or (top != "portal" and top in _stdlib()):
                continue
            if name.startswith(("portal.messages", "portal.errors", f"{own}.errors")):
                continue
            if _domain_of(name) is not None and _layer(name) == "rules":
                continue  # other pure rules (progress reads courses' stage states)
            if name.count(".") == 1 and _domain_of(name) is not None:
                continue  # `from portal.x import rules`: the package itself, checked by its member
            bad.append(f"{dotted} imports {name}")
    assert bad == []

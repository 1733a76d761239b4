"""Reading question_banks/chats/ into typed definitions, every problem by file and line.

Pure apart from reading the files: rules.yaml, matchers.yaml, scenarios/*.yaml and
drills/*.yaml become `Rules`, matchers, `Scenario`s and `Drill`s (portal/chat/scenario.py).
The reader is the question banks' (portal/content/safe_yaml.py): at most 256 KB a file, no
YAML anchors, aliases or tags, bounded nesting; problems are in Chinese with their file and line, and
nothing is returned unless everything is valid.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from portal.chat.matchers import references, regex_problem
from portal.chat.scenario import (
    AllOf,
    AnyOf,
    Area,
    Check,
    ContextCard,
    CriticalRule,
    Customer,
    CustomerType,
    Drill,
    DrillCustomer,
    Ending,
    Fallback,
    FuzzyMatcher,
    Item,
    Matcher,
    NotMatcher,
    OrderInfo,
    OrderLine,
    Patience,
    PhraseMatcher,
    Polarity,
    Ref,
    RegexMatcher,
    Route,
    Rules,
    Say,
    Scenario,
    Scope,
    State,
    Synonym,
    Timing,
    Violation,
)
from portal.content import safe_yaml
from portal.content.loader import KEY_RE
from portal.content.problems import Problem, capped
from portal.messages import N_, Message, msg

T = TypeVar("T")

MAX_FILE_BYTES = 256 * 1024
MAX_DEPTH = 30
MAX_EVENTS = 50_000
MAX_TEXT = 2000
MAX_LIST = 200
MAX_STATES = 100
MATCHER_FORM_KEYS = ("phrases", "regex", "examples", "all", "any", "not")
# The options each form accepts besides its own key.
FORM_OPTIONS: dict[str, tuple[str, ...]] = {
    "phrases": ("synonyms", "word", "polarity"),
    "regex": ("exclude", "polarity"),
    "examples": ("threshold",),
    "all": (), "any": (), "not": (),
}
SCENARIO_FIELDS = ("key", "title", "customer", "context", "matchers", "start", "states",
                   "rubric", "checks", "critical")
DRILL_FIELDS = ("key", "title", "track", "stage", "instructions", "time_limit_minutes",
                "pass_mark", "attempts", "wait_minutes", "areas", "customers")


@dataclass
class ChatContent:
    """Everything in a chats folder; empty lists unless `problems` is empty."""

    rules: Rules = field(default_factory=Rules)
    matchers: dict[str, Matcher] = field(default_factory=dict)
    scenarios: list[Scenario] = field(default_factory=list)
    drills: list[Drill] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def scenario(self, key: str) -> Scenario | None:
        return next((s for s in self.scenarios if s.key == key), None)

    def drill(self, key: str) -> Drill | None:
        return next((d for d in self.drills if d.key == key), None)


def read_yaml(data: bytes, path: str, problems: list[Problem]) -> Any:
    """The data of one file, or None with its problems."""
    return safe_yaml.read(data, path, problems, max_bytes=MAX_FILE_BYTES, max_depth=MAX_DEPTH,
                          max_events=MAX_EVENTS)


# --- field checks ---------------------------------------------------------------------------


@dataclass
class _File:
    """Where the problems of one file go, and the matcher names it refers to."""

    path: str
    problems: list[Problem] = field(default_factory=list)
    refs: list[tuple[str, int | None]] = field(default_factory=list)
    gotos: list[tuple[str, str, int | None]] = field(default_factory=list)  # state, goto, line

    def where(self, node: Any, key: str | None = None) -> int | None:
        if isinstance(node, dict):
            lines = node.get("__lines__") or {}
            if key is not None and isinstance(lines.get(key), int):
                return lines[key]
            line = node.get("__line__")
            return line if isinstance(line, int) else None
        return None

    def add(self, node: Any, key: str | None, text: str, /, **params: Any) -> None:
        self.add_at(self.where(node, key), text, **params)

    def add_at(self, line: int | None, text: str, /, **params: Any) -> None:
        self.problems.append(Problem(self.path, line, Message(text, params)))

    def mapping(self, node: Any, parent: Any, key: str, allowed: tuple[str, ...], *,
                required: bool = True) -> dict[str, Any] | None:
        if node is None and not required:
            return None
        if not isinstance(node, dict):
            self.add(parent, key, N_("%(name)s 应为“字段: 值”的形式"), name=key)
            return None
        for dup in node.get("__duplicates__", []):
            self.add(node, dup, N_("字段 %(name)s 重复"), name=dup)
        for name in _keys(node):
            if name not in allowed:
                self.add(node, name, N_("未知字段 %(name)s（可用字段：%(allowed)s）"), name=name,
                         allowed=", ".join(allowed))
        return node

    def text(self, node: dict[str, Any], key: str, *, required: bool = True,
             limit: int = MAX_TEXT) -> str:
        value = node.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(node, key, N_("缺少字段 %(name)s"), name=key)
            return ""
        return self.scalar(value, node, key, limit=limit)

    def scalar(self, value: Any, node: Any, key: str, *, limit: int = MAX_TEXT) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.add(node, key, N_("%(name)s 应为文字"), name=key)
            return ""
        result = str(value).strip()
        if not result:
            self.add(node, key, N_("%(name)s 不能为空"), name=key)
        if len(result) > limit:
            self.add(node, key, N_("%(name)s 太长（最多 %(limit)d 个字符）"), name=key, limit=limit)
            return result[:limit]
        return result

    def texts(self, node: dict[str, Any], key: str, *, required: bool = False,
              limit: int = MAX_TEXT, high: int = MAX_LIST) -> tuple[str, ...]:
        value = node.get(key)
        if value is None:
            if required:
                self.add(node, key, N_("缺少字段 %(name)s"), name=key)
            return ()
        if not isinstance(value, list) or (required and not value) or len(value) > high:
            self.add(node, key, N_("%(name)s 应为 1 到 %(high)d 项文字的列表"), name=key, high=high)
            return ()
        return tuple(self.scalar(v, node, key, limit=limit) for v in value)

    def integer(self, node: dict[str, Any], key: str, *, low: int, high: int,
                default: int | None) -> int | None:
        value = node.get(key, default)
        if value is None and default is None and key not in node:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            self.add(node, key, N_("%(name)s 应为 %(low)d 到 %(high)d 之间的整数"), name=key,
                     low=low, high=high)
            return default if default is not None else low
        return value

    def number(self, value: Any, node: Any, key: str, *, low: float,
               high: float) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not low <= value <= high:
            self.add(node, key, N_("%(name)s 应为 %(low)s 到 %(high)s 之间的数"), name=key,
                     low=_tidy(low), high=_tidy(high))
            return None
        return _tidy(value)

    def choice(self, node: dict[str, Any], key: str, allowed: type, *, default: Any) -> Any:
        value = node.get(key, default)
        values = [e.value for e in allowed]
        if value is None:
            self.add(node, key, N_("缺少字段 %(name)s"), name=key)
            return None
        if value not in values:
            self.add(node, key, N_("%(name)s 只能是 %(allowed)s 之一"), name=key,
                     allowed=", ".join(values))
            return default
        return allowed(value)

    def key(self, node: dict[str, Any], key: str = "key") -> str:
        value = node.get(key)
        if not isinstance(value, str) or not KEY_RE.match(value):
            self.add(node, key, N_("%(name)s 应为小写字母、数字和连字符（最长 64 个字符）"),
                     name=key)
            return ""
        return value


def _keys(node: dict[str, Any]) -> list[str]:
    return [str(k) for k in node if not (isinstance(k, str) and k.startswith("__"))]


def _entries(node: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(str(k), v) for k, v in node.items() if not (isinstance(k, str) and k.startswith("__"))]


def _tidy(value: float) -> float:
    return int(value) if float(value).is_integer() else round(float(value), 6)


# --- matchers -------------------------------------------------------------------------------


def _matcher(f: _File, value: Any, parent: Any, key: str) -> Matcher | None:
    """A matcher written where one is expected: a name, or an inline definition."""
    if isinstance(value, str):
        if not KEY_RE.match(value):
            f.add(parent, key, N_("%(name)s 应为匹配规则的名字或规则本身"), name=key)
            return None
        f.refs.append((value, f.where(parent, key)))
        return Ref(value)
    if not isinstance(value, dict):
        f.add(parent, key, N_("%(name)s 应为匹配规则的名字或规则本身"), name=key)
        return None
    forms = [k for k in MATCHER_FORM_KEYS if k in value]
    if len(forms) != 1:
        f.add(parent, key, N_("匹配规则应有且只有 phrases、regex、examples、all、any、not 之一"))
        return None
    form = forms[0]
    allowed = (form, *FORM_OPTIONS[form])
    for dup in value.get("__duplicates__", []):
        f.add(value, dup, N_("字段 %(name)s 重复"), name=dup)
    for name in _keys(value):
        if name not in allowed:
            f.add(value, name, N_("%(name)s 不能用于 %(form)s 规则（可用字段：%(allowed)s）"),
                  name=name, form=form, allowed=", ".join(allowed))
    polarity = f.choice(value, "polarity", Polarity, default=Polarity.AFFIRMED.value)
    if form == "phrases":
        phrases = f.texts(value, "phrases", required=True, limit=200)
        synonyms: list[Synonym] = []
        raw = value.get("synonyms")
        if raw is not None:
            if not isinstance(raw, dict):
                f.add(value, "synonyms", N_("synonyms 应为“词: [同义说法, …]”的形式"))
            else:
                for word, forms_ in _entries(raw):
                    listed = f.texts(raw, word, required=True, limit=200)
                    synonyms.append(Synonym(word, listed))
        word = value.get("word", False)
        if not isinstance(word, bool):
            f.add(value, "word", N_("word 应为 true 或 false"))
            word = False
        return PhraseMatcher(phrases, tuple(synonyms), word, polarity or Polarity.AFFIRMED)
    if form == "regex":
        pattern = value.get("regex")
        exclude = f.texts(value, "exclude", limit=500)
        for p, name in [(pattern, "regex")] + [(x, "exclude") for x in exclude]:
            if not isinstance(p, str) or not p:
                f.add(value, name, N_("%(name)s 应为正则表达式文字"), name=name)
                return None
            problem = regex_problem(p)
            if problem is not None:
                f.add(value, name, problem, pattern=p)
        return RegexMatcher(str(pattern), exclude, polarity or Polarity.AFFIRMED)
    if form == "examples":
        examples = f.texts(value, "examples", required=True, limit=500)
        threshold = f.integer(value, "threshold", low=50, high=100, default=80)
        return FuzzyMatcher(examples, threshold or 80)
    if form == "not":
        inner = _matcher(f, value.get("not"), value, "not")
        return NotMatcher(inner) if inner is not None else None
    members_raw = value.get(form)
    if not isinstance(members_raw, list) or not 1 <= len(members_raw) <= 20:
        f.add(value, form, N_("%(name)s 应为 1 到 20 条匹配规则的列表"), name=form)
        return None
    members = [_matcher(f, m, value, form) for m in members_raw]
    if any(m is None for m in members):
        return None
    kept = tuple(m for m in members if m is not None)
    return AllOf(kept) if form == "all" else AnyOf(kept)


def _matcher_block(f: _File, raw: Any, parent: Any, key: str) -> dict[str, tuple[Matcher, int | None]]:
    """A `matchers:` mapping of name -> definition, with the line of each name."""
    found: dict[str, tuple[Matcher, int | None]] = {}
    if raw is None:
        return found
    if not isinstance(raw, dict):
        f.add(parent, key, N_("matchers 应为“名字: 规则”的形式"))
        return found
    for dup in raw.get("__duplicates__", []):
        f.add(raw, dup, N_("匹配规则 %(name)s 重复定义"), name=dup)
    for name, spec in _entries(raw):
        if not KEY_RE.match(name):
            f.add(raw, name, N_("匹配规则的名字 %(name)s 只能用小写字母、数字和连字符"), name=name)
            continue
        matcher = _matcher(f, spec, raw, name)
        if matcher is not None:
            found[name] = (matcher, f.where(raw, name))
    return found


def _check_refs(f: _File, known: set[str]) -> None:
    for name, line in f.refs:
        if name not in known:
            f.add_at(line, N_("匹配规则 %(name)s 没有定义（在 matchers.yaml 或本文件的 matchers 中定义）"),
                     name=name)


def _check_cycles(f: _File, defined: dict[str, tuple[Matcher, int | None]],
                  registry: dict[str, Matcher]) -> None:
    for name, (matcher, line) in defined.items():
        seen: set[str] = set()
        todo = list(references(matcher))
        while todo:
            ref = todo.pop()
            if ref == name:
                f.add_at(line, N_("匹配规则 %(name)s 直接或间接引用了它自己"), name=name)
                break
            if ref in seen or ref not in registry:
                continue
            seen.add(ref)
            todo.extend(references(registry[ref]))


# --- the files ------------------------------------------------------------------------------


def _rules(f: _File, raw: Any) -> Rules:
    node = f.mapping(raw, None, "rules.yaml", ("timing", "critical"))
    if node is None:
        return Rules()
    timing = Timing()
    t = f.mapping(node.get("timing"), node, "timing", ("good", "normal", "poor"), required=False)
    if t is not None:
        good = f.integer(t, "good", low=1, high=3600, default=30) or 30
        normal = f.integer(t, "normal", low=1, high=3600, default=60) or 60
        poor = f.integer(t, "poor", low=1, high=3600, default=100) or 100
        if not good < normal < poor:
            f.add(t, None, N_("timing 应满足 good < normal < poor"))
        timing = Timing(good, normal, poor)
    return Rules(timing, _critical(f, node))


def _critical(f: _File, node: dict[str, Any]) -> tuple[CriticalRule, ...]:
    raw = node.get("critical")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        f.add(node, "critical", N_("critical 应为列表"))
        return ()
    rules: list[CriticalRule] = []
    for entry in raw:
        item = f.mapping(entry, node, "critical", ("id", "when", "message"))
        if item is None:
            continue
        violation = item.get("id")
        if violation not in {v.value for v in Violation}:
            f.add(item, "id", N_("未知的严重违规 %(id)s（可用：%(allowed)s）"), id=violation,
                  allowed=", ".join(v.value for v in Violation))
            continue
        if "when" not in item:
            f.add(item, None, N_("缺少字段 %(name)s"), name="when")
            continue
        when = _matcher(f, item.get("when"), item, "when")
        message = f.text(item, "message", required=False)
        if when is not None:
            rules.append(CriticalRule(Violation(violation), when, message))
    return tuple(rules)


def _customer(f: _File, raw: Any, parent: Any) -> Customer:
    node = f.mapping(raw, parent, "customer", ("name", "type", "persona", "patience"))
    if node is None:
        return Customer("", CustomerType.RATIONAL)
    patience = Patience()
    p = f.mapping(node.get("patience"), node, "patience", ("nudge_after", "nudges", "leave_after"),
                  required=False)
    if p is not None:
        patience = Patience(
            nudge_after=f.integer(p, "nudge_after", low=5, high=3600, default=60) or 60,
            nudges=f.texts(p, "nudges", limit=200, high=5),
            leave_after=f.integer(p, "leave_after", low=5, high=3600, default=None))
    return Customer(name=f.text(node, "name", limit=40),
                    type=f.choice(node, "type", CustomerType, default=None) or CustomerType.RATIONAL,
                    persona=f.text(node, "persona", required=False),
                    patience=patience)


def _context(f: _File, raw: Any, parent: Any) -> ContextCard:
    node = f.mapping(raw, parent, "context", ("order", "items", "logistics", "address",
                                              "policies"), required=False)
    if node is None:
        return ContextCard()
    order = None
    o = f.mapping(node.get("order"), node, "order", ("number", "status", "paid", "amount"),
                  required=False)
    if o is not None:
        paid = o.get("paid")
        if paid is not None and not isinstance(paid, bool):
            f.add(o, "paid", N_("paid 应为 true 或 false"))
            paid = None
        amount = o.get("amount")
        order = OrderInfo(number=f.text(o, "number", required=False, limit=64),
                          status=f.text(o, "status", required=False, limit=100), paid=paid,
                          amount=f.number(amount, o, "amount", low=0, high=10_000_000)
                          if amount is not None else None)
    lines: list[OrderLine] = []
    items = node.get("items") or []
    if not isinstance(items, list) or len(items) > 50:
        f.add(node, "items", N_("items 应为最多 50 项的商品列表"))
        items = []
    for entry in items:
        i = f.mapping(entry, node, "items", ("title", "spec", "qty", "price"))
        if i is None:
            continue
        price = i.get("price")
        lines.append(OrderLine(
            title=f.text(i, "title", limit=200), spec=f.text(i, "spec", required=False, limit=200),
            qty=f.integer(i, "qty", low=1, high=9999, default=1) or 1,
            price=f.number(price, i, "price", low=0, high=10_000_000) if price is not None
            else None))
    return ContextCard(order=order, items=tuple(lines),
                       logistics=f.text(node, "logistics", required=False, limit=500),
                       address=f.text(node, "address", required=False, limit=500),
                       policies=f.texts(node, "policies", limit=500, high=50))


def _states(f: _File, raw: Any, parent: Any) -> dict[str, State]:
    states: dict[str, State] = {}
    if not isinstance(raw, dict) or not _keys(raw):
        f.add(parent, "states", N_("states 应为“状态名: 内容”的形式，至少一个状态"))
        return states
    if len(_keys(raw)) > MAX_STATES:
        f.add(parent, "states", N_("states 最多 %(count)d 个"), count=MAX_STATES)
        return states
    for dup in raw.get("__duplicates__", []):
        f.add(raw, dup, N_("状态 %(name)s 重复定义"), name=dup)
    for key, value in _entries(raw):
        if not KEY_RE.match(key):
            f.add(raw, key, N_("状态名 %(name)s 只能用小写字母、数字和连字符"), name=key)
            continue
        node = f.mapping(value, raw, key, ("say", "routes", "fallback", "ending"))
        if node is None:
            continue
        says: list[Say] = []
        say_raw = node.get("say") or []
        if not isinstance(say_raw, list) or len(say_raw) > 20:
            f.add(node, "say", N_("say 应为最多 20 条买家消息的列表"))
            say_raw = []
        for entry in say_raw:
            if isinstance(entry, str):
                says.append(Say(f.scalar(entry, node, "say")))
                continue
            s = f.mapping(entry, node, "say", ("text", "after"))
            if s is not None:
                after = f.number(s.get("after", 0), s, "after", low=0, high=3600)
                says.append(Say(f.text(s, "text"), after if after is not None else 0))
        routes: list[Route] = []
        routes_raw = node.get("routes") or []
        if not isinstance(routes_raw, list) or len(routes_raw) > 30:
            f.add(node, "routes", N_("routes 应为最多 30 条路线的列表"))
            routes_raw = []
        for entry in routes_raw:
            r = f.mapping(entry, node, "routes", ("when", "goto"))
            if r is None:
                continue
            if "when" not in r:
                f.add(r, None, N_("缺少字段 %(name)s"), name="when")
                continue
            when = _matcher(f, r.get("when"), r, "when")
            goto = f.key(r, "goto")
            f.gotos.append((key, goto, f.where(r, "goto")))
            if when is not None and goto:
                routes.append(Route(when, goto))
        fallback = None
        fb = f.mapping(node.get("fallback"), node, "fallback", ("goto", "after"), required=False)
        if fb is not None:
            goto = f.key(fb, "goto")
            f.gotos.append((key, goto, f.where(fb, "goto")))
            after = f.integer(fb, "after", low=1, high=20, default=1) or 1
            fallback = Fallback(goto, after) if goto else None
        ending = None
        if "ending" in node:
            ending = f.choice(node, "ending", Ending, default=None)
        if ending is not None and (routes_raw or fallback is not None):
            f.add(node, "ending", N_("结束状态 %(state)s 不能再有 routes 或 fallback"), state=key)
        if ending is None and "ending" not in node and not routes_raw and fb is None:
            f.add(raw, key, N_("状态 %(state)s 既没有 routes/fallback 也没有 ending，对话会卡在这里"),
                  state=key)
        states[key] = State(key, tuple(says), tuple(routes), fallback, ending, f.where(raw, key))
    return states


def _graph_problems(f: _File, states: dict[str, State], start: str, raw: Any,
                    node: dict[str, Any]) -> None:
    if not states:
        return
    if start and start not in states:
        f.add(node, "start", N_("start 指向的状态 %(state)s 不存在"), state=start)
        return
    for key, goto, line in f.gotos:
        if goto and goto not in states:
            f.add_at(line, N_("状态 %(state)s 的路线指向不存在的状态 %(goto)s"), state=key,
                     goto=goto)
    reached = {start}
    todo = [start]
    while todo:
        state = states.get(todo.pop())
        if state is None:
            continue
        nxt = [r.goto for r in state.routes] + ([state.fallback.goto] if state.fallback else [])
        for goto in nxt:
            if goto in states and goto not in reached:
                reached.add(goto)
                todo.append(goto)
    for key, state in states.items():
        if key not in reached:
            f.add_at(state.line, N_("状态 %(state)s 从 start 出发无法到达"), state=key)
    if not any(s.ending is not None for k, s in states.items() if k in reached):
        f.add(node, "states", N_("没有任何可以到达的结束状态（ending）"))


def _rubric(f: _File, raw: Any, node: dict[str, Any]) -> dict[Item, float]:
    rubric: dict[Item, float] = {}
    if not isinstance(raw, dict) or not _keys(raw):
        f.add(node, "rubric", N_("rubric 应为“评分项: 满分”的形式，至少一项"))
        return rubric
    for name, value in _entries(raw):
        if name not in {i.value for i in Item}:
            f.add(raw, name, N_("未知评分项 %(name)s（可用：%(allowed)s）"), name=name,
                  allowed=", ".join(i.value for i in Item))
            continue
        points = f.number(value, raw, name, low=0.5, high=100)
        if points is not None:
            rubric[Item(name)] = points
    return rubric


def _scope(f: _File, entry: dict[str, Any]) -> tuple[Scope, tuple[str, ...]]:
    raw = entry.get("scope", Scope.ANY_REPLY.value)
    if isinstance(raw, dict):
        s = f.mapping(raw, entry, "scope", ("states",))
        states = f.texts(s, "states", required=True, limit=64) if s is not None else ()
        return Scope.STATES, states
    if raw not in {Scope.FIRST_REPLY.value, Scope.ANY_REPLY.value, Scope.LAST_REPLY.value}:
        f.add(entry, "scope", N_("scope 只能是 first-reply、any-reply、last-reply 或 states: [状态, …]"))
        return Scope.ANY_REPLY, ()
    return Scope(raw), ()


def _checks(f: _File, raw: Any, node: dict[str, Any], rubric: dict[Item, float],
            states: dict[str, State]) -> tuple[Check, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_LIST:
        f.add(node, "checks", N_("checks 应为列表"))
        return ()
    checks: list[Check] = []
    seen: set[str] = set()
    for entry in raw:
        c = f.mapping(entry, node, "checks", ("id", "item", "when", "scope", "points", "tip",
                                              "example"))
        if c is None:
            continue
        cid = f.key(c, "id")
        if cid in seen:
            f.add(c, "id", N_("检查项 id %(id)s 重复"), id=cid)
        seen.add(cid)
        item = f.choice(c, "item", Item, default=None)
        if item is Item.TIMELINESS:
            f.add(c, "item", N_("timeliness 按回复时间自动计分，不能写检查项"))
        elif item is not None and item not in rubric:
            f.add(c, "item", N_("检查项 %(id)s 的评分项 %(item)s 不在 rubric 中"), id=cid, item=item.value)
        if "when" not in c:
            f.add(c, None, N_("缺少字段 %(name)s"), name="when")
            continue
        when = _matcher(f, c.get("when"), c, "when")
        points = f.number(c.get("points"), c, "points", low=-100, high=100)
        if points == 0:
            f.add(c, "points", N_("points 不能为 0（正数加分，负数扣分）"))
        scope, scope_states = _scope(f, c)
        for s in scope_states:
            if s not in states:
                f.add(c, "scope", N_("scope 中的状态 %(state)s 不存在"), state=s)
        if when is None or points is None or item is None:
            continue
        checks.append(Check(cid, item, when, points, scope, scope_states,
                            f.text(c, "tip", required=points > 0), f.text(c, "example",
                                                                         required=False)))
    return tuple(checks)


def _scenario(f: _File, raw: Any, shared: dict[str, Matcher]) -> Scenario | None:
    node = f.mapping(raw, None, "scenario", SCENARIO_FIELDS)
    if node is None:
        f.add_at(1, N_("场景文件应为“字段: 值”的形式"))
        return None
    key = f.key(node)
    title = f.text(node, "title", limit=200)
    customer = _customer(f, node.get("customer"), node)
    context = _context(f, node.get("context"), node)
    own = _matcher_block(f, node.get("matchers"), node, "matchers")
    for name, (_, line) in own.items():
        if name in shared:
            f.add_at(line, N_("匹配规则 %(name)s 已在 matchers.yaml 中定义，场景不能重新定义"),
                     name=name)
    registry = {**shared, **{n: m for n, (m, _) in own.items()}}
    _check_cycles(f, own, registry)
    start = f.key(node, "start")
    states = _states(f, node.get("states"), node)
    _graph_problems(f, states, start, node.get("states"), node)
    rubric = _rubric(f, node.get("rubric"), node)
    checks = _checks(f, node.get("checks"), node, rubric, states)
    critical = _critical(f, node)
    _check_refs(f, set(registry))
    if f.problems:
        return None
    scenario = Scenario(key=key, title=title, customer=customer, start=start, states=states,
                        rubric=rubric, context=context, checks=checks, critical=critical,
                        matchers=registry, path=f.path)
    return replace(scenario, source_hash=content_hash(scenario))


def _drill(f: _File, raw: Any, scenarios: set[str] | None) -> Drill | None:
    node = f.mapping(raw, None, "drill", DRILL_FIELDS)
    if node is None:
        f.add_at(1, N_("演练文件应为“字段: 值”的形式"))
        return None
    key = f.key(node)
    title = f.text(node, "title", limit=200)
    track = node.get("track")
    stage = node.get("stage")
    for name, value in (("track", track), ("stage", stage)):
        if value is not None and (not isinstance(value, str) or not KEY_RE.match(value)):
            f.add(node, name, N_("%(name)s 应为路线或阶段的 key"), name=name)
    if (track is None) != (stage is None):
        f.add(node, None, N_("track 和 stage 须同时填写或同时省略"))
    areas: dict[Item, Area] = {}
    a = f.mapping(node.get("areas"), node, "areas", tuple(i.value for i in Item), required=False)
    if a is not None:
        for name, value in _entries(a):
            if name in {i.value for i in Item}:
                area = f.choice(a, name, Area, default=None)
                if area is not None:
                    areas[Item(name)] = area
    customers: list[DrillCustomer] = []
    raw_customers = node.get("customers")
    if not isinstance(raw_customers, list) or not 1 <= len(raw_customers) <= 10:
        f.add(node, "customers", N_("customers 应为 1 到 10 位买家的列表"))
        raw_customers = []
    for entry in raw_customers:
        c = f.mapping(entry, node, "customers", ("scenario", "arrive"))
        if c is None:
            continue
        scenario = f.key(c, "scenario")
        if scenario and scenarios is not None and scenario not in scenarios:
            f.add(c, "scenario", N_("场景 %(key)s 不存在（scenarios/ 中没有这个 key）"), key=scenario)
        arrive = f.integer(c, "arrive", low=0, high=3600, default=0) or 0
        customers.append(DrillCustomer(scenario, arrive))
    drill = Drill(
        key=key, title=title, customers=tuple(customers),
        time_limit_minutes=f.integer(node, "time_limit_minutes", low=1, high=600, default=15) or 15,
        pass_mark=f.integer(node, "pass_mark", low=0, high=100, default=60) or 0,
        attempts=f.integer(node, "attempts", low=1, high=20, default=1) or 1,
        wait_minutes=f.integer(node, "wait_minutes", low=0, high=10080, default=0) or 0,
        areas=areas, track=track if isinstance(track, str) else None,
        stage=stage if isinstance(stage, str) else None,
        instructions=f.text(node, "instructions", required=False, limit=20_000), path=f.path)
    if f.problems:
        return None
    return replace(drill, source_hash=content_hash(drill))


def content_hash(definition: Scenario | Drill) -> str:
    """Changes exactly when what the definition means changes (shared matchers included)."""
    bare = replace(definition, source_hash="", path="")
    if isinstance(bare, Scenario):  # where a state is written is not what it means
        bare = replace(bare, states={k: replace(v, line=None) for k, v in bare.states.items()})
    data = bare.to_data()
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- the folder -----------------------------------------------------------------------------


def _load_keyed(files: list[tuple[str, bytes]], build: Callable[[_File, Any], T | None],
                duplicate: str, problems: list[Problem]) -> tuple[list[T], dict[str, str]]:
    """Files that each define one thing with a key (scenarios, drills): what every valid
    file defines, and the path of each key; a key used twice is `duplicate`'s problem."""
    built: list[T] = []
    paths: dict[str, str] = {}
    for path, data in sorted(files):
        f = _File(path)
        raw = read_yaml(data, path, f.problems)
        thing = build(f, raw) if not f.problems else None
        if isinstance(raw, dict) and isinstance(raw.get("key"), str):
            key = raw["key"]
            if key in paths:
                f.add(raw, "key", duplicate, key=key, other=paths[key])
            paths.setdefault(key, path)
        problems.extend(capped(f.problems))
        if thing is not None and not f.problems:
            built.append(thing)
    return built, paths


def load_files(files: Iterable[tuple[str, bytes]]) -> ChatContent:
    """Chat files by their path inside the chats folder ("rules.yaml",
    "scenarios/x.yaml", "drills/y.yaml"); `prefix` paths are accepted as they are named."""
    by_kind: dict[str, list[tuple[str, bytes]]] = {"rules": [], "matchers": [], "scenarios": [],
                                                   "drills": []}
    content = ChatContent()
    for path, data in files:
        name = Path(path)
        if name.name == "rules.yaml" and name.parent.name != "scenarios":
            by_kind["rules"].append((path, data))
        elif name.name == "matchers.yaml" and name.parent.name != "scenarios":
            by_kind["matchers"].append((path, data))
        elif name.parent.name in ("scenarios", "drills") and name.suffix == ".yaml":
            by_kind[name.parent.name].append((path, data))
        else:
            content.problems.append(Problem(path, None, msg(
                N_("不认识的文件：只能是 rules.yaml、matchers.yaml、scenarios/*.yaml 或 drills/*.yaml"))))
    shared: dict[str, tuple[Matcher, int | None]] = {}
    matcher_files: list[_File] = []
    for path, data in by_kind["matchers"]:
        f = _File(path)
        raw = read_yaml(data, path, f.problems)
        if not f.problems:
            node = f.mapping(raw, None, "matchers.yaml", ("matchers",))
            if node is not None:
                shared.update(_matcher_block(f, node.get("matchers"), node, "matchers"))
        matcher_files.append(f)
    registry = {n: m for n, (m, _) in shared.items()}
    for f in matcher_files:
        _check_refs(f, set(registry))
        _check_cycles(f, shared, registry)
        content.problems.extend(capped(f.problems))
    for path, data in by_kind["rules"]:
        f = _File(path)
        raw = read_yaml(data, path, f.problems)
        if not f.problems:
            content.rules = _rules(f, raw)
            _check_refs(f, set(registry))
        content.problems.extend(capped(f.problems))
    content.scenarios, scenario_paths = _load_keyed(
        by_kind["scenarios"], lambda f, raw: _scenario(f, raw, registry),
        N_("场景 key %(key)s 与 %(other)s 重复"), content.problems)
    content.drills, _ = _load_keyed(
        by_kind["drills"], lambda f, raw: _drill(f, raw, set(scenario_paths)),
        N_("演练 key %(key)s 与 %(other)s 重复"), content.problems)
    content.matchers = registry
    if content.problems:
        content.scenarios, content.drills, content.matchers = [], [], {}
        content.rules = Rules()
    return content


def load_folder(root: Path) -> ChatContent:
    """Every chat file under `root` (question_banks/chats), named relative to its parent."""
    base = root.parent
    paths = [root / "rules.yaml", root / "matchers.yaml"]
    paths = [p for p in paths if p.is_file()]
    paths += sorted((root / "scenarios").glob("*.yaml")) + sorted((root / "drills").glob("*.yaml"))
    files: list[tuple[str, bytes]] = []
    problems: list[Problem] = []
    for p in paths:
        try:
            files.append((str(p.relative_to(base)), p.read_bytes()))
        except OSError:
            problems.append(Problem(str(p.relative_to(base)), None, msg(N_("文件无法读取"))))
    content = load_files(files)
    if problems:
        content = ChatContent(problems=problems + content.problems)
    return content

"""Typed definitions of simulated-chat content: scenarios, matchers, rules and drills.

Pure data (see docs/chat-scenario-format.md): `portal.chat.files` builds these from the
files in question_banks/chats/, the engine and the scoring read them. Every definition and
result converts to JSON-able data and back (`to_data()` / `from_data()`), so an attempt
can pin the exact version it was taken on.
"""
from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Self, TypeVar, Union

from portal.messages import N_

# --- the fixed vocabularies ----------------------------------------------------------------


class Item(StrEnum):
    """The service items of table 2 in 002, the rubric's rows."""

    GREETING = "greeting"
    NEED = "need"
    TIMELINESS = "timeliness"
    ACCURACY = "accuracy"
    PRODUCT_INTRO = "product_intro"
    RECOMMENDATION = "recommendation"
    BARGAINING = "bargaining"
    AFTER_SALES = "after_sales"
    COMPLAINT = "complaint"
    SPECIAL_REQUEST = "special_request"
    FAREWELL = "farewell"

    @property
    def label(self) -> str:
        """The Chinese name (a msgid: the web layer translates it)."""
        return _ITEM_LABELS[self]


_ITEM_LABELS: dict[Item, str] = {
    Item.GREETING: N_("问候语"),
    Item.NEED: N_("了解客户需求准确性"),
    Item.TIMELINESS: N_("客户咨询回复及时性"),
    Item.ACCURACY: N_("对客户提问回复的准确性"),
    Item.PRODUCT_INTRO: N_("对产品介绍的得体性"),
    Item.RECOMMENDATION: N_("对客户推荐的准确性"),
    Item.BARGAINING: N_("客户议价回复的得体性"),
    Item.AFTER_SALES: N_("售后问题处理的合理度"),
    Item.COMPLAINT: N_("对投诉处理得体性"),
    Item.SPECIAL_REQUEST: N_("个性要求的处理的完成程度"),
    Item.FAREWELL: N_("道别语的亲切度"),
}


class Violation(StrEnum):
    """Critical violations: any one fails the attempt, whatever the points."""

    FALSE_PROMISE = "false_promise"
    PRICE_RAISE = "price_raise"
    OFF_PLATFORM_PAYMENT = "off_platform_payment"
    INVOICE_OVERSTATED = "invoice_overstated"
    FALSE_REFUND_REASON = "false_refund_reason"
    RUDE = "rude"
    PRIVACY_LEAK = "privacy_leak"

    @property
    def label(self) -> str:
        return _VIOLATION_LABELS[self]

    @property
    def reason(self) -> str:
        """Why the attempt failed, when the rule gives no message of its own."""
        return _VIOLATION_REASONS[self]


_VIOLATION_LABELS: dict[Violation, str] = {
    Violation.FALSE_PROMISE: N_("承诺店铺做不到的事"),
    Violation.PRICE_RAISE: N_("答应抬高价格"),
    Violation.OFF_PLATFORM_PAYMENT: N_("引导平台外交易"),
    Violation.INVOICE_OVERSTATED: N_("发票金额超过实付金额"),
    Violation.FALSE_REFUND_REASON: N_("让买家选择不实的退款理由"),
    Violation.RUDE: N_("态度恶劣、敷衍买家"),
    Violation.PRIVACY_LEAK: N_("泄露其他买家的信息"),
}

_VIOLATION_REASONS: dict[Violation, str] = {
    Violation.FALSE_PROMISE: N_("答应了店铺做不到的事，买家收货时必然产生纠纷。"),
    Violation.PRICE_RAISE: N_("答应抬高商品价格，违反平台规则。"),
    Violation.OFF_PLATFORM_PAYMENT: N_("引导买家在平台外付款或联系，违反平台规则，也让买家失去保障。"),
    Violation.INVOICE_OVERSTATED: N_("答应开具超过实付金额的发票，属于虚开发票。"),
    Violation.FALSE_REFUND_REASON: N_("让买家选择与事实不符的退款理由，会被平台判定为违规。"),
    Violation.RUDE: N_("使用了生硬、不耐烦或推卸的说法，会直接引起投诉。"),
    Violation.PRIVACY_LEAK: N_("透露了其他买家的信息，违反信息安全规定。"),
}


class Ending(StrEnum):
    SATISFIED = "satisfied"
    ESCALATED = "escalated"
    LEFT = "left"
    COMPLAINT = "complaint"

    @property
    def label(self) -> str:
        return _ENDING_LABELS[self]


_ENDING_LABELS: dict[Ending, str] = {
    Ending.SATISFIED: N_("买家满意结束"),
    Ending.ESCALATED: N_("转交主管处理"),
    Ending.LEFT: N_("买家等不及离开了"),
    Ending.COMPLAINT: N_("买家发起投诉"),
}


class CustomerType(StrEnum):
    """The four kinds of customer of 004."""

    RATIONAL = "rational"
    EMOTIONAL = "emotional"
    HESITANT = "hesitant"
    PICKY = "picky"

    @property
    def label(self) -> str:
        return _CUSTOMER_TYPE_LABELS[self]


_CUSTOMER_TYPE_LABELS: dict[CustomerType, str] = {
    CustomerType.RATIONAL: N_("理性型"),
    CustomerType.EMOTIONAL: N_("情绪型"),
    CustomerType.HESITANT: N_("犹豫型"),
    CustomerType.PICKY: N_("挑剔型"),
}


class Scope(StrEnum):
    """Which of the trainee's replies a check looks at."""

    FIRST_REPLY = "first-reply"
    ANY_REPLY = "any-reply"
    LAST_REPLY = "last-reply"
    STATES = "states"  # replies written while the conversation was in `Check.states`


class Polarity(StrEnum):
    """Which matches of a phrase or regex count, by the negation cues of their clause."""

    AFFIRMED = "affirmed"
    NEGATED = "negated"
    ANY = "any"


class Area(StrEnum):
    """The placement area an item feeds (see the drill's `areas`)."""

    PRE_SALES = "pre-sales"
    AFTER_SALES = "after-sales"
    GENERAL = "general"


# --- JSON-able data -------------------------------------------------------------------------


_T = TypeVar("_T")


class Storable:
    """`to_data()` gives JSON-able data; `from_data()` builds the same value back."""

    def to_data(self) -> Any:
        return encode(self)

    @classmethod
    def from_data(cls, data: Any) -> Self:
        return decode(cls, data)


def encode(value: Any) -> Any:
    """A dataclass (and what it holds) as JSON-able data: enums by value, datetimes in ISO
    format, tuples as lists; a matcher carries its `form`."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        form = getattr(type(value), "FORM", None)
        if form is not None:
            data["form"] = form
        return data
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, Mapping):
        return {str(encode(k)): encode(v) for k, v in value.items()}
    return value


def decode(cls: type[_T], data: Any) -> _T:
    return typing.cast(_T, _decoder(cls)(data))


def _identity(data: Any) -> Any:
    return data


@functools.cache
def _decoder(tp: Any) -> Callable[[Any], Any]:
    """A function that decodes data of type `tp`, built once per type: types do not change,
    and inspecting a dataclass's hints and fields on every value was most of the time spent
    reading stored results (dashboards decode hundreds of them)."""
    origin = typing.get_origin(tp)
    if tp is Any:
        return _identity
    if origin in (Union, types.UnionType):
        return _union_decoder(tp)
    if origin is tuple:
        args = typing.get_args(tp)
        item = _decoder(args[0] if args else Any)
        return lambda data: tuple(item(v) for v in data)
    if origin is list:
        (item_t,) = typing.get_args(tp)
        item = _decoder(item_t)
        return lambda data: [item(v) for v in data]
    if origin in (dict, Mapping) or tp is dict:
        key_t, value_t = typing.get_args(tp) or (Any, Any)
        key, value = _decoder(key_t), _decoder(value_t)
        return lambda data: {key(k): value(v) for k, v in data.items()}
    if isinstance(tp, type) and issubclass(tp, StrEnum):
        return tp
    if tp is datetime:
        return datetime.fromisoformat
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass_decoder(tp)
    if tp is float:
        return lambda data: float(data) if isinstance(data, int) else data
    return _identity


def _union_decoder(tp: Any) -> Callable[[Any], Any]:
    """An optional value or one of several dataclasses told apart by their `form`."""
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    forms = {a.FORM: _decoder(a) for a in args
             if dataclasses.is_dataclass(a) and getattr(a, "FORM", None) is not None}
    if all(a in (int, float) for a in args):
        first: Callable[[Any], Any] = _identity
    else:
        first = _decoder(args[0])

    def decode_union(data: Any) -> Any:
        if data is None:
            return None
        if forms and isinstance(data, dict):
            by_form = forms.get(data.get("form"))
            if by_form is not None:
                return by_form(data)
        return first(data)
    return decode_union


def _dataclass_decoder(tp: type) -> Callable[[Any], Any]:
    hints = typing.get_type_hints(tp)
    names = [f.name for f in dataclasses.fields(tp) if f.init]
    decoders: tuple[tuple[str, Callable[[Any], Any]], ...] = ()

    def decode_dataclass(data: Any) -> Any:
        nonlocal decoders
        if not decoders:  # built on first use: a field's type may be the class itself
            decoders = tuple((name, _decoder(hints[name])) for name in names)
        return tp(**{name: decode_field(data[name]) for name, decode_field in decoders
                     if name in data})
    return decode_dataclass


# --- matchers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref(Storable):
    """A named matcher, looked up in the scenario's registry when evaluated."""

    FORM: ClassVar[str] = "ref"
    name: str


@dataclass(frozen=True)
class Synonym(Storable):
    """Where `word` appears in a phrase, each of `forms` also matches."""

    word: str
    forms: tuple[str, ...]


@dataclass(frozen=True)
class PhraseMatcher(Storable):
    """Any of the phrases (or a listed synonym of a word inside one) appears in a clause."""

    FORM: ClassVar[str] = "phrases"
    phrases: tuple[str, ...]
    synonyms: tuple[Synonym, ...] = ()
    word: bool = False  # whole jieba words only
    polarity: Polarity = Polarity.AFFIRMED


@dataclass(frozen=True)
class RegexMatcher(Storable):
    """A regular expression on the normalised text, unless an exclusion matches the clause."""

    FORM: ClassVar[str] = "regex"
    pattern: str
    exclude: tuple[str, ...] = ()
    polarity: Polarity = Polarity.AFFIRMED


@dataclass(frozen=True)
class FuzzyMatcher(Storable):
    """Similar enough (rapidfuzz partial_ratio, 0-100) to one of the example replies."""

    FORM: ClassVar[str] = "examples"
    examples: tuple[str, ...]
    threshold: int = 80


@dataclass(frozen=True)
class AllOf(Storable):
    FORM: ClassVar[str] = "all"
    matchers: tuple[Matcher, ...]


@dataclass(frozen=True)
class AnyOf(Storable):
    FORM: ClassVar[str] = "any"
    matchers: tuple[Matcher, ...]


@dataclass(frozen=True)
class NotMatcher(Storable):
    FORM: ClassVar[str] = "not"
    matcher: Matcher


Matcher = Ref | PhraseMatcher | RegexMatcher | FuzzyMatcher | AllOf | AnyOf | NotMatcher
MATCHER_FORMS: tuple[type, ...] = (PhraseMatcher, RegexMatcher, FuzzyMatcher, AllOf, AnyOf,
                                   NotMatcher)


# --- scenarios ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Patience(Storable):
    """How long a silent trainee is waited for: nudge k is sent `k * nudge_after` seconds
    after the customer's turn began; the customer leaves `leave_after` seconds after the
    last nudge (never, when `leave_after` is None)."""

    nudge_after: int = 60
    nudges: tuple[str, ...] = ()
    leave_after: int | None = None


@dataclass(frozen=True)
class Customer(Storable):
    name: str
    type: CustomerType
    persona: str = ""
    patience: Patience = field(default_factory=Patience)


@dataclass(frozen=True)
class OrderInfo(Storable):
    number: str = ""
    status: str = ""
    paid: bool | None = None
    amount: float | None = None


@dataclass(frozen=True)
class OrderLine(Storable):
    title: str
    spec: str = ""
    qty: int = 1
    price: float | None = None


@dataclass(frozen=True)
class ContextCard(Storable):
    """What the trainee sees beside the chat."""

    order: OrderInfo | None = None
    items: tuple[OrderLine, ...] = ()
    logistics: str = ""
    address: str = ""
    policies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Say(Storable):
    text: str
    after: float = 0  # seconds after the state is entered


@dataclass(frozen=True)
class Route(Storable):
    when: Matcher
    goto: str


@dataclass(frozen=True)
class Fallback(Storable):
    goto: str
    after: int = 1  # unmatched replies in the state before it fires


@dataclass(frozen=True)
class State(Storable):
    key: str
    say: tuple[Say, ...] = ()
    routes: tuple[Route, ...] = ()
    fallback: Fallback | None = None
    ending: Ending | None = None
    line: int | None = None  # where it is defined (for problems and the scenario player)


@dataclass(frozen=True)
class Check(Storable):
    id: str
    item: Item
    when: Matcher
    points: float
    scope: Scope = Scope.ANY_REPLY
    states: tuple[str, ...] = ()  # with Scope.STATES
    tip: str = ""
    example: str = ""


@dataclass(frozen=True)
class CriticalRule(Storable):
    id: Violation
    when: Matcher
    message: str = ""  # the fail reason shown; Violation.reason when empty

    @property
    def reason(self) -> str:
        return self.message or self.id.reason


@dataclass(frozen=True)
class Timing(Storable):
    """Response-time bands in seconds (003): up to `good` full credit, up to `normal` 60 %,
    below `poor` 30 %, from `poor` on nothing."""

    good: int = 30
    normal: int = 60
    poor: int = 100

    GOOD_CREDIT: ClassVar[float] = 1.0
    NORMAL_CREDIT: ClassVar[float] = 0.6
    SLOW_CREDIT: ClassVar[float] = 0.3

    def credit(self, seconds: float) -> float:
        if seconds <= self.good:
            return self.GOOD_CREDIT
        if seconds <= self.normal:
            return self.NORMAL_CREDIT
        if seconds < self.poor:
            return self.SLOW_CREDIT
        return 0.0


@dataclass(frozen=True)
class Rules(Storable):
    """rules.yaml: what applies in every scenario."""

    timing: Timing = field(default_factory=Timing)
    critical: tuple[CriticalRule, ...] = ()


@dataclass(frozen=True)
class Scenario(Storable):
    key: str
    title: str
    customer: Customer
    start: str
    states: Mapping[str, State]
    rubric: Mapping[Item, float]  # maximum points per item that applies
    context: ContextCard = field(default_factory=ContextCard)
    checks: tuple[Check, ...] = ()
    critical: tuple[CriticalRule, ...] = ()
    # Every matcher a `Ref` in this scenario (or in rules.yaml) may name: the shared ones
    # of matchers.yaml and the scenario's own.
    matchers: Mapping[str, Matcher] = field(default_factory=dict)
    path: str = ""
    source_hash: str = ""

    def state(self, key: str) -> State:
        return self.states[key]

    @property
    def max_points(self) -> float:
        return float(sum(self.rubric.values()))


@dataclass(frozen=True)
class DrillCustomer(Storable):
    scenario: str
    arrive: int = 0  # seconds after the start


@dataclass(frozen=True)
class Drill(Storable):
    """A chat exam: which customers arrive when, and what passing means."""

    key: str
    title: str
    customers: tuple[DrillCustomer, ...]
    time_limit_minutes: int = 15
    pass_mark: int = 60  # 0-100, and no critical violation
    attempts: int = 1
    wait_minutes: int = 0
    areas: Mapping[Item, Area] = field(default_factory=dict)
    track: str | None = None
    stage: str | None = None
    instructions: str = ""
    path: str = ""
    source_hash: str = ""


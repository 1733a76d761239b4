"""Things kept as numbered versions: a mixin for the thing, one for its versions, one helper.

Tracks, modules, questions and exams (and tomorrow chat scenarios and observation forms) are
each a *thing* with a stable identity (a key, an id in its bank) whose content lives in
*versions*: number 1, 2, 3 ... each with the hash of the content it was made from, when and
by whom. Old versions are never changed, so an old attempt or score can always be explained;
the thing points at the one in use.

To add a versioned thing, name the version class `<Thing>Version` on table `<thing>_version`
and write::

    class Scenario(Versioned, Base):            # id, current_version_id, current_version
        __tablename__ = "scenario"
        key: Mapped[str] = mapped_column(sa.String(64), unique=True)

    class ScenarioVersion(Version, Base):       # id, number, created_at, created_by_id,
        __tablename__ = "scenario_version"      # unique (scenario_id, number)
        scenario_id: Mapped[int] = version_of("scenario")
        title: Mapped[str] = mapped_column(sa.String(200))
        source_hash: Mapped[str] = mapped_column(sa.String(64))

and in the service, `new_version_if_changed(session, thing=scenario,
version=ScenarioVersion(title=...), content_hash=..., actor_id=..., now=...)`.

Imports of many things at once (a question bank of 500 questions, ten of them) use the bulk
pair instead: `current_versions` loads the numbers and hashes of the things' versions in
use with one statement, and `add_versions` writes every new version with one executemany
and points each thing at its new version with another; no ORM flush per row.

Columns keep the order of the tables as first written: the thing's `id` first and its
`current_version_id` after the columns the class declares; a version's `id`, owner and
`number` first, `created_at` and `created_by_id` last.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, NamedTuple, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column, relationship

from portal.db import utcnow


@dataclass
class ImportPlan:
    """What an import of versioned things would do (a dry run) or did, by label."""

    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def touched(self) -> bool:
        return bool(self.new or self.changed or self.removed)


FIRST = -100  # sort_order: before the columns the class declares
LAST = 100    # after them


class Versioned:
    """A thing whose content lives in numbered versions; `current_version` is the one in use.

    The version class is `<ClassName>Version` on table `<tablename>_version` unless
    `version_class` / `version_table` say otherwise.
    """

    version_class: ClassVar[str | None] = None
    version_table: ClassVar[str | None] = None

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=FIRST)

    @classmethod
    def _version_table(cls) -> str:
        return cls.version_table or f"{cls.__tablename__}_version"  # type: ignore[attr-defined]

    @declared_attr
    def current_version_id(cls) -> Mapped[int | None]:
        # use_alter: the thing and its versions point at each other.
        return mapped_column(sa.ForeignKey(f"{cls._version_table()}.id", use_alter=True,
                                           ondelete="SET NULL"), sort_order=LAST)

    @declared_attr
    def current_version(cls) -> Mapped[Any]:
        return relationship(cls.version_class or f"{cls.__name__}Version",
                            foreign_keys=f"{cls.__name__}.current_version_id", post_update=True)

    @property
    def next_version_number(self) -> int:
        current = self.current_version
        return current.number + 1 if current is not None else 1


def version_of(thing_table: str) -> Mapped[int]:
    """The column of a version that names its thing (deleted with it)."""
    return mapped_column(sa.ForeignKey(f"{thing_table}.id", ondelete="CASCADE"), index=True,
                         sort_order=FIRST + 1)


class Version:
    """One numbered version of a thing; `number` is unique per thing.

    The owner column is `<thing table>_id` (declare it with `version_of`); the content hash
    is `source_hash` unless `hash_attribute` names another column.
    """

    hash_attribute: ClassVar[str] = "source_hash"

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=FIRST)
    number: Mapped[int] = mapped_column(sort_order=FIRST + 2)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, sort_order=LAST)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), sort_order=LAST + 1)

    @classmethod
    def owner_column(cls) -> str:
        table: str = cls.__tablename__  # type: ignore[attr-defined]
        return f"{table.removesuffix('_version')}_id"

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (sa.UniqueConstraint(cls.owner_column(), "number"),)

    @property
    def content_hash_value(self) -> str:
        return str(getattr(self, self.hash_attribute))


V = TypeVar("V", bound=Version)


def add_version(session: Session, *, thing: Versioned, version: V, content_hash: str,
                actor_id: int | None, now: datetime) -> V:
    """Make `version` (new, not yet added) the thing's next version and its current one."""
    setattr(version, version.owner_column(), thing.id)
    setattr(version, version.hash_attribute, content_hash)
    version.number = thing.next_version_number
    version.created_at = now
    version.created_by_id = actor_id
    session.add(version)
    session.flush()
    thing.current_version = version
    return version


def new_version_if_changed(session: Session, *, thing: Versioned, version: V, content_hash: str,
                           actor_id: int | None, now: datetime) -> V | None:
    """`add_version` unless the current version was made from the same content (None then)."""
    current = thing.current_version
    if current is not None and current.content_hash_value == content_hash:
        return None
    return add_version(session, thing=thing, version=version, content_hash=content_hash,
                       actor_id=actor_id, now=now)


# --- many things at once ------------------------------------------------------------------


class CurrentVersion(NamedTuple):
    """What a thing's version in use is: its number and the hash of its content."""

    number: int
    content_hash: str


class SerializedJSON(str):
    """A JSON column's value already serialised (JSON text): `add_versions` writes it as it
    is, so data serialised once for its hash is not serialised again to be stored."""


class _JSONText(sa.types.TypeDecorator[Any]):
    """A JSON column written from JSON text (`SerializedJSON`); read as JSON as usual."""

    impl = sa.JSON
    cache_ok = True

    def bind_processor(self, dialect: sa.Dialect) -> None:  # type: ignore[override]
        return None  # the text is the value: no json.dumps


class NewVersion(NamedTuple):
    """A version to add to the thing with id `thing_id`: its number follows `current`'s."""

    thing_id: int
    current: CurrentVersion | None
    content_hash: str
    values: dict[str, Any]  # the version class's own columns (kind, data, title ...)


def current_versions(session: Session, *, thing_class: type[Versioned],
                     version_class: type[Version],
                     thing_ids: Sequence[int] | sa.ColumnElement[bool]
                     ) -> dict[int, CurrentVersion]:
    """The version in use of each thing (those without one are left out), in one statement;
    `thing_ids` is a list of ids or a condition on the thing's table."""
    things = thing_class.__table__  # type: ignore[attr-defined]
    versions = version_class.__table__  # type: ignore[attr-defined]
    where = (things.c.id.in_(thing_ids) if isinstance(thing_ids, Sequence) else thing_ids)
    rows = session.execute(
        sa.select(things.c.id, versions.c.number, versions.c[version_class.hash_attribute])
        .join(versions, versions.c.id == things.c.current_version_id).where(where))
    return {thing_id: CurrentVersion(number, content_hash)
            for thing_id, number, content_hash in rows}


def add_versions(session: Session, *, thing_class: type[Versioned], version_class: type[Version],
                 versions: Iterable[NewVersion], actor_id: int | None, now: datetime) -> int:
    """Add each version as its thing's next one and make it the thing's current one, as
    `add_version` does one by one: one executemany for the versions, one for the things.
    Core statements: ORM objects of these things loaded before are stale afterwards (the
    caller expires them). Returns how many versions were added."""
    things = thing_class.__table__  # type: ignore[attr-defined]
    table = version_class.__table__  # type: ignore[attr-defined]
    owner = version_class.owner_column()
    rows, links = [], []
    for new in versions:
        number = new.current.number + 1 if new.current is not None else 1
        rows.append({**new.values, owner: new.thing_id, "number": number,
                     version_class.hash_attribute: new.content_hash, "created_at": now,
                     "created_by_id": actor_id})
        links.append({"b_thing": new.thing_id, "b_number": number})
    if not rows:
        return 0
    # Columns given as JSON text (the same in every row) are bound as they are.
    serialized = [name for name, value in rows[0].items() if isinstance(value, SerializedJSON)]
    insert = sa.insert(table)
    if serialized:
        insert = insert.values({name: sa.bindparam(f"b_{name}", type_=_JSONText())
                                for name in serialized})
        for row in rows:
            for name in serialized:
                row[f"b_{name}"] = row.pop(name)
    session.execute(insert, rows)
    # The new version's id by its (thing, number), unique: no RETURNING needed, so SQLite
    # and PostgreSQL each get a single executemany.
    newest = (sa.select(table.c.id)
              .where(table.c[owner] == sa.bindparam("b_thing"),
                     table.c.number == sa.bindparam("b_number"))
              .scalar_subquery())
    session.execute(sa.update(things).where(things.c.id == sa.bindparam("b_thing"))
                    .values(current_version_id=newest), links)
    return len(rows)

"""URL converters: ids in paths are bounded to what the database can hold."""
from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

# Every id column is INTEGER: signed 32-bit on PostgreSQL (SQLite would hold 64 bits, but
# the portal never makes an id PostgreSQL could not hold). A larger number in a path names
# nothing; before, SQLite raised OverflowError from 2**63 on and PostgreSQL "integer out of
# range" from 2**31 on (both a 500).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:…>` for the whole portal: a non-negative integer no larger than MAX_ID (any database's ids).

    A larger one is a 404 straight away. (Werkzeug's own `max` would make the route not
    match, and where a path has routes for two methods, GET and POST, werkzeug then
    answers 405 instead.)
    """

    def to_python(self, value: str) -> Any:
        number = super().to_python(value)
        if number > MAX_ID:
            raise NotFound()
        return number


def register(app: Flask) -> None:
    """Replace `int` before any route is added: every `<int:…>` in the portal is bounded."""
    app.url_map.converters["int"] = IdConverter

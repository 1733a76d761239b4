"""Settings from the environment (PORTAL_*), with safe defaults for local use."""
from __future__ import annotations

import os
import secrets
import shlex
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent

ENV_SETTINGS = {
    # environment variable: (config key, converter)
    "PORTAL_DATABASE_URL": ("DATABASE_URL", str),
    "PORTAL_SECRET_KEY": ("SECRET_KEY", str),
    "PORTAL_RATELIMIT_STORAGE_URI": ("RATELIMIT_STORAGE_URI", str),
    "PORTAL_SECURE_COOKIES": ("SESSION_COOKIE_SECURE", lambda v: v.lower() in ("1", "true", "yes")),
    "PORTAL_LOGIN_LIMIT_ACCOUNT": ("LOGIN_LIMIT_ACCOUNT", str),
    "PORTAL_LOGIN_LIMIT_ADDRESS": ("LOGIN_LIMIT_ADDRESS", str),
    "PORTAL_DEFAULT_LOCALE": ("BABEL_DEFAULT_LOCALE", str),
    "PORTAL_MIGRATIONS_DIR": ("MIGRATIONS_DIR", str),
    "PORTAL_TRUSTED_PROXIES": ("TRUSTED_PROXIES", int),
}


def defaults(instance_path: Path) -> dict[str, Any]:
    return {
        "DATABASE_URL": f"sqlite:///{instance_path / 'portal.sqlite3'}",
        "SECRET_KEY": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "SESSION_COOKIE_NAME": "portal_session",
        "PERMANENT_SESSION_LIFETIME": 12 * 3600,
        # A CSRF token lives as long as the session: a long exam must not lose it.
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_SSL_STRICT": True,
        "RATELIMIT_STORAGE_URI": "portal-db://",  # counters in the portal's database
        "RATELIMIT_HEADERS_ENABLED": False,
        "LOGIN_LIMIT_ACCOUNT": "5 per 15 minutes",
        "LOGIN_LIMIT_ADDRESS": "30 per 15 minutes",
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": {"zh_CN": "简体中文", "en": "English"},
        "MIGRATIONS_DIR": str(PROJECT_ROOT / "migrations"),
        "TRUSTED_PROXIES": 0,
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
    }


def from_environment(environ: dict[str, str] | None = None) -> dict[str, Any]:
    environ = os.environ if environ is None else environ
    found: dict[str, Any] = {}
    for var, (key, convert) in ENV_SETTINGS.items():
        if environ.get(var):
            found[key] = convert(environ[var])
    return found


def instance_secret(instance_path: Path) -> str:
    """A secret key generated once and kept in the instance folder (local use only)."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


def gunicorn_workers(environ: Mapping[str, str] | None = None) -> int | None:
    """How many worker processes gunicorn would start, as far as the environment says
    (`--workers`/`-w` in GUNICORN_CMD_ARGS, else WEB_CONCURRENCY); None when it does not.
    Workers given on gunicorn's own command line or in its config file are not seen."""
    environ = os.environ if environ is None else environ
    try:
        args = shlex.split(environ.get("GUNICORN_CMD_ARGS", ""))
    except ValueError:
        args = []
    found: str | None = None
    for i, arg in enumerate(args):
        if arg in ("-w", "--workers") and i + 1 < len(args):
            found = args[i + 1]
        elif arg.startswith("--workers="):
            found = arg.removeprefix("--workers=")
        elif arg.startswith("-w") and arg[2:].isdigit():
            found = arg[2:]
    for value in (found, environ.get("WEB_CONCURRENCY")):
        if value is not None and value.strip().isdigit():
            return int(value)
    return None


def throttle_problem(config: Mapping[str, Any], environ: Mapping[str, str] | None = None
                     ) -> str | None:
    """Why the log-in throttle's storage would not hold its limits, if it would not:
    memory:// counts in each process alone, so with several processes (gunicorn workers,
    or machines) an account or address gets the limit once per process."""
    storage = str(config.get("RATELIMIT_STORAGE_URI") or "")
    if not storage.startswith("memory://"):
        return None
    url = str(config.get("DATABASE_URL", ""))
    why = None
    if url.startswith("postgresql"):
        why = "a PostgreSQL deployment usually runs several processes or machines"
    elif url.startswith("sqlite") and ":memory:" not in url and url not in ("sqlite://",
                                                                           "sqlite:///"):
        workers = gunicorn_workers(environ)
        if workers is not None and workers > 1:
            why = f"gunicorn is set to start {workers} workers (WEB_CONCURRENCY/GUNICORN_CMD_ARGS)"
    if why is None:
        return None
    return (f"RATELIMIT_STORAGE_URI is memory:// and {why}: each process keeps its own log-in "
            "counters, so every process allows the whole limit again; unset it to count in the "
            "portal's database (portal-db://, the default) or use a shared redis://")


def problems(config: dict[str, Any], environ: Mapping[str, str] | None = None) -> list[str]:
    """What is wrong or risky in a configuration (for `flask --app portal config check`)."""
    found = []
    url = str(config.get("DATABASE_URL", ""))
    if not url:
        found.append("PORTAL_DATABASE_URL is empty")
    if len(str(config.get("SECRET_KEY") or "")) < 32:
        found.append("SECRET_KEY is shorter than 32 characters")
    throttle = throttle_problem(config, environ)
    if throttle:
        found.append(throttle)
    if url.startswith("postgresql") and not config.get("SESSION_COOKIE_SECURE"):
        found.append("PORTAL_SECURE_COOKIES is off: set it when the portal is served over HTTPS")
    return found


def describe_throttle_storage(uri: str) -> str:
    """The storage URI for `config check` (a password in it hidden), and what it means."""
    parts = urllib.parse.urlsplit(uri)
    if parts.password:
        host = parts.netloc.rpartition("@")[2]
        user = parts.username or ""
        uri = urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
    if uri.startswith("portal-db://"):
        return f"{uri} (in the portal's database: shared by every process)"
    if uri.startswith("memory://"):
        return f"{uri} (in each process alone: right for one process only)"
    return uri

"""Running Alembic migrations from the portal's own configuration."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from portal.config import PROJECT_ROOT


def alembic_config(database_url: str, migrations_dir: str | Path | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir or PROJECT_ROOT / "migrations"))
    cfg.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    cfg.set_main_option("truncate_slug_length", "40")
    # Kept out of the .ini on purpose: a URL may hold a password, and '%' must be escaped.
    cfg.attributes["database_url"] = database_url
    return cfg


def upgrade(database_url: str, revision: str = "head", migrations_dir: str | None = None) -> None:
    command.upgrade(alembic_config(database_url, migrations_dir), revision)


def downgrade(database_url: str, revision: str, migrations_dir: str | None = None) -> None:
    command.downgrade(alembic_config(database_url, migrations_dir), revision)

"""Run the Alembic migrations shipped in the package (``registry db upgrade``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from registry.settings import get_settings

MIGRATIONS = Path(__file__).parent


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option(
        "sqlalchemy.url", (url or get_settings().database.database_url).replace("%", "%%")
    )
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    """Migrate the schema, then bring the reference data the schema holds up to date (the
    working-day calendar)."""
    command.upgrade(alembic_config(url), revision)
    if revision == "head":
        refresh_calendar(url)


def refresh_calendar(url: str | None = None) -> int:
    """Rewrite the ``calendar_days`` table from the calendar sources; the number of days."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from registry.compliance import calendar

    engine = create_engine(url or get_settings().database.database_url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            return calendar.refresh(conn)
    finally:
        engine.dispose()


def downgrade(url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


def current(url: str | None = None) -> None:
    command.current(alembic_config(url), verbose=False)

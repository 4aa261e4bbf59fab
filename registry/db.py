"""Engines and sessions. The sync engine serves the CLI, loaders and the publishing path;
the async engine serves HTTP reads (opened in the app lifespan)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from sqlalchemy import Engine, create_engine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

from registry.settings import get_settings


@cache
def sync_engine(url: str | None = None) -> Engine:
    return create_engine(url or get_settings().database.database_url, pool_pre_ping=True)


def async_engine(
    url: str | None = None, statement_timeout_ms: int | None = None, pool_size: int | None = None
) -> AsyncEngine:
    settings = get_settings()
    timeout = (
        settings.registry.statement_timeout_ms
        if statement_timeout_ms is None
        else statement_timeout_ms
    )
    return create_async_engine(
        url or settings.database.database_url,
        pool_size=pool_size or settings.registry.pool_size,
        connect_args={"options": f"-c statement_timeout={timeout}"},
    )


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    factory = sessionmaker(engine or sync_engine(), expire_on_commit=False)
    with factory() as session, session.begin():
        yield session

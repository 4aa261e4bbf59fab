"""The database of a process: one ``Database`` object, opened by a composition root (the app
lifespan, a CLI command) and closed by it.

It holds two engines:

- ``read``: async, with PostgreSQL's ``statement_timeout``; every public read (GraphQL
  queries, OGC API, tiles, the feed, exports, the report) runs on it;
- ``write``: sync, with ``lock_timeout``; the publishing path (loaders, mutations, the CLI)
  runs on it, in ``session()`` transactions.

Nothing here is a module-level global: two ``Database`` objects on two URLs never share a
pool, and closing one releases its connections.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

from registry.settings import Settings, get_settings


def _options(**settings: int) -> dict[str, str]:
    return {"options": " ".join(f"-c {name}={value}" for name, value in settings.items())}


class Database:
    """A read engine (async, statement timeout) and a write engine (sync, lock timeout)."""

    def __init__(self, settings: Settings | None = None, url: str | None = None) -> None:
        self.settings = settings or get_settings()
        self.url = url or self.settings.database.database_url
        self._read: AsyncEngine | None = None
        self._write: Engine | None = None

    @property
    def read(self) -> AsyncEngine:
        if self._read is None:
            registry = self.settings.registry
            self._read = create_async_engine(
                self.url,
                pool_size=registry.pool_size,
                connect_args=_options(statement_timeout=registry.statement_timeout_ms),
            )
        return self._read

    @property
    def write(self) -> Engine:
        if self._write is None:
            self._write = create_engine(
                self.url,
                pool_pre_ping=True,
                connect_args=_options(lock_timeout=self.settings.registry.lock_timeout_ms),
            )
        return self._write

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A write session whose work is committed on success and rolled back on any error."""
        with sessionmaker(self.write, expire_on_commit=False)() as session, session.begin():
            yield session

    async def aclose(self) -> None:
        """Release every pooled connection (the app's lifespan calls this on shutdown)."""
        if self._read is not None:
            await self._read.dispose()
            self._read = None
        self.close_write()

    def close_write(self) -> None:
        if self._write is not None:
            self._write.dispose()
            self._write = None

    def close(self) -> None:
        """Release every pooled connection, from synchronous code (the CLI)."""
        if self._read is not None:
            import asyncio

            asyncio.run(self._read.dispose())
            self._read = None
        self.close_write()


@contextmanager
def opened(settings: Settings | None = None, url: str | None = None) -> Iterator[Database]:
    """A ``Database`` for the length of a block (CLI commands, scripts, tests)."""
    database = Database(settings, url)
    try:
        yield database
    finally:
        database.close()

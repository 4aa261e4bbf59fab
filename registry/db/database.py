"""The database of a process: one ``Database`` object, opened by a composition root (the app
lifespan, a CLI command) and closed by it.

It holds two engines:

- ``read``: async, autocommit and read-only, with PostgreSQL's ``statement_timeout``; every
  public read (GraphQL queries, OGC API, tiles, the feed, exports, the report) runs on it;
- ``write``: sync, with ``lock_timeout``; the publishing path (loaders, mutations, the CLI)
  runs on it, in ``session()`` transactions.

Nothing here is a module-level global: two ``Database`` objects on two URLs never share a
pool, and closing one releases its connections.
"""

from __future__ import annotations

import os
import select
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import AsyncAdaptedQueuePool, QueuePool

from registry.db.replicas import Reads, Replica, Replicas
from registry.ops.logs import SlowQueries
from registry.settings import Settings, get_settings


def _options(**settings: int | str) -> dict[str, str]:
    return {"options": " ".join(f"-c {name}={value}" for name, value in settings.items())}


def _refuse_closed(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """Pool checkout: refuse a connection the server has closed (a restart, an administrator's
    ``pg_terminate_backend``), so the pool opens a fresh one instead of a request failing on it.

    An idle connection has nothing to read; if its socket is readable, the server has sent its
    farewell (or EOF). One ``select`` call, no round trip: the cheap half of a pre-ping."""
    connection = getattr(dbapi_connection, "driver_connection", dbapi_connection)
    if connection.closed or connection.broken:
        raise DisconnectionError("the connection is closed")
    try:
        readable, _, _ = select.select([connection.pgconn.socket], [], [], 0)
    except (OSError, ValueError) as exc:  # the socket is gone
        raise DisconnectionError(str(exc)) from exc
    if readable:
        raise DisconnectionError("the server closed the connection")


def _application(url: str, name: str) -> str:
    """The application_name connections show in pg_stat_activity: one the deployment gave
    (PGAPPNAME, or application_name in the URL) wins over the engine's own."""
    given = make_url(url).query.get("application_name")
    return str(given or os.environ.get("PGAPPNAME") or name)


class _Waiting:
    """A pool that counts the checkouts under way (waiting for a free connection, or being
    handed one): ``/metrics`` reports it as the pool's queue."""

    waiting = 0

    def _do_get(self) -> Any:
        self.waiting += 1
        try:
            return super()._do_get()  # type: ignore[misc]
        finally:
            self.waiting -= 1


class ReadPool(_Waiting, AsyncAdaptedQueuePool):
    pass


class WritePool(_Waiting, QueuePool):
    pass


class Database:
    """A read engine (async, statement timeout) and a write engine (sync, lock timeout)."""

    def __init__(self, settings: Settings | None = None, url: str | None = None) -> None:
        self.settings = settings or get_settings()
        self.url = url or self.settings.database.database_url
        self._read: AsyncEngine | None = None
        self._counters: AsyncEngine | None = None
        self._replicas: Replicas | None = None
        self._reads: Reads | None = None
        self._write: Engine | None = None
        self.slow = SlowQueries(self.settings.ops.slow_query_ms)

    @property
    def read(self) -> Any:
        """Where a public read goes: a fit replica, in turn, or the primary (``connect()``
        as an engine's); a replica that fails under a read is left for another or the
        primary within the same request (registry.db.replicas.Reads)."""
        if not self.replicas.replicas:
            return self.primary_read
        if self._reads is None:
            self._reads = Reads(self.replicas, lambda: self.primary_read)
        return self._reads

    @property
    def primary_read(self) -> AsyncEngine:
        """Reads that must see the latest writes (a write's own answer, a department's
        drafts, keys) and the primary's health: on the primary, whatever replicas exist."""
        if self._read is None:
            self._read = self._read_engine(self.url, "registry-read")
        return self._read

    @property
    def replicas(self) -> Replicas:
        if self._replicas is None:
            self._replicas = self._make_replicas()
        return self._replicas

    def _make_replicas(self) -> Replicas:
        registry = self.settings.registry
        urls = [u.strip() for u in registry.read_replica_urls.split(",") if u.strip()]
        return Replicas(
            [Replica(url, self._read_engine(url, "registry-replica")) for url in urls],
            lambda: self.primary_read,
            registry.replica_max_lag_s,
            registry.replica_check_s,
        )

    @property
    def counters(self) -> AsyncEngine:
        """The quotas' counters (registry/web/quotas.py): on the primary, autocommitting and
        writable, so counting a request is one statement and one round trip."""
        if self._counters is None:
            self._counters = self._read_engine(self.url, "registry-counters", writable=True)
        return self._counters

    def _read_engine(self, url: str, application: str, writable: bool = False) -> AsyncEngine:
        registry = self.settings.registry
        engine = create_async_engine(
            url,
            poolclass=ReadPool,
            # Reads need no transaction: each statement is one (READ COMMITTED would
            # give every statement its own snapshot anyway). No BEGIN before a request's
            # first statement, no ROLLBACK when its connection goes back to the pool:
            # two round trips fewer per request. Read-only, so a write here fails.
            isolation_level="AUTOCOMMIT",
            pool_reset_on_return=None,
            pool_size=registry.pool_size,
            max_overflow=registry.pool_max_overflow,
            pool_timeout=registry.pool_timeout_s,
            connect_args={
                **_options(
                    statement_timeout=registry.statement_timeout_ms,
                    default_transaction_read_only="off" if writable else "on",
                ),
                "connect_timeout": registry.connect_timeout_s,
                "application_name": _application(url, application),
            },
        )
        event.listen(engine.sync_engine.pool, "checkout", _refuse_closed)
        self.slow.watch(engine.sync_engine)
        return engine

    @property
    def write(self) -> Engine:
        if self._write is None:
            registry = self.settings.registry
            self._write = create_engine(
                self.url,
                poolclass=WritePool,
                pool_pre_ping=True,
                pool_size=registry.pool_size,
                max_overflow=registry.pool_max_overflow,
                pool_timeout=registry.pool_timeout_s,
                connect_args={
                    # JIT compiles in 100-400 ms what the write path's short statements run
                    # in a few: off, as PostgreSQL's docs advise for such workloads
                    **_options(lock_timeout=registry.lock_timeout_ms, jit="off"),
                    "connect_timeout": registry.connect_timeout_s,
                    "application_name": _application(self.url, "registry-write"),
                },
            )
            self.slow.watch(self._write)
        return self._write

    def pools(self) -> Iterator[tuple[str, Any]]:
        """The pools opened so far, by engine name (for ``/metrics``)."""
        if self._read is not None:
            yield "read", self._read.sync_engine.pool
        for replica in self._replicas.replicas if self._replicas else ():
            yield f"replica {replica.name}", replica.engine.sync_engine.pool
        if self._counters is not None:
            yield "counters", self._counters.sync_engine.pool
        if self._write is not None:
            yield "write", self._write.pool

    @asynccontextmanager
    async def snapshot(self, statement_timeout: str | None = None) -> AsyncIterator[Any]:
        """One REPEATABLE READ transaction on a read connection: a file or an export of many
        statements that must be one moment's register. ``statement_timeout`` ("15min")
        gives a whole-register build more time than a request's read."""
        async with self.read.connect() as conn:
            repeatable = await conn.execution_options(isolation_level="REPEATABLE READ")
            async with repeatable.begin():
                if statement_timeout is not None:
                    minutes = int(statement_timeout.removesuffix("min"))  # no SQL from text
                    await repeatable.execute(text(f"SET LOCAL statement_timeout = '{minutes}min'"))
                yield repeatable

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A write session whose work is committed on success and rolled back on any error."""
        with sessionmaker(self.write, expire_on_commit=False)() as session, session.begin():
            yield session

    async def aclose(self) -> None:
        """Release every pooled connection (the app's lifespan calls this on shutdown)."""
        if self._replicas is not None:
            await self._replicas.stop()
            self._replicas = self._reads = None
        if self._read is not None:
            await self._read.dispose()
            self._read = None
        if self._counters is not None:
            await self._counters.dispose()
            self._counters = None
        self.close_write()

    def close_write(self) -> None:
        if self._write is not None:
            self._write.dispose()
            self._write = None

    def close(self) -> None:
        """Release every pooled connection, from synchronous code (the CLI)."""
        if self._read is not None or self._replicas is not None:
            import asyncio

            asyncio.run(self.aclose())
        self.close_write()


@contextmanager
def opened(settings: Settings | None = None, url: str | None = None) -> Iterator[Database]:
    """A ``Database`` for the length of a block (CLI commands, scripts, tests)."""
    database = Database(settings, url)
    try:
        yield database
    finally:
        database.close()

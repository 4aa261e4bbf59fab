"""Streaming replicas for public reads: which are fit to answer, checked in the background.

Each replica is checked every ``replica_check_s``: reachable, in recovery (a standby, not a
promoted copy), and how far its replay is behind the primary — in bytes of WAL (0 when it
has replayed everything the primary has written, however idle the primary is) and, when
behind, in seconds since the last transaction it replayed. A replica that is down, not in
recovery, or more than ``replica_max_lag_s`` behind is skipped; it comes back by itself at
the first check that finds it fit. With none fit, reads go to the primary.

Between checks a replica can fail a request: stopped, reset, or a query cancelled by a
recovery conflict. ``Reads`` (what ``Database.read`` gives) catches that inside the request:
the replica is marked unfit at once, and the connection, or the statement that failed, is
tried again on another fit replica or the primary. A reader sees no error while the primary
is up, whatever the check interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

PRIMARY_LSN = text("SELECT pg_current_wal_lsn()::text")
REPLICA_STATE = text(
    "SELECT pg_is_in_recovery() AS standby, "
    "pg_wal_lsn_diff(CAST(:primary AS pg_lsn), pg_last_wal_replay_lsn()) AS behind_bytes, "
    "extract(epoch FROM now() - pg_last_xact_replay_timestamp()) AS since_replay_s"
)


@dataclass
class Replica:
    url: str
    engine: AsyncEngine
    fit: bool = False
    lag_s: float | None = None
    problem: str | None = "not checked yet"

    @property
    def name(self) -> str:
        """host:port/database, for health and metrics (never the password)."""
        url = make_url(self.url)
        return f"{url.host}:{url.port or 5432}/{url.database}"

    def describe(self) -> dict:
        return {"replica": self.name, "fit": self.fit, "lag_s": self.lag_s,
                "problem": self.problem}  # fmt: skip

    def failed(self, exc: BaseException) -> None:
        """A read failed here: unfit until the next check finds it fit again."""
        self.fit, self.lag_s = False, None
        self.problem = f"failed a read: {type(getattr(exc, 'orig', None) or exc).__name__}"


@dataclass
class Replicas:
    replicas: list[Replica]
    primary: Callable[[], AsyncEngine]
    max_lag_s: float
    every_s: float
    _turn: itertools.count = field(default_factory=itertools.count)
    _task: asyncio.Task | None = None

    def pick(self) -> AsyncEngine | None:
        """A fit replica's engine, in turn; None when none is fit."""
        replica = self.pick_replica()
        return replica.engine if replica else None

    def pick_replica(self) -> Replica | None:
        fit = [r for r in self.replicas if r.fit]
        return fit[next(self._turn) % len(fit)] if fit else None

    async def check(self) -> None:
        try:
            async with self.primary().connect() as conn:
                primary_lsn = await conn.scalar(PRIMARY_LSN)
        except Exception:  # the primary down: judge replicas by their replay time alone
            primary_lsn = None
        await asyncio.gather(*(self._check(r, primary_lsn) for r in self.replicas))

    async def _check(self, replica: Replica, primary_lsn: str | None) -> None:
        try:
            async with replica.engine.connect() as conn:
                state = (await conn.execute(REPLICA_STATE, {"primary": primary_lsn or "0/0"})).one()
        except Exception as exc:  # down, refusing, timing out: skipped until it answers
            replica.fit, replica.lag_s = False, None
            replica.problem = f"unreachable: {type(exc).__name__}"
            return
        if not state.standby:
            replica.fit, replica.lag_s, replica.problem = False, None, "not in recovery"
            return
        caught_up = primary_lsn is not None and state.behind_bytes <= 0
        lag = 0.0 if caught_up else float(state.since_replay_s or 0.0)
        replica.lag_s = round(lag, 3)
        replica.fit = lag <= self.max_lag_s
        replica.problem = None if replica.fit else f"{lag:.1f} s behind"

    async def run(self) -> None:
        while True:
            await self.check()
            await asyncio.sleep(self.every_s)

    def start(self) -> None:
        """Check in the background from now on (the app's lifespan calls this)."""
        if self.replicas and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for replica in self.replicas:
            await replica.engine.dispose()


# What a replica's failure looks like, as opposed to the query's own: the connection (refused,
# reset, closed by a shutdown: psycopg's OperationalError and its subclasses, AdminShutdown
# among them) or a recovery conflict (40001, 40P01 on a standby). A statement timeout
# (57014) is the query's own and would time out on the primary too.
RETRIED_STATES = {"40001", "40P01", "57P01", "57P02", "57P03"}


def replica_failure(exc: BaseException) -> bool:
    cause = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(cause, psycopg.errors.QueryCanceled):
        return False
    if isinstance(cause, psycopg.OperationalError | OSError | asyncio.TimeoutError):
        return True
    return getattr(cause, "sqlstate", None) in RETRIED_STATES or bool(
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )


class Reads:
    """Public reads: ``connect()`` as an engine's, on a fit replica in turn or the primary,
    with the failover described above."""

    def __init__(self, replicas: Replicas, primary: Callable[[], AsyncEngine]) -> None:
        self.replicas, self.primary = replicas, primary

    @contextlib.asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        replica = self.replicas.pick_replica()
        if replica is None:
            async with self.primary().connect() as conn:
                yield conn
            return
        async with contextlib.AsyncExitStack() as stack:
            try:
                conn = await stack.enter_async_context(replica.engine.connect())
            except Exception as exc:
                if not replica_failure(exc):
                    raise
                replica.failed(exc)
                conn = await stack.enter_async_context(self._fallback().connect())
                replica = None
            yield FailoverConnection(conn, replica, self, stack)  # type: ignore[misc]

    def _fallback(self) -> AsyncEngine:
        return self.replicas.pick() or self.primary()


class FailoverConnection:
    """A replica's connection whose statements, if the replica fails under them, run once
    more on a fallback connection (every public read is autocommit: each statement is its
    own snapshot, so running it again elsewhere changes nothing but where it ran)."""

    def __init__(
        self,
        conn: AsyncConnection,
        replica: Replica | None,
        reads: Reads,
        stack: contextlib.AsyncExitStack,
    ) -> None:
        self._conn, self._replica, self._reads, self._stack = conn, replica, reads, stack

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    async def _again(self, call: Callable[[AsyncConnection], Awaitable[Any]]) -> Any:
        try:
            return await call(self._conn)
        except Exception as exc:
            if self._replica is None or not replica_failure(exc):
                raise
            self._replica.failed(exc)
            self._replica = None
            with contextlib.suppress(Exception):
                await self._conn.invalidate()
            self._conn = await self._stack.enter_async_context(self._reads._fallback().connect())
            return await call(self._conn)

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        return await self._again(lambda conn: conn.execute(*args, **kwargs))

    async def scalar(self, *args: Any, **kwargs: Any) -> Any:
        return await self._again(lambda conn: conn.scalar(*args, **kwargs))

    async def scalars(self, *args: Any, **kwargs: Any) -> Any:
        return await self._again(lambda conn: conn.scalars(*args, **kwargs))

    async def driver(self, call: Callable[[Any], Awaitable[Any]]) -> Any:
        """``call`` with the driver's own connection (psycopg), failing over likewise."""

        async def on(conn: AsyncConnection) -> Any:
            return await call((await conn.get_raw_connection()).driver_connection)

        return await self._again(on)


async def on_driver(conn: Any, call: Callable[[Any], Awaitable[Any]]) -> Any:
    """``call`` with the driver's own connection (psycopg) of any read connection: a
    replica's fails over like its statements."""
    if isinstance(conn, FailoverConnection):
        return await conn.driver(call)
    return await call((await conn.get_raw_connection()).driver_connection)

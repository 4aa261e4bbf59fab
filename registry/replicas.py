"""Streaming replicas for public reads: which are fit to answer, checked in the background.

Each replica is checked every ``replica_check_s``: reachable, in recovery (a standby, not a
promoted copy), and how far its replay is behind the primary — in bytes of WAL (0 when it
has replayed everything the primary has written, however idle the primary is) and, when
behind, in seconds since the last transaction it replayed. A replica that is down, not in
recovery, or more than ``replica_max_lag_s`` behind is skipped; it comes back by itself at
the first check that finds it fit. With none fit, reads go to the primary.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

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
        fit = [r for r in self.replicas if r.fit]
        return fit[next(self._turn) % len(fit)].engine if fit else None

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

"""Answers kept while the register does not change.

The register's state is its last successful write (every write adds an audit entry) and
which database it is. A value computed from the register — the home page's figures, the
map's district sketch, a download — is kept with the state it was computed in and served
again until the state changes; each server process computes it once per change. Asking the
state costs one index probe.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# Refused writes change nothing, so they do not count. The database's name: a folder of kept
# files may outlive one database.
VERSION = text(
    "SELECT current_database() || ':' || coalesce(max(id), 0) || ':' || coalesce(max(at)::text, '')"
    " FROM audit_log WHERE id = (SELECT max(id) FROM audit_log WHERE outcome = 'ok')"
)


async def data_version(conn: AsyncConnection) -> str:
    return str(await conn.scalar(VERSION))


class Kept:
    """One value per key, kept with the register's state it was computed in."""

    def __init__(self) -> None:
        self._values: dict[Hashable, tuple[str, Any]] = {}

    async def get(
        self, conn: AsyncConnection, key: Hashable, compute: Callable[[], Awaitable[Any]]
    ) -> Any:
        version = await data_version(conn)
        kept = self._values.get(key)
        if kept is not None and kept[0] == version:
            return kept[1]
        value = await compute()
        self._values[key] = (version, value)
        return value

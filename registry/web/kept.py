"""Answers kept while the register does not change.

A value computed from the register — the home page's figures, the map's district sketch, a
download — is kept with the register's state it was computed in (registry/reading/state.py,
one index probe) and served again until the state changes; each server process computes it
once per change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from registry.reading.state import register_state


async def data_version(conn: AsyncConnection) -> str:
    """The register's state (registry/reading/state.py)."""
    return await register_state(conn)


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

"""The register's state, defined once: what every answer kept or tagged is kept by (the
downloads and the home page's figures, the ETags and kept answers of web/cache.py, the
snapshots' manifests).

It is the last successful write (refused writes change nothing; every write adds an audit
entry), the version bumped by what changes readers' answers outside the write path (the
calendar table, the link checker's tables: migration 0018's ``register_version``), and the
database's name (a folder of kept files may outlive one database). One index probe.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

STATE = text(
    "SELECT current_database() || ':' || "
    "(SELECT coalesce(max(id), 0) FROM audit_log WHERE outcome = 'ok') || ':' || "
    "(SELECT n FROM register_version)"
)


async def register_state(conn: AsyncConnection) -> str:
    return str(await conn.scalar(STATE))

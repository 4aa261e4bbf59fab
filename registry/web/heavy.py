"""Expensive requests take turns, so cheap ones keep their latency.

A whole-register file (a download, the OC4IDS export, an as-of export), a low-zoom tile or a
part of the register as a file keeps a database core busy for seconds. Each waits for one of
``REGISTRY_API_HEAVY_SLOTS`` in its process, up to ``REGISTRY_API_HEAVY_WAIT_S``, then is
answered ``503`` with ``Retry-After``; cheap requests (a page of items, a project, a tile
of a street) never wait here. tests/registry/web/test_heavy.py measures a cheap request's p99
while heavy ones queue.

``build_kept`` keeps such a file on disk with the state of the register it was built in
(registry/web/kept.py), so it is built once per state, not once per reader.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request

from registry.clock import CST
from registry.errors import Unavailable
from registry.language import say
from registry.web.kept import data_version

HEAVY_ZOOM = 10  # tiles below it cover a district or more
_slots: dict[int, asyncio.Semaphore] = {}
_building: dict[Path, asyncio.Lock] = {}

# A whole-register file is one long statement (COPY) or cursor: it gets more time than a
# request's read, and is built once per state of the register, not once per reader.
BUILD_TIMEOUT = "15min"


def _semaphore(request: Request) -> asyncio.Semaphore:
    slots = request.app.state.settings.api.heavy_slots
    key = id(request.app)
    if key not in _slots:
        _slots[key] = asyncio.Semaphore(slots)
    return _slots[key]


@contextlib.asynccontextmanager
async def turn(request: Request) -> AsyncIterator[None]:
    """Wait for a slot (bounded), or refuse with 503 and Retry-After."""
    settings = request.app.state.settings.api
    semaphore = _semaphore(request)
    try:
        await asyncio.wait_for(semaphore.acquire(), settings.heavy_wait_s)
    except TimeoutError as exc:
        raise Unavailable.one(
            "", "busy",
            say("the server is busy with other large requests; try again in a minute"),
        ) from exc  # fmt: skip
    try:
        yield
    finally:
        semaphore.release()


def snapshot(request: Request) -> contextlib.AbstractAsyncContextManager[AsyncConnection]:
    """A file is one moment's register, with a build's time to be written."""
    return request.app.state.db.snapshot(BUILD_TIMEOUT)


def folder(request: Request) -> Path:
    """Where kept files live (REGISTRY_DOWNLOAD_DIR): shared by the processes of a machine."""
    configured = request.app.state.settings.registry.download_dir
    path = Path(configured or Path(tempfile.gettempdir()) / "registry-downloads")
    path.mkdir(parents=True, exist_ok=True)
    return path


def sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def described(path: Path) -> dict | None:
    """What a kept file's note says: the state it was built in, its rows, size and date."""
    try:
        return json.loads(sidecar(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


async def build_kept(
    request: Request, path: Path, build: Callable[[AsyncConnection, Path], Awaitable[int]]
) -> Path:
    """The file at ``path`` for the register as it is now: kept, or built now, once per
    process and state (readers of the same file wait for the one build), in a heavy slot."""
    lock = _building.setdefault(path, asyncio.Lock())
    async with lock:
        async with request.app.state.db.read.connect() as conn:
            version = await data_version(conn)
        note = described(path)
        if note is not None and note["version"] == version and path.exists():
            return path
        async with turn(request), snapshot(request) as conn:
            version = await data_version(conn)  # the state this snapshot sees
            partial = path.with_name(f".{uuid.uuid4().hex}.{path.name}")  # keeps its suffix
            try:
                rows = await build(conn, partial)
                os.replace(partial, path)
            finally:
                partial.unlink(missing_ok=True)
        built = {"version": version, "rows": rows, "bytes": path.stat().st_size,
                 "built_at": dt.datetime.now(CST).isoformat(timespec="seconds")}  # fmt: skip
        sidecar(path).write_text(json.dumps(built), encoding="utf-8")
    return path


def keep_latest(folder: Path, pattern: str, keep: int) -> None:
    """Remove all but the ``keep`` most recently used files matching ``pattern``."""
    found = sorted(folder.glob(pattern), key=lambda p: p.stat().st_atime, reverse=True)
    for old in found[keep:]:
        old.unlink(missing_ok=True)
        sidecar(old).unlink(missing_ok=True)

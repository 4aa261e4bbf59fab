"""The downloads: ``/downloads`` lists the register's files with their sizes and dates;
``/downloads/{name}`` answers one. A file is built once per state of the register
(``registry.web.kept``) into ``REGISTRY_DOWNLOAD_DIR`` and kept with
a note of that state, so the next reader gets it at once and several processes share it;
the project list's filters give ``/projects.csv``, ``.xlsx`` and ``.geojson`` of a part.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from registry.clock import CST
from registry.errors import InvalidInput, NotFound
from registry.exports import downloads as files
from registry.language import say
from registry.web.kept import data_version
from registry.web.pages import list_query, render

_building: dict[str, asyncio.Lock] = {}


def folder(request: Request) -> Path:
    configured = request.app.state.settings.registry.download_dir
    path = Path(configured or Path(tempfile.gettempdir()) / "registry-downloads")
    path.mkdir(parents=True, exist_ok=True)
    return path


# A whole-register file is one long statement (COPY) or cursor: it gets more time than a
# request's read, and is built once per state of the register, not once per reader.
BUILD_TIMEOUT = text("SET LOCAL statement_timeout = '15min'")


@contextlib.asynccontextmanager
async def snapshot(request: Request):
    """One REPEATABLE READ transaction on the read engine: a file is one moment's register."""
    async with request.app.state.db.read.connect() as conn:
        repeatable = await conn.execution_options(isolation_level="REPEATABLE READ")
        async with repeatable.begin():
            await repeatable.execute(BUILD_TIMEOUT)
            yield repeatable


async def _built(request: Request, download: files.Download) -> Path:
    """The file for the register as it is now: kept, or built now (once per process)."""
    path = folder(request) / download.name
    lock = _building.setdefault(download.name, asyncio.Lock())
    async with lock, snapshot(request) as conn:
        version = await data_version(conn)
        note = files.described(path)
        if note is not None and note["version"] == version and path.exists():
            return path
        partial = path.with_name(f".{uuid.uuid4().hex}.{download.name}")  # keeps its suffix
        try:
            rows = await download.build(conn, partial)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        built = {"version": version, "rows": rows, "bytes": path.stat().st_size,
                 "built_at": dt.datetime.now(CST).isoformat(timespec="seconds")}  # fmt: skip
        files.sidecar(path).write_text(json.dumps(built), encoding="utf-8")
    return path


def _attachment(path: Path, name: str, media_type: str, **kwargs) -> FileResponse:
    return FileResponse(
        path,
        media_type=media_type,
        filename=name,
        content_disposition_type="attachment",
        **kwargs,
    )


async def download(request: Request) -> Response:
    name = request.path_params["name"]
    found = files.by_name(name)
    if found is None:
        raise NotFound.one(
            "name",
            "unknown_download",
            say(
                "{name!r} is not a download ({known})",
                name=name,
                known=", ".join(d.name for d in files.downloads()),
            ),  # fmt: skip
        )
    return _attachment(await _built(request, found), name, found.media_type)


async def page(request: Request) -> Response:
    """Every download, with its size and date where it has been built for the register as it
    is now, else when it will be (at its first download)."""
    async with request.app.state.db.read.connect() as conn:
        version = await data_version(conn)
    listed = []
    for item in files.downloads():
        note = files.described(folder(request) / item.name)
        listed.append({"file": item, "note": note if note and note["version"] == version else None})
    return render("downloads.html", downloads=listed)


# --- a part of the register: the project list's filters -------------------------------------

Builder = Callable[[AsyncConnection, Path, object], Awaitable[int]]
PARTS: dict[str, tuple[Builder, str]] = {
    "csv": (files.projects_csv, files.CSV_MEDIA),
    "xlsx": (files.projects_xlsx, files.XLSX_MEDIA),
    "geojson": (files.project_sites_geojson, files.GEOJSON_MEDIA),
}


async def part(request: Request) -> Response:
    """The projects the list's filters select, as a file built for this request."""
    query, _, problems = list_query(request.query_params)
    if problems:
        raise InvalidInput(problems)
    kind = request.url.path.rsplit(".", 1)[1]
    build, media_type = PARTS[kind]
    handle, name = tempfile.mkstemp(prefix="registry-part-", suffix=f".{kind}")
    os.close(handle)
    path = Path(name)
    try:
        async with snapshot(request) as conn:
            await build(conn, path, query)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return _attachment(path, f"projects.{kind}", media_type,
                       background=BackgroundTask(path.unlink, missing_ok=True))  # fmt: skip


ROUTES = [
    Route("/downloads", page),
    Route("/downloads/{name}", download),
    Route("/projects.csv", part),
    Route("/projects.xlsx", part),
    Route("/projects.geojson", part),
]

"""The downloads: ``/downloads`` lists the register's files with their sizes and dates;
``/downloads/{name}`` answers one. A file is built once per state of the register
(``registry.web.kept``) into ``REGISTRY_DOWNLOAD_DIR`` and kept with
a note of that state, so the next reader gets it at once and several processes share it;
the project list's filters give ``/projects.csv``, ``.xlsx`` and ``.geojson`` of a part.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from registry.errors import InvalidInput, NotFound
from registry.exports import downloads as files
from registry.exports import snapshots
from registry.exports.terms import license_link, terms
from registry.language import say
from registry.settings import get_settings
from registry.web import heavy
from registry.web.kept import data_version
from registry.web.pages import list_query, render
from registry.web.security import public_base

_building: dict[str, asyncio.Lock] = {}


async def _built(request: Request, download: files.Download) -> Path:
    """The file for the register as it is now: kept, or built now (once per state)."""
    return await heavy.build_kept(request, heavy.folder(request) / download.name, download.build)


def _attachment(path: Path, name: str, media_type: str, **kwargs: Any) -> FileResponse:
    """A download, naming its licence (``Link: rel="license"``)."""
    return FileResponse(
        path,
        media_type=media_type,
        filename=name,
        content_disposition_type="attachment",
        headers={"Link": license_link(get_settings().open_data)},
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
        note = heavy.described(heavy.folder(request) / item.name)
        listed.append({"file": item, "note": note if note and note["version"] == version else None})
    open_data = request.app.state.settings.open_data
    return render(
        "downloads.html", downloads=listed, snapshots=snapshots.listed(open_data),
        terms=terms(open_data, public_base(request)), daily_days=open_data.daily_days,
    )  # fmt: skip


async def snapshot_file(request: Request) -> Response:
    """A file of a dated snapshot: fixed, so cached for good."""
    day, name = request.path_params["day"], request.path_params["name"]
    open_data = request.app.state.settings.open_data
    path = snapshots.file_of(open_data, day, name)
    if path is None:
        raise NotFound.one("name", "unknown_snapshot_file", say(
            "no snapshot file {name!r} of {day!r} (see /downloads#snapshots)",
            name=name[:80], day=day[:20]))  # fmt: skip
    kind = "text/plain; charset=utf-8" if name in (snapshots.SUMS,) else None
    if name == snapshots.MANIFEST or name.endswith(".json"):
        kind = "application/json"
    return FileResponse(path, media_type=kind, filename=name if kind is None or name.endswith(
        ".json") else None, headers={"Cache-Control": "public, max-age=31536000, immutable",
                                      "Link": license_link(open_data)})  # fmt: skip


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
        async with heavy.turn(request), heavy.snapshot(request) as conn:
            await build(conn, path, query)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return _attachment(path, f"projects.{kind}", media_type,
                       background=BackgroundTask(path.unlink, missing_ok=True))  # fmt: skip


ROUTES = [
    Route("/downloads", page),
    Route("/downloads/{name}", download),
    Route("/downloads/snapshots/{day}/{name}", snapshot_file),
    Route("/projects.csv", part),
    Route("/projects.xlsx", part),
    Route("/projects.geojson", part),
]

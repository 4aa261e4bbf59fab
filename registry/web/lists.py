"""The lists of major projects as pages: ``/lists`` (every list, those in force first) and
``/lists/{id}`` (what the list says of each project, who answers for what — due,
published, on time, late, declared, missing — a map of its projects, and the list as CSV or
XLSX at ``/lists/{id}.csv`` and ``.xlsx``). A ``?on=YYYY-MM-DD`` shows a list as it stood
that day (before or after an adjustment)."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from registry.clock import today
from registry.errors import InvalidInput, NotFound, Problem, not_one_of
from registry.exports import downloads as files
from registry.identifiers import digits
from registry.language import say
from registry.models import LIST_LEVELS, LIST_NATURES
from registry.reading import inputs, scope
from registry.web import heavy
from registry.web.pages import render


def _day(request: Request) -> dt.date | None:
    text = request.query_params.get("on")
    if not text:
        return None
    problems: list[Problem] = []
    day = inputs.iso_day(text, "on", problems)
    if problems:
        raise InvalidInput(problems)
    return day


def _list_id(request: Request) -> int:
    text = request.path_params["list_id"]
    return inputs.record_id(text.removesuffix(".csv").removesuffix(".xlsx"), "id")


async def index(request: Request) -> Response:
    """Every list, newest first, with its level, document, members and whether in force."""
    level = request.query_params.get("level") or None
    year_text = request.query_params.get("year") or ""
    problems: list[Problem] = []
    if level is not None and level not in LIST_LEVELS:
        problems.append(not_one_of("level", level, list(LIST_LEVELS)))
        level = None
    year = int(year_text) if digits(year_text) and len(year_text) == 4 else None
    if year_text and year is None:
        problems.append(Problem("year", "not_a_year", say("must be a year such as 2024")))
    if problems:
        raise InvalidInput(problems)
    day = _day(request)
    async with request.app.state.db.read.connect() as conn:
        found = await scope.lists(conn, day, year=year, level=level)
    return render("lists.html", lists=found, levels=LIST_LEVELS, day=day or today(),
                  level=level, year=year)  # fmt: skip


async def one(request: Request) -> Response:
    list_id, day = _list_id(request), _day(request)
    async with request.app.state.db.read.connect() as conn:
        found = await scope.one_list(conn, list_id, day)
        if found is None:
            raise NotFound.one("id", "unknown_list", say("there is no list {id}", id=list_id))
        entries = await scope.entries(conn, list_id, day)
        figures = await scope.figures(conn, list_id, day)
    current = [e for e in entries if e["current"]]
    removed = [e for e in entries if not e["current"]]
    totals = {name: sum(getattr(f, name) for f in figures)
              for name in ("due", "published", "on_time", "late", "not_applicable",
                           "not_yet_formed", "missing")}  # fmt: skip
    on = f"?on={day.isoformat()}" if day else ""
    return render("list.html", found=found, current=current, removed=removed, figures=figures,
                  totals=totals, levels=LIST_LEVELS, natures=LIST_NATURES, day=day or today(),
                  on=on, asked=day)  # fmt: skip


async def download(request: Request) -> Response:
    """The list's entries (as on ``?on=``) as CSV or XLSX, built for this request."""
    list_id, day = _list_id(request), _day(request)
    kind = request.url.path.rsplit(".", 1)[1]
    async with request.app.state.db.read.connect() as conn:
        found = await scope.one_list(conn, list_id, day)
    if found is None:
        raise NotFound.one("id", "unknown_list", say("there is no list {id}", id=list_id))
    build, media_type = files.LIST_FILES[kind]
    handle, name = tempfile.mkstemp(prefix="registry-list-", suffix=f".{kind}")
    os.close(handle)
    path = Path(name)
    try:
        async with heavy.turn(request), heavy.snapshot(request) as conn:
            await build(conn, path, list_id, day or today())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return FileResponse(path, media_type=media_type, filename=f"list-{list_id}.{kind}",
                        content_disposition_type="attachment",
                        background=BackgroundTask(path.unlink, missing_ok=True))  # fmt: skip


ROUTES = [
    Route("/lists", index),
    Route("/lists/{list_id:str}.csv", download),
    Route("/lists/{list_id:str}.xlsx", download),
    Route("/lists/{list_id:str}", one),
]

"""HTTP for the compliance report, the OC4IDS export and the Atom feed, on the read engine."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from registry.errors import InvalidInput
from registry.exports import feed, oc4ids
from registry.language import say
from registry.reading import queries
from registry.web import report as report_page


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _date(request: Request, name: str) -> dt.date | None:
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput.one(
            name, "not_a_date", say("{value!r} is not a date (YYYY-MM-DD)", value=value)
        ) from exc


def _moment(request: Request) -> dt.datetime | None:
    value = request.query_params.get("asOf")
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput.one(
            "asOf",
            "not_a_moment",
            say("{value!r} is not a moment (2026-01-31T00:00:00Z)", value=value),
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


async def report(request: Request) -> Response:
    start, end = _date(request, "from"), _date(request, "to")
    async with request.app.state.db.read.connect() as conn:
        board = await queries.scoreboard(conn, True, _moment(request), start, end)
    period = f"{start or '…'} – {end or '…'}"
    return HTMLResponse(report_page.page(board, period))


async def oc4ids_export(request: Request) -> Response:
    """One project's package in one piece (a 404 names an unknown code); the whole register
    streamed a thousand projects at a time from one REPEATABLE READ snapshot, so memory stays
    bounded and the package is one moment's register."""
    project, moment, base = request.query_params.get("project"), _moment(request), _base(request)
    db = request.app.state.db
    if project:
        async with db.read.connect() as conn:
            document = await oc4ids.package(conn, base, project, moment)
        return JSONResponse(document, media_type="application/json")

    async def body() -> AsyncIterator[bytes]:
        async with db.read.connect() as conn:
            snapshot = await conn.execution_options(isolation_level="REPEATABLE READ")
            async with snapshot.begin():
                async for piece in oc4ids.stream(snapshot, base, None, moment):
                    yield piece

    pieces = body()
    # The opening and the first chunk are read before the response starts, so a fault met
    # there (a timeout, the database down) is answered with its status, like any read.
    started = [await anext(pieces), await anext(pieces)]

    async def rest() -> AsyncIterator[bytes]:
        for piece in started:
            yield piece
        async for piece in pieces:
            yield piece

    return StreamingResponse(rest(), media_type="application/json")


async def atom_feed(request: Request) -> Response:
    params = request.query_params
    async with request.app.state.db.read.connect() as conn:
        items = await feed.entries(
            conn, params.get("category"), params.get("region"), params.get("department")
        )
    return Response(
        feed.atom(items, _base(request), str(request.url)),
        media_type="application/atom+xml; charset=utf-8",
    )


ROUTES = [
    Route("/report", report),
    Route("/exports/oc4ids.json", oc4ids_export),
    Route("/feeds/disclosures.atom", atom_feed),
]

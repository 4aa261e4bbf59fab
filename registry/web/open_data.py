"""HTTP for the compliance report, the OC4IDS export and the Atom feed, on the read engine."""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from registry.errors import InvalidInput
from registry.exports import feed, oc4ids
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
        raise InvalidInput.one(name, "not_a_date", f"{value!r} is not a date (YYYY-MM-DD)") from exc


def _moment(request: Request) -> dt.datetime | None:
    value = request.query_params.get("asOf")
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput.one(
            "asOf", "not_a_moment", f"{value!r} is not a moment (2026-01-31T00:00:00Z)"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


async def report(request: Request) -> Response:
    start, end = _date(request, "from"), _date(request, "to")
    async with request.app.state.db.read.connect() as conn:
        board = await queries.scoreboard(conn, True, _moment(request), start, end)
    period = f"{start or '…'} – {end or '…'}"
    return HTMLResponse(report_page.page(board, period))


async def oc4ids_export(request: Request) -> Response:
    project = request.query_params.get("project")
    async with request.app.state.db.read.connect() as conn:
        document = await oc4ids.package(conn, _base(request), project, _moment(request))
    return JSONResponse(document, media_type="application/json")


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

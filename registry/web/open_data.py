"""HTTP for the compliance report, the OC4IDS export and the Atom feed (sync work in a thread)."""

from __future__ import annotations

import datetime as dt

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from registry.compliance import scores as compliance
from registry.db import session_scope
from registry.errors import InvalidInput, RegistryError
from registry.exports import feed, oc4ids
from registry.web import report as report_html


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


async def _in_thread(request: Request, work):
    engine = request.app.state.write_engine

    def run():
        with session_scope(engine) as session:
            return work(session)

    return await anyio.to_thread.run_sync(run)


async def report(request: Request) -> Response:
    try:
        start, end = _date(request, "from"), _date(request, "to")
        scores = await _in_thread(request, lambda s: compliance.scoreboard(s, start, end))
    except RegistryError as error:
        return JSONResponse(
            {"code": error.code, "description": error.message}, status_code=error.status
        )
    period = f"{start or '…'} – {end or '…'}"
    return HTMLResponse(report_html.page(scores, period))


async def oc4ids_export(request: Request) -> Response:
    project = request.query_params.get("project")
    try:
        document = await _in_thread(request, lambda s: oc4ids.package(s, _base(request), project))
    except RegistryError as error:
        return JSONResponse(
            {"code": error.code, "description": error.message}, status_code=error.status
        )
    return JSONResponse(document, media_type="application/json")


async def atom_feed(request: Request) -> Response:
    params = request.query_params
    try:
        items = await _in_thread(
            request,
            lambda s: feed.entries(
                s, params.get("category"), params.get("region"), params.get("department")
            ),
        )
    except RegistryError as error:
        return JSONResponse(
            {"code": error.code, "description": error.message}, status_code=error.status
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

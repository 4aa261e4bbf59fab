"""HTTP for the compliance report, the OC4IDS export and the Atom feed, on the read engine."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from registry.exports import feed, oc4ids
from registry.web import report as report_page
from registry.web.params import moment as as_of
from registry.web.security import public_base, public_url


async def oc4ids_export(request: Request) -> Response:
    """One project's package in one piece (a 404 names an unknown code); the whole register
    streamed a thousand projects at a time from one REPEATABLE READ snapshot, so memory stays
    bounded and the package is one moment's register."""
    project, moment, base = (
        request.query_params.get("project"),
        as_of(request),
        public_base(request),
    )
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
    """The newest entries; ``before`` (from the feed's ``next`` link) pages back."""
    params = request.query_params
    before = feed.parse_cursor(params["before"]) if params.get("before") else None
    filters = {k: params[k] for k in ("category", "region", "department") if params.get(k)}
    async with request.app.state.db.read.connect() as conn:
        items = await feed.entries(
            conn, filters.get("category"), filters.get("region"), filters.get("department"),
            before=before,
        )  # fmt: skip
    first = f"{public_base(request)}/feeds/disclosures.atom" + (
        f"?{urlencode(filters)}" if filters else ""
    )
    following = None
    if len(items) == feed.LIMIT:
        following = f"{public_base(request)}/feeds/disclosures.atom?" + urlencode(
            {**filters, "before": feed.cursor(items[-1])}
        )
    return Response(
        feed.atom(items, public_base(request), public_url(request), first, following),
        media_type="application/atom+xml; charset=utf-8",
    )


ROUTES = [
    Route("/report", report_page.page),
    Route("/report.csv", report_page.download_csv),
    Route("/report.xlsx", report_page.download_xlsx),
    Route("/exports/oc4ids.json", oc4ids_export),
    Route("/feeds/disclosures.atom", atom_feed),
]

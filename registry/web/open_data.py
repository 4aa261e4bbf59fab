"""HTTP for the compliance report, the OC4IDS export and the Atom feed, on the read engine."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from registry.exports import feed, oc4ids
from registry.exports import list_feed as list_feed_rows
from registry.reading import inputs
from registry.web import heavy
from registry.web import report as report_page
from registry.web.params import moment as as_of
from registry.web.security import public_base, public_url


async def oc4ids_export(request: Request) -> Response:
    """One project's package in one piece (a 404 names an unknown code); the whole register
    (now, or as of a moment) as a file kept per state of the register: built once, from one
    REPEATABLE READ snapshot a thousand projects at a time (memory stays bounded), in a
    heavy slot; every reader after the first gets the kept file. The latest
    ``REGISTRY_API_KEPT_MOMENTS`` as-of exports are kept."""
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

    async def build(conn: AsyncConnection, path: Any) -> int:
        count = 0
        with path.open("wb") as out:
            async for piece in oc4ids.stream(conn, base, None, moment):
                out.write(piece)
                count += 1
        return count

    # the links inside name the base: one file per base (one, with REGISTRY_API_PUBLIC_URL)
    prefix = hashlib.sha256(base.encode()).hexdigest()[:8]
    stamp = f"-asof-{moment.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}" if moment else ""
    path = await heavy.build_kept(request, heavy.folder(request) / f"oc4ids-{prefix}{stamp}.json",
                                  build)  # fmt: skip
    if moment:
        kept = request.app.state.settings.api.kept_moments
        heavy.keep_latest(heavy.folder(request), "oc4ids-*-asof-*Z.json", kept)
    return FileResponse(path, media_type="application/json")


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


async def list_feed(request: Request) -> Response:
    """Projects put on and taken off the lists; ``list`` one list's; ``before`` pages back."""
    params = request.query_params
    before = feed.parse_cursor(params["before"]) if params.get("before") else None
    list_id = inputs.record_id(params["list"], "list") if params.get("list") else None
    filters = {"list": str(list_id)} if list_id is not None else {}
    async with request.app.state.db.read.connect() as conn:
        items = await list_feed_rows.entries(conn, list_id, before=before)
    first = f"{public_base(request)}/feeds/lists.atom" + (
        f"?{urlencode(filters)}" if filters else ""
    )
    following = None
    if len(items) == feed.LIMIT:
        following = f"{public_base(request)}/feeds/lists.atom?" + urlencode(
            {**filters, "before": feed.cursor(items[-1])}
        )
    return Response(
        list_feed_rows.atom(items, public_base(request), public_url(request), first, following),
        media_type="application/atom+xml; charset=utf-8",
    )


ROUTES = [
    Route("/report", report_page.page),
    Route("/report.csv", report_page.download_csv),
    Route("/report.xlsx", report_page.download_xlsx),
    Route("/exports/oc4ids.json", oc4ids_export),
    Route("/feeds/disclosures.atom", atom_feed),
    Route("/feeds/lists.atom", list_feed),
]

"""``/changes``: the change stream as JSON lines, for ``curl`` and for mirrors.

    GET /changes?after=<cursor>&limit=1000&region=3601&department=NCFGW&category=bidding
                &project=<code>&kind=item,list.entry_added

One event per line, oldest first; each carries its ``cursor``. Ask again with the last
cursor received (``after``) to get what came since: every public change exactly once, in
commit order. ``after=latest`` starts from now. The ``Link: <…>; rel="next"`` header and
``Registry-Next-Cursor`` give the cursor to ask after next, also when the page is empty.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from registry.errors import InvalidInput
from registry.exports import change_feed
from registry.identifiers import digits
from registry.language import say
from registry.reading import changes
from registry.web.security import public_base, public_url

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000
MEDIA_TYPE = "application/jsonl; charset=utf-8"


def _listed(request: Request, name: str) -> list[str]:
    return [v.strip() for raw in request.query_params.getlist(name) for v in raw.split(",")
            if v.strip()]  # fmt: skip


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit", "")
    if not raw:
        return DEFAULT_LIMIT
    if not digits(raw) or not 1 <= int(raw) <= MAX_LIMIT:
        raise InvalidInput.one(
            "limit",
            "out_of_range",
            say("limit must be a whole number from 1 to {most}", most=MAX_LIMIT),
        )
    return int(raw)


def chosen_filter(request: Request) -> changes.ChangeFilter:
    params = request.query_params
    given = {"region": params.get("region"), "department": params.get("department"),
             "project": params.get("project"), "category": _listed(request, "category"),
             "kind": _listed(request, "kind")}  # fmt: skip
    return changes.change_filter(given, kinds_name="kind")


async def stream(request: Request) -> Response:
    chosen, limit = chosen_filter(request), _limit(request)
    async with request.app.state.db.read.connect() as conn:
        raw = request.query_params.get("after", "")
        after = changes.parse_cursor(await changes.latest_cursor(conn) if raw == "latest" else raw)
        found = await changes.page(conn, chosen, after, limit)
    request.state.cost = max(found.count, 1)  # the quota is charged the events
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "after"]
    following = f"{public_base(request)}/changes?" + urlencode([*kept, ("after", found.end_cursor)])
    return Response(
        found.body,
        media_type=MEDIA_TYPE,
        headers={
            "Link": f'<{following}>; rel="next"',
            "Registry-Next-Cursor": found.end_cursor,
            "Registry-Has-More": "true" if found.has_more else "false",
            "Cache-Control": "no-store",
        },
    )


async def feed(request: Request) -> Response:
    """``/feeds/changes.atom``: the newest changes first, the filters of ``/changes``;
    ``before`` (from the ``next`` link) pages back."""
    chosen = chosen_filter(request)
    raw = request.query_params.get("before")
    before = changes.parse_cursor(raw, "before") if raw else None
    async with request.app.state.db.read.connect() as conn:
        events = await changes.newest(conn, chosen, before, change_feed.LIMIT)
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "before"]
    base = public_base(request)
    first = f"{base}/feeds/changes.atom" + (f"?{urlencode(kept)}" if kept else "")
    following = None
    if len(events) == change_feed.LIMIT:
        last = json.loads(events[-1])["cursor"]
        following = f"{base}/feeds/changes.atom?" + urlencode([*kept, ("before", last)])
    return Response(
        change_feed.atom(events, base, public_url(request), first, following),
        media_type="application/atom+xml; charset=utf-8",
    )


ROUTES = [Route("/changes", stream), Route("/feeds/changes.atom", feed)]

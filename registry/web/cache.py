"""Public answers cached by the register's state (ETag, 304, and a bounded store of answers).

The register's state (registry/reading/state.py: the last successful write, and the version
bumped by what changes outside the write path — the calendar, the link checks) and the day
in China (deadlines and "overdue" move at midnight) make the tag. Every public GET answered 200 (or
204, an empty tile) carries an ``ETag`` made of that state and what the answer depends on in the request (path,
query, ``Accept``, ``Accept-Language``), and ``Cache-Control: public, no-cache``: a browser,
a CDN or nginx in front may keep the answer and ask again with ``If-None-Match``, answered
``304`` at the cost of one index probe while nothing changed. Beside it, each process keeps
the most recent answers (``REGISTRY_API_CACHE_MB``, by size) keyed by the same ETag, so a
tile or a page is computed once per change, whoever asks; a change changes every key, so no
kept answer survives it.

Not cached: other methods, requests with credentials (``Authorization``, cookies), private
or self-validating answers (any that sets its own ``Cache-Control`` or ``ETag``), errors,
and the paths in ``NEVER`` (metrics, health, the upload page, webhooks, a department's link
report). The state is read where the answer will be (a replica, if any, is asked its own);
with several replicas of different lag an answer may come from another than the state's,
and be kept under its tag until the next change — a risk to weigh before caching in front of
several lagging replicas.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import OrderedDict
from typing import Any

from starlette.routing import Match

from registry import __version__
from registry.clock import today
from registry.ops.metrics import ANSWER_CACHE
from registry.reading.state import register_state

NEVER = ("/metrics", "/health", "/upload", "/webhooks", "/links/report", "/static",
         "/documents/", "/downloads/snapshots/", "/favicon.ico")  # fmt: skip
VARY = b"Accept, Accept-Language"


class AnswerStore:
    """Answers by ETag, the most recently used kept within ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit, self.size = limit, 0
        self.answers: OrderedDict[str, tuple[int, list, bytes]] = OrderedDict()

    def get(self, tag: str) -> tuple[int, list, bytes] | None:
        found = self.answers.get(tag)
        if found is not None:
            self.answers.move_to_end(tag)
        ANSWER_CACHE.labels("hit" if found is not None else "miss").inc()
        return found

    def put(self, tag: str, status: int, headers: list, body: bytes) -> None:
        if len(body) > self.limit // 8 or tag in self.answers:
            return
        self.answers[tag] = (status, headers, body)
        self.size += len(body)
        while self.size > self.limit and self.answers:
            _, (_, _, dropped) = self.answers.popitem(last=False)
            self.size -= len(dropped)


def _header(scope: dict, name: bytes) -> bytes:
    for key, value in scope.get("headers", []):
        if key == name:
            return value
    return b""


def cacheable(scope: dict) -> bool:
    if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
        return False
    path = scope["path"]
    if path.startswith(NEVER):
        return False
    return not (_header(scope, b"authorization") or _header(scope, b"cookie"))


def tag_of(state: str, scope: dict, day: dt.date) -> str:
    parts = [
        __version__, state, day.isoformat(), scope["path"],
        scope.get("query_string", b"").decode("latin-1"),
        _header(scope, b"accept").decode("latin-1"),
        _header(scope, b"accept-language").decode("latin-1"),
        _header(scope, b"host").decode("latin-1"),
        scope.get("scheme", "http"),
    ]  # fmt: skip
    return '"' + hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest() + '"'


def _route(scope: dict) -> None:
    """What the router would find (its endpoint and path parameters), put in ``scope``."""
    for route in scope["app"].router.routes:
        match, child = route.matches(scope)
        if match == Match.FULL:
            scope.update(child)
            return


def _matches(header: bytes, tag: str) -> bool:
    given = header.decode("latin-1")
    return given.strip() == "*" or any(
        t.strip().removeprefix("W/") == tag for t in given.split(",")
    )


class StateCache:
    """ASGI middleware: the ETag, 304 and answer store described above."""

    def __init__(self, app: Any, limit_mb: float) -> None:
        self.app = app
        self.store = AnswerStore(int(limit_mb * 1024 * 1024))

    async def state(self, scope: dict) -> str | None:
        database = scope["app"].state.db
        try:  # the engine the handler will read from (a replica's state is what it shows)
            async with database.read.connect() as conn:
                return await register_state(conn)
        except Exception:  # noqa: BLE001 - the database away: answer uncached, as before
            return None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if not cacheable(scope):
            await self.app(scope, receive, send)
            return
        state = await self.state(scope)
        if state is None:
            await self.app(scope, receive, send)
            return
        tag = tag_of(state, scope, today())
        common = [(b"etag", tag.encode()), (b"cache-control", b"public, no-cache"),
                  (b"vary", VARY)]  # fmt: skip
        if _matches(_header(scope, b"if-none-match"), tag):
            _route(scope)  # an answer not computed is still counted under its route (/metrics)
            ANSWER_CACHE.labels("not_modified").inc()
            await send({"type": "http.response.start", "status": 304, "headers": common})
            await send({"type": "http.response.body", "body": b""})
            return
        kept = self.store.get(tag) if self.store.limit else None
        if kept is not None:
            _route(scope)
            status, headers, body = kept
            # a copy: middleware around (CORS) adds its headers to the list it is given
            await send({"type": "http.response.start", "status": status, "headers": list(headers)})
            await send({"type": "http.response.body",
                        "body": b"" if scope["method"] == "HEAD" else body})  # fmt: skip
            return
        await self.app(scope, receive, self._sending(scope, send, tag, common))

    def _sending(self, scope: dict, send: Any, tag: str, common: list) -> Any:
        held: dict[str, Any] = {"keep": False, "parts": [], "size": 0}

        async def sending(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                own = names & {b"etag", b"cache-control", b"set-cookie"}
                if message["status"] in (200, 204) and not own:
                    headers += [h for h in common if h[0] not in names]
                    held["keep"] = scope["method"] == "GET"
                held["status"], held["headers"] = message["status"], list(headers)
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and held["keep"]:
                held["parts"].append(message.get("body", b""))
                held["size"] += len(message.get("body", b""))
                if held["size"] > self.store.limit // 8:
                    held["keep"], held["parts"] = False, []
                elif not message.get("more_body", False):
                    self.store.put(tag, held["status"], held["headers"], b"".join(held["parts"]))
            await send(message)

        return sending

"""Quotas: how much one reader may ask per minute, the same whichever API process answers.

A reader is a key (a reader's ``rdr_…`` or a department's ``mpr_…``, checked against its
hash) or, without a valid key, the client's address. Each minute each reader may make so
many requests and spend so much query cost (a GraphQL query's estimated cost, an OGC page's
features; anything else costs 1); over either, the answer is ``429`` with ``Retry-After``.
Every counted answer carries the IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers):

    RateLimit-Policy: "requests";q=600;w=60, "cost";q=200000;w=60
    RateLimit: "requests";r=597;t=41, "cost";r=199100;t=41

The counters live in PostgreSQL (``quota_counts``, UNLOGGED, migration 0015): one statement
per request checks the key and counts (on an autocommitting connection of its own pool,
``Database.counters``), so several processes and servers share them; a request whose cost
is more than 1 is charged the rest in a second statement before its answer leaves. The
health checks, ``/metrics`` and the site's static files are not counted. A crawler held
back by its quota holds back nobody else: the map, the pages and other readers keep theirs.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from starlette.datastructures import Headers

from registry.language import phrase, say
from registry.publishing.keys import quota_subject
from registry.settings import QuotaSettings

log = logging.getLogger("registry.quotas")
WINDOW_S = 60
EXEMPT = ("/health", "/metrics", "/static/", "/favicon.ico")

COUNT = text(
    """
WITH keyed AS (
  SELECT 'key:' || id AS subject FROM reader_keys
   WHERE id = :key_id AND secret_hash = :hash AND revoked_at IS NULL
  UNION ALL
  SELECT 'key:' || id FROM api_keys
   WHERE id = :key_id AND secret_hash = :hash AND revoked_at IS NULL
  LIMIT 1
)
INSERT INTO quota_counts AS q (subject, window_start, requests, cost)
VALUES (coalesce((SELECT subject FROM keyed), :address), date_trunc('minute', now()), 1, 1)
ON CONFLICT (subject, window_start)
  DO UPDATE SET requests = q.requests + 1, cost = q.cost + 1
RETURNING subject, requests, cost,
          60 - extract(second FROM now())::int AS reset"""
)
CHARGE = text(
    "UPDATE quota_counts SET cost = cost + :extra"
    " WHERE subject = :subject AND window_start = date_trunc('minute', now())"
    " RETURNING requests, cost"
)
FORGET = text("DELETE FROM quota_counts WHERE window_start < now() - interval '2 minutes'")


@dataclass(frozen=True)
class Count:
    subject: str
    requests: int
    cost: int
    reset: int

    @property
    def keyed(self) -> bool:
        return self.subject.startswith("key:")


def limits_for(count: Count, quotas: QuotaSettings) -> tuple[int, int]:
    if count.keyed:
        return quotas.keyed_requests, quotas.keyed_cost
    return quotas.anonymous_requests, quotas.anonymous_cost


def fields(count: Count, quotas: QuotaSettings) -> list[tuple[bytes, bytes]]:
    requests, cost = limits_for(count, quotas)
    reset = max(count.reset, 1)
    policy = f'"requests";q={requests};w={WINDOW_S}, "cost";q={cost};w={WINDOW_S}'
    left = (
        f'"requests";r={max(requests - count.requests, 0)};t={reset}, '
        f'"cost";r={max(cost - count.cost, 0)};t={reset}'
    )
    return [(b"ratelimit-policy", policy.encode()), (b"ratelimit", left.encode())]


class Quotas:
    """ASGI middleware: count, refuse over the quota, charge the cost afterwards."""

    def __init__(self, app: Any, quotas: QuotaSettings) -> None:
        self.app, self.quotas = app, quotas
        self._forgotten = 0.0

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not self.quotas.enabled or scope["path"].startswith(EXEMPT):
            await self.app(scope, receive, send)
            return
        database = scope["app"].state.db
        count = await self._count(database, scope)
        if count is None:  # the database is away: the request will say so itself
            await self.app(scope, receive, send)
            return
        requests, cost = limits_for(count, self.quotas)
        if count.requests > requests or count.cost > cost:
            extra = fields(count, self.quotas)
            await self._refuse(scope, receive, send, count, extra, (requests, cost))
            return

        async def sending(message: dict) -> None:
            if message["type"] == "http.response.start":
                # charged before the answer leaves: the reader's next request sees it
                charged = int(scope.get("state", {}).get("cost", 1) or 1)
                final = count
                if charged > 1:
                    final = await self._charge(database, count, charged - 1)
                message["headers"] = [*message.get("headers", []), *fields(final, self.quotas)]
            await send(message)

        await self.app(scope, receive, sending)

    async def _count(self, database: Any, scope: dict) -> Count | None:
        header = Headers(scope=scope).get("authorization")
        key = quota_subject(header)
        client = scope.get("client") or ("unknown", 0)
        binds = {"key_id": key[0] if key else "", "hash": key[1] if key else "",
                 "address": f"addr:{client[0]}"}  # fmt: skip
        try:
            forget = time.monotonic() - self._forgotten > WINDOW_S
            if forget:
                self._forgotten = time.monotonic()
            async with database.counters.connect() as conn:  # autocommit: one round trip
                row = (await conn.execute(COUNT, binds)).one()
                if forget:
                    await conn.execute(FORGET)
        except Exception:  # noqa: BLE001 - counting never turns an answer into an error
            log.warning("quota not counted", exc_info=True)
            return None
        return Count(row.subject, row.requests, row.cost, int(row.reset))

    async def _charge(self, database: Any, count: Count, extra: int) -> Count:
        try:
            async with database.counters.connect() as conn:
                row = (
                    await conn.execute(CHARGE, {"subject": count.subject, "extra": extra})
                ).first()
        except Exception:  # noqa: BLE001 - counting never turns an answer into an error
            log.warning("quota cost not charged", exc_info=True)
            return count
        return Count(count.subject, row.requests, row.cost, count.reset) if row else count

    async def _refuse(
        self, scope: dict, receive: Any, send: Any, count: Count, extra: list, limits: tuple
    ) -> None:
        from registry.web.errors import error_response  # the one JSON shape of a refusal

        over_requests = count.requests > limits[0]
        response = error_response(
            429,
            "TOO_MANY_REQUESTS",
            say(
                "over the quota of {limit} {what} a minute for {who}; try again in {seconds} s "
                "(a reader key raises it: docs/api.md)",
                limit=limits[0] if over_requests else limits[1],
                what=phrase("requests") if over_requests else phrase("query cost"),
                who=phrase("this key") if count.keyed else phrase("this address"),
                seconds=max(count.reset, 1),
            ),
            headers={
                "Retry-After": str(max(count.reset, 1)),
                **{k.decode(): v.decode() for k, v in extra},
            },  # fmt: skip
        )
        await response(scope, receive, send)

"""What operators see of the web service: a request id, one log line and metrics per
request, and ``/metrics``.

``Observe`` is plain ASGI middleware (no per-request objects beyond what it logs). It
echoes a request id in ``X-Request-ID`` (the caller's, when it is a short token, else a new
one), times the request, counts it by route template (never by raw path: a path holds
codes and would grow the series without bound) and logs one ``registry.access`` line with
the method, route, status, duration, GraphQL operation and department, never the query
string, the body, the key or the client's address.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import logging
import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import Response

from registry.compliance import calendar as calendar_sql
from registry.db import Database
from registry.documents.states import BY_STATE as LINKS_BY_STATE
from registry.language import say
from registry.ops import metrics
from registry.ops.logs import REQUEST_ID
from registry.web.errors import error_response

log = logging.getLogger("registry.access")

REQUEST_ID_HEADER = b"x-request-id"
_GIVEN_ID = re.compile(rb"[A-Za-z0-9._:-]{8,64}")


def request_id(scope: dict) -> str:
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER and _GIVEN_ID.fullmatch(value):
            return value.decode()
    return uuid.uuid4().hex


class Observe:
    def __init__(self, app: Any, routes: dict[Any, str], access_log: bool = True) -> None:
        self.app, self.routes, self.access_log = app, routes, access_log

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        token = REQUEST_ID.set(rid)
        header = (b"x-request-id", rid.encode())
        status = 500
        started = time.perf_counter()

        async def sending(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        metrics.IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, sending)
        finally:
            metrics.IN_FLIGHT.dec()
            self._record(scope, status, time.perf_counter() - started)
            REQUEST_ID.reset(token)

    def _record(self, scope: dict, status: int, seconds: float) -> None:
        route = self.routes.get(scope.get("endpoint"), "unmatched")
        method = scope["method"]
        metrics.HTTP_REQUESTS.labels(route, method, str(status)).inc()
        metrics.HTTP_DURATION.labels(route).observe(seconds)
        state = scope.get("state") or {}
        operation = state.get("graphql_operation")
        if operation is not None:
            metrics.GRAPHQL_DURATION.labels(operation, state.get("graphql_type", "query")).observe(
                seconds
            )
        if self.access_log:
            log.info(
                "%s %s %s %.1f ms%s",
                method,
                scope["path"] if route == "unmatched" else route,
                status,
                seconds * 1000,
                f" {operation}" if operation else "",
                extra={
                    "method": method,
                    "route": route,
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "operation": operation,
                    "department": state.get("department"),
                },
            )


def route_templates(routes: Iterable[Any]) -> dict[Any, str]:
    """Each route's endpoint (or mounted app) to its path template, for labels."""
    templates: dict[Any, str] = {}
    for route in routes:
        target = getattr(route, "endpoint", None) or getattr(route, "app", None)
        if target is not None:
            templates.setdefault(target, route.path or "/")
    return templates


# --- figures the database holds ------------------------------------------------------

REFRESH_S = 10.0


@dataclass(eq=False)  # a collector: hashed by identity
class DatabaseFigures:
    """Counts read from the audit log (incrementally: only entries after the last one
    counted), the calendar's reach and the migration head, refreshed at most every
    ``REFRESH_S`` seconds by a scrape; the pools' state is read at each scrape."""

    database: Database
    head: str
    writes: dict[tuple[str, str, str, str], int] = field(default_factory=dict)
    load_rows: dict[str, int] = field(default_factory=dict)
    last_id: int = 0
    calendar_until: dt.date | None = None
    official_until: dt.date | None = None
    at_head: bool = False
    links: dict[tuple[str, str], int] = field(default_factory=dict)
    up: bool = False
    refreshed: float = -REFRESH_S

    async def refresh(self) -> None:
        if time.monotonic() - self.refreshed < REFRESH_S:
            return
        self.refreshed = time.monotonic()
        try:
            async with self.database.primary_read.connect() as conn:
                upto = await conn.scalar(text("SELECT coalesce(max(id), 0) FROM audit_log"))
                window = {"last": self.last_id, "upto": upto}
                writes = (await conn.execute(AUDIT_WRITES, window)).all()
                rows = (await conn.execute(AUDIT_LOAD_ROWS, window)).all()
                calendar = (await conn.execute(calendar_sql.COVERAGE)).one()
                version = await conn.scalar(text("SELECT version_num FROM alembic_version"))
                links = (await conn.execute(LINKS_BY_STATE)).all()
        except Exception:  # noqa: BLE001 - a scrape reports the database down, never fails
            self.up = False
            return
        self.up = True
        for action, outcome, actor, via, count in writes:
            key = (action, outcome, department_label(actor), via)
            self.writes[key] = self.writes.get(key, 0) + count
        for outcome, count in rows:
            self.load_rows[outcome] = self.load_rows.get(outcome, 0) + count
        self.last_id = upto
        self.official_until, self.calendar_until = calendar
        self.at_head = version == self.head
        self.links = {(state, department): count for state, department, count in links}

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(
            "registry_database_up", "1 when the last scrape reached the database."
        )
        up.add_metric([], 1 if self.up else 0)
        yield up
        yield from self._pools()
        writes = CounterMetricFamily(
            "registry_writes",
            "Writes and refused write attempts recorded in the audit log, by action "
            "(publish_disclosure, correct_disclosure, withdraw_disclosure, upsert_project, "
            "load_file, ...), outcome, department and path (mutation, loader, cli, ...).",
            labels=["action", "outcome", "department", "via"],
        )
        files = CounterMetricFamily(
            "registry_loader_files", "Files loaded or refused as a whole.", labels=["outcome"]
        )
        for (action, outcome, department, via), count in sorted(self.writes.items()):
            writes.add_metric([action, outcome, department, via], count)
        by_outcome: dict[str, int] = {}
        for (action, outcome, _, _), count in self.writes.items():
            if action == "load_file":
                by_outcome[outcome] = by_outcome.get(outcome, 0) + count
        for outcome, count in sorted(by_outcome.items()):
            files.add_metric([outcome], count)
        rows = CounterMetricFamily(
            "registry_loader_rows",
            "Rows of loaded and refused files, by what became of them.",
            labels=["outcome"],
        )
        for outcome, count in sorted(self.load_rows.items()):
            rows.add_metric([outcome], count)
        yield from (writes, files, rows)
        calendar = GaugeMetricFamily(
            "registry_calendar_last_day_timestamp_seconds",
            "The last day the working-day calendar covers (UTC midnight), officially "
            "(State Council notices) and at all (provisional days included).",
            labels=["kind"],
        )
        for kind, day in (("official", self.official_until), ("table", self.calendar_until)):
            if day is not None:
                midnight = dt.datetime.combine(day, dt.time(), dt.UTC)
                calendar.add_metric([kind], midnight.timestamp())
        yield calendar
        head = GaugeMetricFamily(
            "registry_schema_at_head", "1 when the database schema is at the migration head."
        )
        head.add_metric([], 1 if self.at_head else 0)
        yield head
        links = GaugeMetricFamily(
            "registry_links",
            "Document links of public items by their checked state (unchecked, ok, moved, "
            "broken, wrong, changed) and publishing department (registry links check).",
            labels=["state", "department"],
        )
        for (state, department), count in sorted(self.links.items()):
            links.add_metric([state, department], count)
        yield links

    def _pools(self) -> Iterable[Metric]:
        in_use = GaugeMetricFamily(
            "registry_db_pool_in_use", "Connections checked out, by engine.", labels=["engine"]
        )
        idle = GaugeMetricFamily(
            "registry_db_pool_idle", "Connections open and free, by engine.", labels=["engine"]
        )
        waiting = GaugeMetricFamily(
            "registry_db_pool_waiting",
            "Requests waiting for (or being handed) a connection, by engine.",
            labels=["engine"],
        )
        limit = GaugeMetricFamily(
            "registry_db_pool_limit",
            "Most connections an engine opens (pool size + overflow).",
            labels=["engine"],
        )
        for name, pool in self.database.pools():
            in_use.add_metric([name], pool.checkedout())
            idle.add_metric([name], pool.checkedin())
            waiting.add_metric([name], getattr(pool, "waiting", 0))
            limit.add_metric([name], pool.size() + pool._max_overflow)
        yield from (in_use, idle, waiting, limit)
        yield from self._replicas()

    def _replicas(self) -> Iterable[Metric]:
        replicas = self.database.replicas.replicas
        if not replicas:
            return
        fit = GaugeMetricFamily(
            "registry_replica_fit",
            "1 when a read replica answers, is a standby and is within the lag bound.",
            labels=["replica"],
        )
        lag = GaugeMetricFamily(
            "registry_replica_lag_seconds",
            "How far a replica's replay is behind the primary (0: caught up).",
            labels=["replica"],
        )
        for replica in replicas:
            fit.add_metric([replica.name], 1 if replica.fit else 0)
            if replica.lag_s is not None:
                lag.add_metric([replica.name], replica.lag_s)
        yield from (fit, lag)


def department_label(actor: str) -> str:
    """The audit log's actor as a label: a department code, admin, system, or the kind of
    key a refused caller had (never the key id: that would grow without bound)."""
    if actor.endswith("-key") or "-key:" in actor:
        return actor.split(":", 1)[0]
    return actor


AUDIT_WRITES = text(
    "SELECT action, outcome, actor, split_part(path, ':', 1) AS via, count(*) "
    "FROM audit_log WHERE id > :last AND id <= :upto GROUP BY action, outcome, actor, via"
)
AUDIT_LOAD_ROWS = text(
    "SELECT rows.key, sum(rows.value::bigint) "
    "FROM audit_log, jsonb_each_text(detail -> 'rows') AS rows "
    "WHERE action = 'load_file' AND id > :last AND id <= :upto GROUP BY rows.key"
)
CALENDAR_REACH = text("SELECT max(day) FILTER (WHERE NOT provisional), max(day) FROM calendar_days")


def watch_worker(every_s: float = 5.0) -> asyncio.Task | None:
    """With several workers, each notes its own memory and CPU every few seconds (a scrape
    reaches one worker; the others' series must be current too)."""
    if not metrics.several_processes():
        return None

    async def note() -> None:
        while True:
            metrics.note_worker()
            await asyncio.sleep(every_s)

    return asyncio.get_running_loop().create_task(note())


class MetricsEndpoint:
    """``/metrics``: the process's figures and the database's, in the Prometheus text
    format; 404 when disabled, 401 without the token when one is set."""

    def __init__(self, figures: DatabaseFigures, enabled: bool, token: str) -> None:
        self.figures, self.enabled, self.token = figures, enabled, token
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(figures)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        response = await self.answer(request)
        await response(scope, receive, send)

    async def answer(self, request: Request) -> Response:
        if not self.enabled:
            return error_response(404, "NOT_FOUND", say("metrics are turned off"))
        if self.token:
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode()):
                return error_response(
                    401,
                    "UNAUTHORIZED",
                    say("/metrics needs `Authorization: Bearer <REGISTRY_OPS_METRICS_TOKEN>`"),
                    headers={"WWW-Authenticate": "Bearer"},
                )
        await self.figures.refresh()
        body = metrics.exposition() + generate_latest(self.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

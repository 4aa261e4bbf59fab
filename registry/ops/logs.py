"""Logs: one line per event, text or JSON, each carrying the request it belongs to.

- ``configure`` sets up the root logger once per process (``registry serve``, the CLI);
- ``REQUEST_ID`` holds the id of the request being answered (set by the web middleware,
  echoed in the ``X-Request-ID`` header); every record gets it as ``request_id``;
- ``SlowQueries`` logs SQL statements slower than ``REGISTRY_OPS_SLOW_QUERY_MS`` with their
  duration and text, never their parameters: parameters are what users sent (names, codes,
  keys) and stay out of the logs.
"""

from __future__ import annotations

import logging
import sys
import time
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
STATEMENT_CHARS = 500

log = logging.getLogger("registry.sql")


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (or "-") to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get() or "-"
        return True


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        from pythonjsonlogger.json import JsonFormatter

        return JsonFormatter(
            JSON_FIELDS,
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
        )
    return logging.Formatter(TEXT_FORMAT)


def configure(log_format: str = "text", level: int = logging.INFO) -> None:
    """Send every logger's records to stderr in the chosen format (idempotent)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # reading the head at start-up
    # SQLAlchemy names a pool's logger after its class: ours live in registry.db
    logging.getLogger("registry.db").setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


class SlowQueries:
    """Logs statements slower than a threshold: on engines through SQLAlchemy's events, and
    on driver connections (compiled GraphQL, tiles) through ``check``."""

    def __init__(self, threshold_ms: int) -> None:
        self.threshold = threshold_ms / 1000 if threshold_ms > 0 else None

    def watch(self, engine: Any) -> None:
        """Time every statement of a (sync) engine."""
        if self.threshold is None:
            return
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(
        self,
        conn: AsyncConnection,
        cursor: Any,
        statement: Any,
        parameters: Any,
        context: Any,
        executemany: Any,
    ) -> None:
        conn.info["started"] = time.perf_counter()  # one statement at a time per connection

    def _after(
        self,
        conn: AsyncConnection,
        cursor: Any,
        statement: Any,
        parameters: Any,
        context: Any,
        executemany: Any,
    ) -> None:
        self.check(statement, time.perf_counter() - conn.info["started"])

    def check(self, statement: str, seconds: float) -> None:
        if self.threshold is not None and seconds >= self.threshold:
            log.warning(
                "slow query: %.0f ms: %s",
                seconds * 1000,
                " ".join(statement.split())[:STATEMENT_CHARS],
                extra={"duration_ms": round(seconds * 1000, 1)},
            )

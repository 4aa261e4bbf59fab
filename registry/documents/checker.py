"""The link check over every public link (``registry links check``, or the worker's daily
job): each URL fetched once per run (documents.fetch), judged (documents.classify), the
check recorded, the link's state settled, the first good copy kept (documents.store) and
scanned (documents.scan). And what the rest of the register reads of it: a link's state
for pages and the API, the counts for the report and the metrics, the list for a
department."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from registry import __version__, clock
from registry.documents import classify, scan
from registry.documents.fetch import Fetched, Fetcher, HostGate
from registry.documents.store import DocumentStore
from registry.settings import LinkSettings

log = logging.getLogger("registry.links")

# every link the public sees: documents of public items, and the notices lists cite
TARGETS = text(
    """
SELECT url, min(title) AS title FROM (
  SELECT d ->> 'url' AS url, d ->> 'title' AS title
  FROM public_disclosures x CROSS JOIN LATERAL jsonb_array_elements(
    CASE jsonb_typeof(x.documents) WHEN 'array' THEN x.documents ELSE '[]' END) d
  UNION ALL
  SELECT source_url, name FROM project_lists WHERE source_url IS NOT NULL
) t
WHERE url ~* '^https?://[^/\\s]' AND (CAST(:only AS text) IS NULL OR url = :only)
GROUP BY url ORDER BY url
"""
)
PREVIOUS = text(
    """
SELECT l.url, l.state, l.state_since, l.reason, l.failures, l.failing_since, l.last_failure,
       l.moved_to, l.kept_sha256, k.content_type, l.validators
FROM links l LEFT JOIN kept_documents k ON k.sha256 = l.kept_sha256
"""
)
SAVE_CHECK = text(
    """
INSERT INTO link_checks (url, checked_at, outcome, reason, status, final_url, chain,
                         content_type, size, sha256, elapsed_ms)
VALUES (:url, :at, :outcome, :reason, :status, :final_url, CAST(:chain AS jsonb),
        :content_type, :size, :sha256, :elapsed_ms)
"""
)
SAVE_LINK = text(
    """
INSERT INTO links (url, state, state_since, reason, checked_at, failures, failing_since,
                   last_failure, moved_to, kept_sha256, validators)
VALUES (:url, :state, :since, :reason, :at, :failures, :failing_since, :last_failure,
        :moved_to, :kept, CAST(:validators AS jsonb))
ON CONFLICT (url) DO UPDATE SET
  state = excluded.state, state_since = excluded.state_since, reason = excluded.reason,
  checked_at = excluded.checked_at, failures = excluded.failures,
  failing_since = excluded.failing_since, last_failure = excluded.last_failure,
  moved_to = excluded.moved_to, kept_sha256 = coalesce(links.kept_sha256, excluded.kept_sha256),
  validators = excluded.validators
"""
)
SAVE_KEPT = text(
    """
INSERT INTO kept_documents (sha256, content_type, filename, size, url, kept_at, scan)
VALUES (:sha256, :content_type, :filename, :size, :url, :at, :scan)
ON CONFLICT (sha256) DO NOTHING
"""
)
SAVE_FINDING = text(
    "INSERT INTO document_findings (sha256, kind, page, masked) "
    "VALUES (:sha256, :kind, :page, :masked)"
)


def user_agent(contact: str) -> str:
    """Names the register (and whom to ask), as a polite crawler does."""
    return f"major-project-registry/{__version__} link checker (+{contact or 'no contact set'})"


@dataclass
class Run:
    """What one run did."""

    checked: int = 0
    states: Counter = field(default_factory=Counter)
    kept: int = 0
    findings: int = 0
    seconds: float = 0.0
    most_per_host: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "states": dict(sorted(self.states.items())),
            "kept": self.kept,
            "documents_with_personal_data": self.findings,
            "seconds": round(self.seconds, 1),
        }


def _previous(row: Any) -> tuple[classify.State, tuple[str, str] | None, dict[str, str]]:
    state = classify.State(
        row.state, row.state_since, row.reason, row.failures, row.failing_since,
        row.last_failure, row.moved_to,
    )  # fmt: skip
    kept = (row.kept_sha256, row.content_type) if row.kept_sha256 else None
    return state, kept, dict(row.validators or {})


async def check_links(
    engine: AsyncEngine,
    store: DocumentStore,
    settings: LinkSettings,
    *,
    now: dt.datetime | None = None,
    only: str | None = None,
) -> Run:
    """Check every public link (or ``only`` that one) once; record and settle each."""
    started, run = time.perf_counter(), Run()
    async with engine.connect() as conn:
        targets = (await conn.execute(TARGETS, {"only": only})).all()
        before = {row.url: _previous(row) for row in await conn.execute(PREVIOUS)}
    gate = HostGate(settings.per_host, settings.delay_s, settings.concurrency)
    max_bytes = round(settings.keep_max_mb * 1024 * 1024)
    fetcher = Fetcher(
        user_agent=user_agent(settings.contact), timeout_s=settings.timeout_s, gate=gate,
        allow_private=settings.allow_private, max_bytes=max_bytes,
    )  # fmt: skip
    done: asyncio.Queue[tuple[Any, Fetched] | None] = asyncio.Queue(maxsize=256)

    async def one(target: Any) -> None:
        _, _, known = before.get(target.url, (None, None, {}))
        seen = await fetcher.fetch(target.url, body="whole", known=known)
        await done.put((target, seen))

    async def produce() -> None:
        """Per host, ``per_host`` workers take its links in turn: every host progresses at
        its own pace (one slow site holds up nobody else), within the global limit."""
        by_host: dict[str, deque] = defaultdict(deque)
        for target in targets:
            by_host[gate.host(target.url)].append(target)

        async def work(queue: deque) -> None:
            while queue:
                await one(queue.popleft())

        workers = [work(q) for q in by_host.values() for _ in range(settings.per_host)]
        await asyncio.gather(*workers)
        await done.put(None)

    producer = asyncio.create_task(produce())
    try:
        async with engine.connect() as conn:
            while (item := await done.get()) is not None:
                target, seen = item
                await _record(conn, store, settings, run, before, target, seen,
                              now or clock.now(), max_bytes)  # fmt: skip
                if run.checked % 200 == 0:
                    await conn.commit()
            await conn.commit()
        await producer
    finally:
        producer.cancel()
        await fetcher.close()
    run.seconds = time.perf_counter() - started
    run.most_per_host = max(gate.most.values(), default=0)
    return run


async def _record(
    conn: AsyncConnection,
    store: DocumentStore,
    settings: LinkSettings,
    run: Run,
    before: dict[str, Any],
    target: Any,
    seen: Fetched,
    at: dt.datetime,
    max_bytes: int,
) -> None:
    state, kept, _ = before.get(target.url, (classify.State(), None, {}))
    outcome = classify.verdict(seen, title=target.title, kept=kept, max_bytes=max_bytes)
    new_kept = None
    if outcome.keep and seen.body is not None:
        new_kept = await _keep(conn, store, seen, at, run)
    settled = classify.settle(
        state, outcome, at, checks=settings.broken_after_checks, days=settings.broken_after_days
    )
    validators = dict(seen.validators)
    if seen.sha256:
        validators["sha256"] = seen.sha256
    await conn.execute(SAVE_CHECK, {
        "url": target.url, "at": at, "outcome": outcome.outcome, "reason": outcome.reason,
        "status": seen.status, "final_url": seen.final_url,
        "chain": orjson.dumps(seen.chain).decode(), "content_type": seen.content_type,
        "size": seen.size, "sha256": seen.sha256, "elapsed_ms": seen.elapsed_ms,
    })  # fmt: skip
    await conn.execute(SAVE_LINK, {
        "url": target.url, "state": settled.state, "since": settled.since,
        "reason": settled.reason, "at": at, "failures": settled.failures,
        "failing_since": settled.failing_since, "last_failure": settled.last_failure,
        "moved_to": settled.moved_to, "kept": new_kept,
        "validators": orjson.dumps(validators).decode(),
    })  # fmt: skip
    run.checked += 1
    failing = settled.failures > 0 and settled.state != "broken"
    run.states["failing" if failing else settled.state] += 1


async def _keep(
    conn: AsyncConnection, store: DocumentStore, seen: Fetched, at: dt.datetime, run: Run
) -> str:
    """Keep the first good copy and scan it; its SHA-256."""
    assert seen.body is not None
    kind = classify.kind_of(seen) or "application/octet-stream"
    sha256 = await asyncio.to_thread(store.put, seen.body)
    exists = await conn.scalar(
        text("SELECT 1 FROM kept_documents WHERE sha256 = :sha256"), {"sha256": sha256}
    )
    if exists:
        return sha256
    outcome, found = await asyncio.to_thread(scan.scan, seen.body, kind)
    await conn.execute(SAVE_KEPT, {
        "sha256": sha256, "content_type": kind, "filename": filename(seen, kind, sha256),
        "size": len(seen.body), "url": seen.final_url or seen.url, "at": at, "scan": outcome,
    })  # fmt: skip
    if found:
        await conn.execute(
            SAVE_FINDING,
            [{"sha256": sha256, "kind": f.kind, "page": f.page, "masked": f.masked} for f in found],
        )
        run.findings += 1
    run.kept += 1
    return sha256


def filename(seen: Fetched, kind: str, sha256: str) -> str:
    """The name a copy is served under: the server's, else the URL's last part."""
    name = seen.filename or PurePosixPath(unquote(urlsplit(seen.final_url or seen.url).path)).name
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '/\\"')[:200]
    if not name or "." not in name:
        name = (name or sha256[:16]) + classify.KEEPABLE.get(kind, "")
    return name

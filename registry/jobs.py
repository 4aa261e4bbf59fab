"""The job queue's tasks and ``registry worker`` (procrastinate, on the registry's own
PostgreSQL: no other service to run).

A worker process runs the queue's worker and a dispatcher beside it. Every day
(``REGISTRY_LINKS_SCHEDULE``) one worker runs the link check (registry/documents/), and
takes the open data's dated snapshot (``REGISTRY_OPEN_DATA_SNAPSHOT_SCHEDULE``). The
dispatcher listens for ``registry_changes`` (the change stream's seal notifies it at each
commit) and, on each notice or every ``REGISTRY_WEBHOOK_POLL_S``, queues one delivery job
per subscription that is behind the stream and has no job waiting or running; a job's
``lock`` runs one per subscription at a time, so several workers share the work without
delivering a subscription's events out of order. A worker that dies mid-delivery stops its heartbeat;
after ``REGISTRY_WEBHOOK_STALLED_S`` any other worker puts its jobs back in the queue, and
the delivery starts again from the subscription's cursor (at least once: the receiver may
see the event in flight twice, with the same ``webhook-id``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import httpx
import psycopg
from procrastinate import App, Blueprint, JobContext, PsycopgConnector, RetryStrategy
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from registry.changes import delivery
from registry.settings import get_settings

log = logging.getLogger("registry.worker")
CHANNEL = "registry_changes"
tasks = Blueprint()
_settings = get_settings().webhooks
_state: dict[str, Any] = {}


def conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@tasks.task(
    name="registry.deliver",
    pass_context=True,
    retry=RetryStrategy(
        max_attempts=_settings.max_attempts,
        exponential_wait=_settings.retry_base_s,
        retry_exceptions={delivery.DeliveryFailed},
    ),
)
async def deliver(context: JobContext, subscription_id: int) -> None:
    attempts = context.job.attempts  # attempts made before this one
    await delivery.deliver(
        _state["engine"], _state["http"], subscription_id, attempt=attempts + 1,
        final=attempts + 1 >= _settings.max_attempts, timeout=_settings.timeout_s,
    )  # fmt: skip


async def check_links(timestamp: int) -> None:
    """The daily link check (REGISTRY_LINKS_SCHEDULE), as `registry links check` runs it."""
    from registry.documents.checker import check_links as check
    from registry.documents.store import document_store

    settings = get_settings()
    run = await check(
        _state["engine"], document_store(settings.registry.document_dir), settings.links
    )
    log.info("links checked: %s", run.summary())


if get_settings().links.schedule:  # one run per scheduled moment, whichever worker takes it
    tasks.periodic(cron=get_settings().links.schedule, periodic_id="links")(
        tasks.task(name="registry.check_links", lock="links", queueing_lock="links")(check_links)
    )


async def take_snapshot(timestamp: int) -> None:
    """The day's snapshot of the open data (REGISTRY_OPEN_DATA_SNAPSHOT_SCHEDULE)."""
    from registry.exports import snapshots

    settings = get_settings()
    base = (settings.api.public_url or "http://127.0.0.1:8000").rstrip("/")
    manifest = await snapshots.build(_state["engine"], settings.open_data, base)
    log.info("snapshot %s: %d files", manifest["day"], len(manifest["files"]))


if get_settings().open_data.snapshot_schedule:
    tasks.periodic(cron=get_settings().open_data.snapshot_schedule, periodic_id="snapshot")(
        tasks.task(name="registry.snapshot", lock="snapshot", queueing_lock="snapshot")(
            take_snapshot
        )
    )


def make_app(url: str) -> App:
    app = App(connector=PsycopgConnector(conninfo=conninfo(url)))
    app.add_tasks_from(tasks, namespace="registry")
    return app


async def queue_due(app: App, engine: AsyncEngine) -> int:
    """A delivery job for each subscription behind the stream that has none waiting or
    running (one waiting for its retry keeps its backoff: no new job jumps it)."""
    queued = 0
    for subscription_id in await delivery.due(engine, pending_lock="webhook-"):
        await app.configure_task(
            "registry:registry.deliver", lock=f"webhook-{subscription_id}"
        ).defer_async(subscription_id=subscription_id)
        queued += 1
    return queued


async def requeue_stalled(app: App) -> None:
    for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=_settings.stalled_s):
        log.warning("job %s of a silent worker goes back in the queue", job.id)
        await app.job_manager.retry_job(job)


async def dispatch(app: App, engine: AsyncEngine, url: str) -> None:
    """Queue deliveries when the stream moves (notified), or every poll_s regardless."""
    async with await psycopg.AsyncConnection.connect(conninfo(url), autocommit=True) as conn:
        await conn.execute(f"LISTEN {CHANNEL}")
        while True:
            try:
                await queue_due(app, engine)
                await requeue_stalled(app)
            except Exception:  # noqa: BLE001 - the database away: try again at the next tick
                log.warning("dispatch failed", exc_info=True)
            async for _ in conn.notifies(timeout=_settings.poll_s, stop_after=1):
                pass


async def run_worker(url: str, name: str | None = None) -> None:
    """The worker and its dispatcher until SIGTERM/SIGINT (procrastinate's handlers stop
    the worker gracefully; the dispatcher stops with it)."""
    engine = create_async_engine(url, pool_size=_settings.concurrency + 1)
    _state["engine"] = engine
    async with httpx.AsyncClient(follow_redirects=False) as http:
        _state["http"] = http
        app = make_app(url)
        async with app.open_async():
            dispatcher = asyncio.create_task(dispatch(app, engine, url))
            try:
                await app.run_worker_async(
                    name=name or "registry-worker",
                    concurrency=_settings.concurrency,
                    update_heartbeat_interval=max(_settings.stalled_s / 3, 0.5),
                    stalled_worker_timeout=_settings.stalled_s,
                    install_signal_handlers=True,
                )
            finally:
                dispatcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await dispatcher
    await engine.dispose()

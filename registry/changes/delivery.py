"""Delivering a subscription's events: in order, at least once, signed (Standard Webhooks).

One job per subscription at a time (the queue's lock) walks the stream from the
subscription's cursor with its filter. Each event is POSTed as the JSON ``/changes`` gives,
with ``webhook-id`` (``evt_<cursor>``: the same on every attempt, so a receiver can drop a
repeat), ``webhook-timestamp`` and ``webhook-signature`` (HMAC-SHA256 with the
subscription's secret, by the ``standardwebhooks`` library). A 2xx moves the cursor past the
event; anything else stops the walk there and the job is retried later (the queue's
exponential backoff), so nothing after a failed event goes before it. Every attempt is in
the delivery log. When the last attempt fails too, the subscription is disabled with the
reason, which its owner sees.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks.webhooks import Webhook

from registry.changes.webhooks import as_change_filter
from registry.reading import changes

BATCH = 100


class DeliveryFailed(Exception):
    """An event was not accepted: the job is tried again later."""


@dataclass
class Outcome:
    delivered: int = 0
    failed: str | None = None
    disabled: bool = False


def signed_headers(secret: str, cursor: str, body: str, at: dt.datetime) -> dict[str, str]:
    message_id = f"evt_{cursor}"
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
        "content-type": "application/json",
        "user-agent": "registry-webhooks/1",
    }


async def _post(
    http: httpx.AsyncClient, url: str, body: str, headers: dict, timeout: float
) -> tuple:
    started = time.perf_counter()
    try:
        reply = await http.post(url, content=body.encode(), headers=headers, timeout=timeout)
        code, error = reply.status_code, None
        if not 200 <= code < 300:
            error = f"HTTP {code}"
    except httpx.HTTPError as exc:
        code, error = None, f"{type(exc).__name__}: {exc}"[:300]
    return code, error, int((time.perf_counter() - started) * 1000)


async def deliver(
    engine: AsyncEngine, http: httpx.AsyncClient, subscription_id: int, attempt: int,
    final: bool, timeout: float,
) -> Outcome:  # fmt: skip
    """Deliver what the subscription has not received yet; raise DeliveryFailed to be
    retried (unless ``final``: then disable it)."""
    done = Outcome()
    while True:
        async with engine.connect() as plain:
            conn = await plain.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():  # the page and the stream's head: one moment
                sub = (
                    await conn.execute(
                        text("SELECT * FROM webhook_subscriptions WHERE id = :id"),
                        {"id": subscription_id},
                    )
                ).first()
                if sub is None or sub.status != "active":
                    return done
                head = changes.parse_cursor(await changes.latest_cursor(conn))
                page = await changes.page(
                    conn, as_change_filter(sub.filter), (sub.last_seq, sub.last_id), BATCH
                )
        if not page.events:  # nothing of interest up to the head: skip to it
            if head > (sub.last_seq, sub.last_id):
                await _skip(engine, sub, head)
            return done
        for body in page.events:
            cursor = json.loads(body)["cursor"]
            at = dt.datetime.now(dt.UTC)
            code, error, latency = await _post(
                http, sub.url, body, signed_headers(sub.secret, cursor, body, at), timeout
            )
            await _record(engine, sub.id, cursor, attempt, code, error, latency, final)
            if error is not None:
                done.failed, done.disabled = error, final
                if final:
                    return done
                raise DeliveryFailed(f"subscription {sub.id}: {cursor}: {error}")
            done.delivered += 1
            attempt = 1  # the next event's first attempt
        if not page.has_more:
            return done


def disabled_reason(subscription_id: int, attempts: int, error: str, cursor: str) -> str:
    """Why a subscription was disabled, for its owner: Chinese first, and how to go on."""
    resume = f"POST /webhooks/{subscription_id}/resume"
    return (
        f"连续 {attempts} 次推送失败，最后一次：{error}（事件 {cursor}）；修复接收地址后用 {resume} "
        f"从该事件继续 · {attempts} attempts failed; the last: {error} (event {cursor}); fix the "
        f"receiver, then {resume} to go on from that event"
    )


async def _skip(engine: AsyncEngine, sub: Any, head: tuple[int, int]) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE webhook_subscriptions SET last_seq = :seq, last_id = :eid"
                " WHERE id = :id AND last_seq = :old_seq AND last_id = :old_id"
            ),
            {
                "seq": head[0],
                "eid": head[1],
                "id": sub.id,
                "old_seq": sub.last_seq,
                "old_id": sub.last_id,
            },  # fmt: skip
        )


async def _record(
    engine: AsyncEngine, subscription_id: int, cursor: str, attempt: int, code: int | None,
    error: str | None, latency: int, final: bool,
) -> None:  # fmt: skip
    seq, event_id = (int(part) for part in cursor.split("-"))
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO webhook_deliveries (subscription_id, event_cursor, attempt, outcome,"
                " response_code, latency_ms, error) VALUES (:id, :cursor, :attempt, :outcome,"
                " :code, :latency, :error)"
            ),
            {
                "id": subscription_id,
                "cursor": cursor,
                "attempt": attempt,
                "code": code,
                "latency": latency,
                "error": error,
                "outcome": "failed" if error else "delivered",
            },  # fmt: skip
        )
        if error is None:
            await conn.execute(
                text(
                    "UPDATE webhook_subscriptions SET last_seq = :seq, last_id = :eid"
                    " WHERE id = :id"
                ),  # fmt: skip
                {"seq": seq, "eid": event_id, "id": subscription_id},
            )
        elif final:
            await conn.execute(
                text(
                    "UPDATE webhook_subscriptions SET status = 'disabled', disabled_at = now(),"
                    " disabled_reason = :reason WHERE id = :id"
                ),
                {
                    "id": subscription_id,
                    "reason": disabled_reason(subscription_id, attempt, error, cursor),
                },  # fmt: skip
            )


async def due(engine: AsyncEngine, pending_lock: str) -> list[int]:
    """Active subscriptions whose cursor is behind the stream's head and that have no job
    waiting or running (the queue's jobs locked ``pending_lock<id>``)."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                f"WITH head AS ({changes.HEAD})"
                " SELECT s.id FROM webhook_subscriptions s, head"
                " WHERE s.status = 'active' AND (s.last_seq, s.last_id) < (head.seq, head.id)"
                "   AND NOT EXISTS (SELECT FROM procrastinate_jobs j"
                "                    WHERE j.lock = :prefix || s.id"
                "                      AND j.status IN ('todo', 'doing'))"
                " ORDER BY s.id"
            ),
            {"prefix": pending_lock},
        )
        return [r.id for r in rows]

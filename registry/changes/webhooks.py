"""Webhook subscriptions: a reader key's URL and filter on the change stream.

A subscription starts from the moment it is made (its cursor is the stream's latest) and
is delivered to by ``registry worker`` (registry/changes/delivery.py). Only its owner — the
reader key that made it — sees it, its secret (once, when made) and its delivery log.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.errors import InvalidInput, NotFound, Problem
from registry.language import say
from registry.links import private_address
from registry.reading import changes

FILTER_KEYS = ("region", "department", "category", "project", "kinds")


def _problem(path: str, code: str, message: str) -> InvalidInput:
    return InvalidInput([Problem(path, code, message)])


def check_url(url: str, allow_private: bool) -> str:
    """An http(s) URL whose host resolves to public addresses only (unless the operators
    allow private ones): the registry must not be made to call into its own network."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _problem("url", "bad_url", say("the URL must be http:// or https:// with a host"))
    if not allow_private:
        try:
            found = private_address(parts.hostname, parts.port or 443)
        except OSError:
            raise _problem(
                "url", "unresolvable", say("{host} does not resolve", host=parts.hostname)
            ) from None
        if found is not None:
            raise _problem(
                "url",
                "private_address",
                say(
                    "{host} is a private or local address; webhooks go to public ones",
                    host=parts.hostname,
                ),  # fmt: skip
            )
    return url.strip()


def check_filter(given: Any) -> dict[str, Any]:
    """The filter as ``changes`` takes it, each part checked the same way."""
    if given is None:
        return {}
    if not isinstance(given, dict) or set(given) - set(FILTER_KEYS):
        raise _problem(
            "filter",
            "bad_filter",
            say("the filter is an object with {keys}", keys=", ".join(FILTER_KEYS)),
        )
    chosen = {k: v for k, v in given.items() if v not in (None, "", [])}
    for key in ("region", "department", "project"):
        if key in chosen and not isinstance(chosen[key], str):
            raise _problem(f"filter.{key}", "not_text", say("must be text"))
    for key in ("category", "kinds"):
        if key in chosen and not (
            isinstance(chosen[key], list) and all(isinstance(v, str) for v in chosen[key])
        ):
            raise _problem(f"filter.{key}", "not_a_list", say("must be a list of text"))
    as_change_filter(chosen)  # refuses what `changes` would refuse, by the same names
    return chosen


def as_change_filter(chosen: dict[str, Any]) -> changes.ChangeFilter:
    return changes.change_filter(chosen, "filter.")


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def create(
    session: Session, reader: str, url: str, given: Any, allow_private: bool
) -> dict[str, Any]:
    """A new subscription of reader key ``reader``, from now on; its secret is in the
    answer, and only there."""
    checked_url, chosen = check_url(url, allow_private), check_filter(given)
    secret = new_secret()
    row = session.execute(
        text(
            "INSERT INTO webhook_subscriptions (reader_key_id, url, secret, filter, last_seq,"
            " last_id) SELECT :reader, :url, :secret, CAST(:filter AS jsonb),"
            " coalesce(head.seq, 0), coalesce(head.id, 0)"
            f" FROM (SELECT 1) one LEFT JOIN ({changes.HEAD}) head ON true"
            " RETURNING id"
        ),
        {"reader": reader, "url": checked_url, "secret": secret, "filter": _json(chosen)},
    ).one()
    return {**shown(session, reader, row.id), "secret": secret}


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


SHOWN = (
    "SELECT id, url, filter, status, disabled_reason, disabled_at, created_at,"
    " last_seq || '-' || last_id AS cursor FROM webhook_subscriptions"
)


def _row(row: Any) -> dict[str, Any]:
    found = dict(row._mapping)
    for key in ("disabled_at", "created_at"):
        found[key] = found[key].isoformat() if found[key] else None
    return found


def shown(session: Session, reader: str, subscription_id: int) -> dict[str, Any]:
    row = session.execute(
        text(SHOWN + " WHERE id = :id AND reader_key_id = :reader"),
        {"id": subscription_id, "reader": reader},
    ).first()
    if row is None:  # another reader's is as unknown as one that does not exist
        raise NotFound.one(
            "id", "unknown_subscription", say("you have no subscription {id}", id=subscription_id)
        )
    return _row(row)


def listed(session: Session, reader: str) -> list[dict[str, Any]]:
    rows = session.execute(
        text(SHOWN + " WHERE reader_key_id = :reader ORDER BY id"), {"reader": reader}
    )
    return [_row(r) for r in rows]


def deliveries(
    session: Session, reader: str, subscription_id: int, limit: int = 100
) -> list[dict[str, Any]]:
    """The newest attempts first: event, attempt, outcome, response code, latency, error."""
    shown(session, reader, subscription_id)
    rows = session.execute(
        text(
            "SELECT event_cursor, attempt, outcome, response_code, latency_ms, error, at"
            " FROM webhook_deliveries WHERE subscription_id = :id ORDER BY id DESC LIMIT :n"
        ),
        {"id": subscription_id, "n": limit},
    )
    return [{**dict(r._mapping), "at": r.at.isoformat()} for r in rows]


def set_active(session: Session, reader: str, subscription_id: int, active: bool) -> dict:
    """Pause a subscription, or take it up again where it stopped (a disabled one too)."""
    shown(session, reader, subscription_id)
    session.execute(
        text(
            "UPDATE webhook_subscriptions SET status = :status,"
            " disabled_reason = CASE WHEN :active THEN NULL ELSE :reason END,"
            " disabled_at = CASE WHEN :active THEN NULL ELSE now() END WHERE id = :id"
        ),
        {
            "status": "active" if active else "disabled",
            "active": active,
            "id": subscription_id,
            "reason": "由所有者暂停 · paused by its owner",
        },  # fmt: skip
    )
    return shown(session, reader, subscription_id)


def delete(session: Session, reader: str, subscription_id: int) -> None:
    shown(session, reader, subscription_id)
    session.execute(text("DELETE FROM webhook_subscriptions WHERE id = :id"),
                    {"id": subscription_id})  # fmt: skip

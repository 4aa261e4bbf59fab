"""Query parameters several public reads share."""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request

from registry.errors import InvalidInput
from registry.language import say


def moment(request: Request) -> dt.datetime | None:
    """``asOf``: the register as it stood then (UTC when the moment names no zone)."""
    value = request.query_params.get("asOf")
    if not value:
        return None
    try:
        at = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput.one(
            "asOf",
            "not_a_moment",
            say("{value!r} is not a moment (2026-01-31T00:00:00Z)", value=value),
        ) from exc
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)

"""Query parameters several public reads share."""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request

from registry.clock import parse_moment
from registry.errors import InvalidInput
from registry.language import say


def moment(request: Request) -> dt.datetime | None:
    """``asOf``: the register as it stood then (UTC when the moment names no zone)."""
    value = request.query_params.get("asOf")
    if not value:
        return None
    try:
        return parse_moment(value)
    except ValueError as exc:
        raise InvalidInput.one(
            "asOf",
            "not_a_moment",
            say(
                "{value!r} is not a moment between 0001-01-02 and 9999-12-30 "
                "(write it as 2026-01-31T00:00:00Z)",
                value=value[:60],
            ),
        ) from exc

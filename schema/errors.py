"""One place that turns exceptions into GraphQL errors: codes, messages, no stack traces."""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError

from registry.errors import (
    DATABASE_ERRORS,
    RegistryError,
    StatementTimeout,
    Unavailable,
    from_database,
)
from registry.language import N_, SEPARATOR, Phrase, said, say

log = logging.getLogger("registry.graphql")

CODES = {"INVALID_INPUT": "BAD_USER_INPUT"}
NOT_GRAPHQL = N_("the query does not follow the GraphQL rules or this schema: {detail}")
TIMEOUT = StatementTimeout.code
UNAVAILABLE = Unavailable.code


def error_body(message: str, code: str, **extensions: Any) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code, **extensions}}


def format_error(error: GraphQLError, timeout_ms: int | None = None) -> dict[str, Any]:
    """The client's view of an error: registry refusals keep their detail, anything
    unexpected becomes INTERNAL_SERVER_ERROR with the detail logged, not sent."""
    formatted = error.formatted
    original = error.original_error
    extensions = dict(formatted.get("extensions") or {})
    if (
        isinstance(original, DATABASE_ERRORS)
        and (refused := from_database(original, timeout_ms)) is not None
    ):
        original = refused
    if isinstance(original, RegistryError):
        formatted["message"] = original.message
        extensions["code"] = CODES.get(original.code, original.code)
        extensions["problems"] = [
            {"path": p.path, "code": p.code, "message": p.message} for p in original.problems
        ]
    elif original is not None and not isinstance(original, GraphQLError) and error.path:
        # a resolver's failure; without a path it is a value refused by a scalar while the
        # request was validated or its variables coerced: the client's error, said below
        log.exception("resolver failed at %s", error.path, exc_info=original)
        formatted["message"] = say("Internal server error")
        extensions["code"] = "INTERNAL_SERVER_ERROR"
    else:
        extensions.setdefault(
            "code", "GRAPHQL_VALIDATION_FAILED" if error.path is None else "BAD_REQUEST"
        )
        if SEPARATOR not in formatted["message"]:  # graphql-core's own words, in English
            detail = formatted["message"]
            # the Chinese says what kind of error it is; the English stays the spec's words
            formatted["message"] = str(Phrase(said(NOT_GRAPHQL, detail=detail).zh, detail))
    formatted["extensions"] = extensions
    return dict(formatted)

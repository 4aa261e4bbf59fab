"""The one error body of every HTTP surface that is not GraphQL (OGC API, tiles, exports,
the feed, the report, pages), built here and nowhere else:

    {"code": "INVALID_INPUT", "description": "…", "status": 400,
     "problems": [{"path": "limit", "code": "out_of_range", "message": "…"}]}

``code`` and ``description`` are the OGC API exception fields; ``problems`` says where each
problem is and which rule it breaks. GraphQL keeps the spec's ``errors`` array. A browser
(a request that accepts ``text/html``) gets the same refusal as a page.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import unquote_to_bytes

import psycopg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from registry.errors import NotFound, Problem, RegistryError, from_database
from registry.language import say, shown
from registry.ops import metrics
from registry.web.pages import problems_page

log = logging.getLogger("registry.web")

HTTP_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


def error_body(
    status: int, code: str, description: str, problems: list[Problem] | tuple = ()
) -> dict[str, Any]:
    return {
        "code": code,
        "description": shown(description),
        "status": status,
        "problems": [
            {"path": p.path, "code": p.code, "message": shown(p.message)} for p in problems
        ],
    }


def error_response(
    status: int,
    code: str,
    description: str,
    problems: list[Problem] | tuple = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    metrics.count_error(code)
    return JSONResponse(
        error_body(status, code, description, problems), status_code=status, headers=headers
    )


def refusal(error: RegistryError, retry_after_s: int = 5) -> JSONResponse:
    """The error body of a refusal; a 503 says when to try again (Retry-After)."""
    headers = {"Retry-After": str(retry_after_s)} if error.status == 503 else None
    return error_response(error.status, error.code, error.message, error.problems, headers)


def _retry_after(request: Request) -> int:
    settings = getattr(request.app.state, "settings", None)
    return settings.ops.retry_after_s if settings is not None else 5


def wants_page(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


async def registry_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RegistryError)
    if wants_page(request) and exc.status != 503:
        return problems_page(exc)
    return refusal(exc, _retry_after(request))


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
    detail = exc.detail if isinstance(exc.detail, str) else code
    if exc.status_code == 404:
        detail = say("{path} is not a page or resource of this registry", path=request.url.path)
        if wants_page(request):
            return problems_page(NotFound.one("", "not_found", detail))
    return error_response(
        exc.status_code, code, detail, headers=dict(exc.headers) if exc.headers else None
    )


async def database_error(request: Request, exc: Exception) -> JSONResponse:
    """A database failure: a timeout (504), a conflict (409), the database down or every
    connection busy (503, Retry-After), or else a fault of ours (500)."""
    settings = getattr(request.app.state, "settings", None)
    refused = from_database(exc, settings.registry.statement_timeout_ms if settings else None)
    if refused is not None:
        return refusal(refused, _retry_after(request))
    return await unexpected(request, exc)


async def unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s", request.url.path, exc_info=exc)
    return error_response(500, "INTERNAL_SERVER_ERROR", say("Internal server error"))


class RefuseUnstorable:
    """Refuse, with the one error body, a request whose path or query parameters hold a NUL
    character: PostgreSQL cannot take it, so no route can answer it (GraphQL checks its own
    parameters and answers in its own shape)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/graphql"):
            query = unquote_to_bytes(scope.get("query_string", b"").replace(b"+", b" "))
            if b"\x00" in query or "\x00" in scope["path"]:
                response = error_response(
                    400,
                    "BAD_REQUEST",
                    say("the request holds a NUL character; remove it"),
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


HANDLERS = {
    RegistryError: registry_error,
    HTTPException: http_error,
    DBAPIError: database_error,
    PoolTimeout: database_error,
    psycopg.Error: database_error,  # tiles run on the driver connection directly
    Exception: unexpected,
}

"""``/webhooks``: a reader's subscriptions to the change stream, with a reader key.

    POST   /webhooks                     {"url": …, "filter": {…}}  -> 201, the secret once
    GET    /webhooks                     the key's subscriptions
    GET    /webhooks/{id}                one (status, why disabled, cursor)
    GET    /webhooks/{id}/deliveries     the newest attempts: outcome, response code, latency
    POST   /webhooks/{id}/pause | resume
    DELETE /webhooks/{id}

Deliveries are made by ``registry worker`` (registry/jobs.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from registry.changes import webhooks
from registry.errors import InvalidInput, Unauthenticated
from registry.identifiers import digits
from registry.language import say
from registry.publishing.keys import reader_of

MAX_BODY = 16_384


def _authenticated(request: Request, work: Callable[[Session, str], Any]) -> Any:
    with Session(request.app.state.db.write) as session, session.begin():
        reader = reader_of(session, request.headers.get("authorization"))
        if reader is None:
            raise Unauthenticated.one(
                "authorization",
                "reader_key_needed",
                say("webhooks need a reader key: Authorization: Bearer rdr_… (docs/api.md)"),
            )
        return work(session, reader)


async def _run(request: Request, work: Callable[[Session, str], Any]) -> Any:
    return await run_in_threadpool(_authenticated, request, work)


def _id(request: Request) -> int:
    raw = request.path_params["subscription_id"]
    if not digits(raw) or len(raw) > 9:
        raise InvalidInput.one("id", "not_a_number", say("must be a whole number"))
    return int(raw)


async def _body(request: Request) -> dict:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise InvalidInput.one("body", "too_large", say("the body is over {n} bytes", n=MAX_BODY))
    try:
        given = json.loads(raw or b"{}")
    except ValueError:
        raise InvalidInput.one("body", "not_json", say("the body must be JSON")) from None
    if not isinstance(given, dict) or not isinstance(given.get("url"), str):
        raise InvalidInput.one("url", "required", say("give the URL to deliver to"))
    return given


async def collection(request: Request) -> Response:
    if request.method == "POST":
        given = await _body(request)
        allow = request.app.state.settings.webhooks.allow_private
        made = await _run(request, lambda s, reader: webhooks.create(
            s, reader, given["url"], given.get("filter"), allow))  # fmt: skip
        return JSONResponse(made, status_code=201)
    return JSONResponse(await _run(request, webhooks.listed))


async def one(request: Request) -> Response:
    number = _id(request)
    if request.method == "DELETE":
        await _run(request, lambda s, reader: webhooks.delete(s, reader, number))
        return Response(status_code=204)
    return JSONResponse(await _run(request, lambda s, reader: webhooks.shown(s, reader, number)))


async def deliveries(request: Request) -> Response:
    number = _id(request)
    return JSONResponse(
        await _run(request, lambda s, reader: webhooks.deliveries(s, reader, number))
    )


async def pause(request: Request) -> Response:
    number = _id(request)
    return JSONResponse(
        await _run(request, lambda s, reader: webhooks.set_active(s, reader, number, False))
    )


async def resume(request: Request) -> Response:
    number = _id(request)
    return JSONResponse(
        await _run(request, lambda s, reader: webhooks.set_active(s, reader, number, True))
    )


ROUTES = [
    Route("/webhooks", collection, methods=["GET", "POST"]),
    Route("/webhooks/{subscription_id}", one, methods=["GET", "DELETE"]),
    Route("/webhooks/{subscription_id}/deliveries", deliveries),
    Route("/webhooks/{subscription_id}/pause", pause, methods=["POST"]),
    Route("/webhooks/{subscription_id}/resume", resume, methods=["POST"]),
]

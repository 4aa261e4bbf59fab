"""GraphQL over HTTP (GET and POST), written for this API because Starlette has none.

Parse (with a token limit) → validate (standard rules + depth limit, suggestions hidden in
production) → estimate cost → execute. Status codes and media types follow the
GraphQL-over-HTTP specification: `application/graphql-response+json` answers request
errors with 400; `application/json` answers every well-formed request with 200.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import re
import time
from pathlib import Path
from typing import Any

import orjson
from cachetools import LRUCache
from graphene.validation import depth_limit_validator
from graphql import (
    ExecutionContext,
    ExecutionResult,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    Visitor,
    execute,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
    visit,
)
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from registry.db.replicas import on_driver
from registry.errors import DATABASE_ERRORS, from_database
from registry.identifiers import digits
from registry.language import say, shown
from registry.ops import metrics
from registry.publishing import keys
from registry.publishing.keys import Credentials
from registry.settings import ApiSettings
from schema.compiler import StatementCache, prepare
from schema.context import Context
from schema.errors import TIMEOUT, UNAVAILABLE, error_body, format_error
from schema.limits import estimate_cost

log = logging.getLogger("registry.graphql")


async def _gather_cancelling(*awaitables: Any, return_exceptions: bool = False) -> list[Any]:
    """asyncio.gather that, when one awaitable fails, cancels the others and waits for them.

    graphql-core 3.2 gathers sibling resolvers with plain ``gather``: when a non-null field
    fails, the response is sent while its siblings still run (and hold a database
    connection) behind it. Installed below as graphql-core's ``gather``, so a request's work
    ends with its response."""
    if return_exceptions:
        return await asyncio.gather(*awaitables, return_exceptions=True)
    tasks = [asyncio.ensure_future(a) for a in awaitables]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


importlib.import_module("graphql.execution.execute").gather = _gather_cancelling  # type: ignore[attr-defined]
GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON_MEDIA = "application/json"
GRAPHIQL = Path(__file__).parent / "graphiql.html"
DOCUMENT_CACHE_SIZE = 512


UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable(value: Any, where: str = "") -> str | None:
    """Where in a request's parameters a string holds what PostgreSQL cannot take (NUL, an
    unpaired surrogate), e.g. ``variables.filter.text``; None when nothing does."""
    if isinstance(value, str):
        return (where or "the request") if UNSTORABLE.search(value) else None
    items: Any
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = ((f"[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    for key, item in items:
        key_text = str(key)
        if UNSTORABLE.search(key_text):
            return f"{where}.{key_text!r}" if where else repr(key_text)
        path = where + key_text if key_text.startswith("[") or not where else f"{where}.{key_text}"
        if found := unstorable(item, path):
            return found
    return None


def unstorable_literals(document: Any) -> list[GraphQLError]:
    """String literals in a query that PostgreSQL cannot take, as validation errors."""
    found: list[GraphQLError] = []

    class Finder(Visitor):
        def enter_string_value(self, node: Any, *_args: Any) -> None:
            if UNSTORABLE.search(node.value):
                found.append(GraphQLError(say(
                    "a string contains a NUL character or an unpaired surrogate; remove it"
                ), node))  # fmt: skip

    visit(document, Finder())
    return found


def too_large(limit: int) -> str:
    return say("the body is over {limit} bytes", limit=limit)


def _shown_error(error: dict) -> dict:
    """An error as this request should see it: Chinese first, or English alone when asked
    for (counted by its code)."""
    extensions = error.get("extensions") or {}
    metrics.count_error(str(extensions.get("code", "GRAPHQL_ERROR")))
    shown_error = {**error}
    if "message" in error:
        shown_error["message"] = shown(error["message"])
    if extensions.get("problems"):
        shown_error["extensions"] = {
            **extensions,
            "problems": [{**p, "message": shown(p.get("message"))} for p in extensions["problems"]],
        }
    return shown_error


class RequestProblem(Exception):
    def __init__(self, status: int, message: str, code: str, headers: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.headers = status, message, code, headers or {}


def negotiate(accept: str | None) -> str:
    """The response media type the client accepts, preferring graphql-response+json."""
    if not accept:
        return JSON_MEDIA
    ranked = []
    for position, part in enumerate(accept.split(",")):
        media, *params = [p.strip() for p in part.split(";")]
        q = next((float(p[2:]) for p in params if p.startswith("q=") and _is_float(p[2:])), 1.0)
        if media in (GRAPHQL_RESPONSE, "application/*", "*/*", JSON_MEDIA):
            ranked.append((q, -position, media))
    ranked = [r for r in ranked if r[0] > 0]
    if not ranked:
        raise RequestProblem(
            406,
            say(
                "cannot answer with {accept}; accept {one} or {other}",
                accept=accept,
                one=GRAPHQL_RESPONSE,
                other=JSON_MEDIA,
            ),
            "NOT_ACCEPTABLE",
        )
    media = max(ranked)[2]
    return JSON_MEDIA if media in ("*/*", "application/*") else media


def _is_float(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


class GraphQLEndpoint:
    def __init__(
        self,
        schema: GraphQLSchema,
        settings: ApiSettings,
        timeout_ms: int | None = None,
        retry_after_s: int = 5,
    ) -> None:
        self.timeout_ms, self.retry_after_s = timeout_ms, retry_after_s
        self.schema = schema
        self.settings = settings
        self.depth = [depth_limit_validator(max_depth=settings.max_depth)]
        self.documents: LRUCache[str, tuple] = LRUCache(maxsize=DOCUMENT_CACHE_SIZE)
        self.statements = StatementCache()

    def checked_document(self, query: str) -> tuple:
        """(document, None) or (None, errors): parsing and validation, cached per query text
        (neither depends on the variables)."""
        if (cached := self.documents.get(query)) is not None:
            return cached
        try:
            document = parse(query, max_tokens=self.settings.max_tokens)
            # The standard rules first: the depth limit walks fragments, and must only see
            # documents whose fragments are defined and free of cycles.
            hide = self.settings.production
            errors = validate(self.schema, document, specified_rules, hide_suggestions=hide)
            if not errors:
                errors = validate(self.schema, document, self.depth, hide_suggestions=hide)
            errors = errors or unstorable_literals(document)
            result = (None, [format_error(e) for e in errors]) if errors else (document, None)
        except GraphQLError as error:
            result = (None, [format_error(error)])
        self.documents[query] = result
        return result

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        media = JSON_MEDIA
        try:
            if request.method == "GET" and self._wants_html(request):
                return HTMLResponse(GRAPHIQL.read_text(encoding="utf-8"))
            media = negotiate(request.headers.get("accept"))
            params = await self._params(request)
            return await self._run(request, params, media)
        except DATABASE_ERRORS as exc:
            # the database timed out, is down or busy: the spec's errors, the right status
            refused = from_database(exc, self.timeout_ms)
            if refused is None:
                raise
            headers = {"Retry-After": str(self.retry_after_s)} if refused.status == 503 else None
            error = error_body(refused.message, refused.code)
            return self._json({"errors": [error], "data": None}, refused.status, media, headers)
        except RequestProblem as problem:
            return self._json(
                {"errors": [error_body(problem.message, problem.code)]},
                problem.status,
                JSON_MEDIA,
                problem.headers,
            )

    def _wants_html(self, request: Request) -> bool:
        accept = request.headers.get("accept", "")
        return "text/html" in accept and "query" not in request.query_params

    async def _params(self, request: Request) -> dict[str, Any]:
        params = await self._read_params(request)
        if where := unstorable(params):
            raise RequestProblem(
                400,
                say(
                    "{where} contains a NUL character or an unpaired surrogate, which the "
                    "registry can neither store nor search; remove it",
                    where=where,
                ),
                "BAD_REQUEST",
            )
        return params

    async def _read_params(self, request: Request) -> dict[str, Any]:
        if request.method == "GET":
            params = dict(request.query_params)
            for name in ("variables", "extensions"):
                if params.get(name):
                    params[name] = self._loads(params[name], name)
            return params
        if request.method != "POST":
            raise RequestProblem(
                405, say("use GET or POST"), "METHOD_NOT_ALLOWED", {"Allow": "GET, POST"}
            )
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        if content_type != JSON_MEDIA:
            raise RequestProblem(
                415,
                say("POST needs Content-Type: {media}", media=JSON_MEDIA),
                "UNSUPPORTED_MEDIA_TYPE",
            )
        body = await self._body(request)
        params = self._loads(body, "body")
        if not isinstance(params, dict):
            raise RequestProblem(400, say("the body must be a JSON object"), "BAD_REQUEST")
        return params

    async def _body(self, request: Request) -> bytes:
        limit = self.settings.max_body_bytes
        declared = request.headers.get("content-length")
        if declared and digits(declared) and int(declared) > limit:
            raise RequestProblem(413, too_large(limit), "PAYLOAD_TOO_LARGE")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise RequestProblem(413, too_large(limit), "PAYLOAD_TOO_LARGE")
        return bytes(body)

    @staticmethod
    def _loads(text: str | bytes, name: str) -> Any:
        try:
            return orjson.loads(text)  # strict UTF-8, and a nesting limit (no RecursionError)
        except (ValueError, UnicodeDecodeError) as exc:
            raise RequestProblem(
                400, say("{name} is not valid JSON ({why})", name=name, why=exc), "BAD_REQUEST"
            ) from exc

    async def _run(self, request: Request, params: dict[str, Any], media: str) -> Response:
        query, variables = params.get("query"), params.get("variables")
        operation_name = params.get("operationName")
        if not isinstance(query, str) or not query.strip():
            raise RequestProblem(400, say("the request has no `query` string"), "BAD_REQUEST")
        if variables is not None and not isinstance(variables, dict):
            raise RequestProblem(400, say("`variables` must be a JSON object"), "BAD_REQUEST")
        if params.get("extensions") is not None and not isinstance(params["extensions"], dict):
            raise RequestProblem(400, say("`extensions` must be a JSON object"), "BAD_REQUEST")
        if operation_name is not None and not isinstance(operation_name, str):
            raise RequestProblem(400, say("`operationName` must be a string"), "BAD_REQUEST")
        request_error_status = 400 if media == GRAPHQL_RESPONSE else 200
        document, errors = self.checked_document(query)
        if errors:
            return self._json({"errors": errors}, request_error_status, media)
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            raise RequestProblem(
                400, say("name the operation to run (operationName)"), "BAD_REQUEST"
            )
        request.state.graphql_operation = metrics.operation_label(
            operation.name.value if operation.name else None
        )
        request.state.graphql_type = operation.operation.value
        if request.method == "GET" and operation.operation != OperationType.QUERY:
            raise RequestProblem(
                405, say("mutations need POST"), "METHOD_NOT_ALLOWED", {"Allow": "POST"}
            )
        database = request.app.state.db
        # A write, and whatever a department reads with its key (its drafts, what it just
        # wrote), must see the primary; anyone's public query may go to a replica.
        writes = operation.operation == OperationType.MUTATION
        keyed = bool(request.headers.get("authorization"))
        engine = database.primary_read if writes or keyed else database.read
        credentials = await self.credentials(request, database.primary_read)
        if credentials.actor is not None:
            request.state.department = credentials.actor.name  # for the log; never the key
        context = Context(
            engine=engine,
            settings=self.settings,
            request=request,
            credentials=credentials,
            database=database,
        )
        # graphql-core's own coercion of the variables (types, required, unknown keys)
        execution = ExecutionContext.build(
            self.schema, document, None, context, variables, operation_name
        )
        if isinstance(execution, list):
            errors = [format_error(e) for e in execution]
            return self._json({"errors": errors}, request_error_status, media)
        if error := self._too_costly(request, document, operation, execution.variable_values):
            return self._json({"errors": [error]}, request_error_status, media)
        prepared = (
            prepare(self.schema, execution, self.settings, query, self.statements)
            if self.settings.compile_queries
            else None
        )
        if prepared is not None:
            data = await self._run_compiled(database, prepared)
            self.statements.answered += 1
            # PostgreSQL wrote the data as orjson would (schema/compiler/)
            return Response(
                b'{"data":' + data.encode() + b"}",
                status_code=200,
                media_type=f"{media}; charset=utf-8",
            )
        result = execute(
            self.schema,
            document,
            variable_values=variables,
            operation_name=operation_name,
            context_value=context,
        )
        if not isinstance(result, ExecutionResult):
            result = await result
        payload: dict[str, Any] = {}
        if result.errors:
            payload["errors"] = [format_error(e, self.timeout_ms) for e in result.errors]
        payload["data"] = result.data
        status = 200 if result.data is not None or media == JSON_MEDIA else 400
        codes = {e["extensions"].get("code") for e in payload.get("errors", ())}
        headers = None
        if TIMEOUT in codes:
            status = 504
        elif UNAVAILABLE in codes:
            status, headers = 503, {"Retry-After": str(self.retry_after_s)}
        return self._json(payload, status, media, headers)

    @staticmethod
    async def _run_compiled(database: Any, prepared: Any) -> str:
        """The compiled statement, straight on the driver connection: psycopg prepares a
        statement it has seen five times, and SQLAlchemy has nothing left to do."""

        async def run(raw: Any) -> Any:
            cursor = await raw.execute(prepared.sql, prepared.params)
            return await cursor.fetchone()

        async with database.read.connect() as conn:
            started = time.perf_counter()
            row = await on_driver(conn, run)
            database.slow.check(prepared.sql, time.perf_counter() - started)
        return row[0]

    @staticmethod
    async def credentials(request: Request, engine: Any) -> Credentials:
        """Who is calling: a department's key, or why not. Reads with a bad key are answered
        as for anyone; writes refuse it (and audit the attempt)."""
        header = request.headers.get("authorization")
        if not header:
            return Credentials(problem="missing")
        async with engine.connect() as conn:
            return await keys.authenticate(conn, header, "http")

    def _too_costly(
        self, request: Request, document: Any, operation: OperationDefinitionNode, variables: Any
    ) -> dict | None:
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        cost = estimate_cost(
            self.schema, operation, fragments, variables, self.settings.default_page_size
        )
        request.state.cost = cost  # what the reader's quota is charged (registry/web/quotas.py)
        if cost > self.settings.max_cost:
            return error_body(
                say(
                    "the query's estimated cost {cost} is over the limit of {limit}; ask for "
                    "fewer objects or smaller pages",
                    cost=cost,
                    limit=self.settings.max_cost,
                ),
                "QUERY_TOO_COSTLY",
                cost=cost,
                limit=self.settings.max_cost,
            )
        return None

    @staticmethod
    def _json(payload: Any, status: int, media: str, headers: dict | None = None) -> Response:
        if isinstance(payload, dict) and payload.get("errors"):
            # new dicts: the errors may be a cached document's, shared by every request
            payload = {**payload, "errors": [_shown_error(e) for e in payload["errors"]]}
        body = orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS, default=str)
        return Response(
            body, status_code=status, media_type=f"{media}; charset=utf-8", headers=headers
        )

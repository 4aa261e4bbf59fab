"""The web application. One of the two composition roots: it wires settings, the database
(opened in the lifespan, closed at shutdown), routes, middleware and error handlers,
importing schema/ lazily."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from registry.catalog import get_catalog
from registry.db import Database
from registry.language import Language
from registry.settings import Settings, get_settings
from registry.web import errors, health, observe
from registry.web.cache import StateCache
from registry.web.quotas import Quotas
from registry.web.security import SecurityHeaders, TrustedHosts

STATIC = Path(__file__).parent / "web" / "static"


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()
    get_catalog()  # validate the catalog at start-up: a bad catalog stops the service
    from schema import build_schema
    from schema.http import GraphQLEndpoint

    graphql = GraphQLEndpoint(
        build_schema().graphql_schema,
        settings.api,
        timeout_ms=settings.registry.statement_timeout_ms,
        retry_after_s=settings.ops.retry_after_s,
    )

    database = Database(settings)  # opens no connection until the first request
    figures = observe.DatabaseFigures(database, health.migration_head())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        database.replicas.start()  # health and lag of the read replicas, if any
        watch = observe.watch_worker()  # several workers: each says its memory and CPU
        try:
            yield
        finally:  # after uvicorn has let in-flight requests finish (graceful shutdown)
            if watch is not None:
                watch.cancel()
            await database.aclose()

    middleware = [
        Middleware(SecurityHeaders, api=settings.api),  # on every answer, refusals included
        Middleware(TrustedHosts, api=settings.api),
        Middleware(Language),
        Middleware(Quotas, quotas=settings.quotas),  # after Language: a 429 speaks it
        Middleware(errors.RefuseUnstorable),
    ]
    if settings.api.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.api.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["*"],
            )
        )
    # innermost: a kept answer is one the handlers gave; CORS, quotas, language, security
    # headers and the request id are added around it for each request
    middleware.append(Middleware(StateCache, limit_mb=settings.api.cache_mb))
    from registry.web.catalog_pages import ROUTES as CATALOG_ROUTES
    from registry.web.changes import ROUTES as CHANGE_ROUTES
    from registry.web.documents import ROUTES as DOCUMENT_ROUTES
    from registry.web.downloads import ROUTES as DOWNLOAD_ROUTES
    from registry.web.lists import ROUTES as LIST_ROUTES
    from registry.web.maps import ROUTES as MAP_ROUTES
    from registry.web.open_data import ROUTES as OPEN_DATA_ROUTES
    from registry.web.pages import ROUTES as PAGE_ROUTES
    from registry.web.upload import ROUTES as UPLOAD_ROUTES
    from registry.web.webhooks import ROUTES as WEBHOOK_ROUTES

    routes = [
        Route("/health", health.health),
        Route("/health/live", health.live),
        Route("/health/ready", health.ready),
        Route(
            "/metrics",
            observe.MetricsEndpoint(
                figures, settings.ops.metrics_enabled, settings.ops.metrics_token
            ),
        ),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        *PAGE_ROUTES,
        *LIST_ROUTES,
        *CATALOG_ROUTES,
        *DOWNLOAD_ROUTES,
        *DOCUMENT_ROUTES,
        *MAP_ROUTES,
        *OPEN_DATA_ROUTES,
        *CHANGE_ROUTES,
        *WEBHOOK_ROUTES,
        *UPLOAD_ROUTES,
        Mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static"),
    ]
    # outermost: every answer, the error handlers' included, gets its id, metrics and log
    middleware.insert(
        0,
        Middleware(
            observe.Observe,
            routes=observe.route_templates(routes),
            access_log=settings.ops.access_log,
        ),
    )
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers=errors.HANDLERS,
    )
    app.state.graphql = graphql
    app.state.db = database
    app.state.settings = settings
    app.state.migration_head = figures.head
    return app

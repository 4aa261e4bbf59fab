"""The web application. One of the two composition roots: it wires settings, the database
(opened in the lifespan, closed at shutdown), routes, middleware and error handlers,
importing schema/ lazily."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from registry.catalog import get_catalog
from registry.db import Database
from registry.settings import Settings, get_settings
from registry.web import errors

STATIC = Path(__file__).parent / "web" / "static"


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()
    get_catalog()  # validate the catalog at start-up: a bad catalog stops the service
    from schema import build_schema
    from schema.http import GraphQLEndpoint

    graphql = GraphQLEndpoint(build_schema().graphql_schema, settings.api)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        database = Database(settings)
        app.state.db = database
        app.state.settings = settings
        try:
            yield
        finally:
            await database.aclose()

    middleware = [Middleware(errors.RefuseUnstorable)]
    if settings.api.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.api.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["*"],
            )
        )
    from registry.web.maps import ROUTES as MAP_ROUTES
    from registry.web.open_data import ROUTES as OPEN_DATA_ROUTES

    routes = [
        Route("/health", health),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        *MAP_ROUTES,
        *OPEN_DATA_ROUTES,
        Mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers=errors.HANDLERS,
    )
    app.state.graphql = graphql
    return app


async def health(request: Request) -> JSONResponse:
    async with request.app.state.db.read.connect() as conn:
        postgis = await conn.scalar(text("SELECT postgis_lib_version()"))
    return JSONResponse({"status": "ok", "postgis": postgis})

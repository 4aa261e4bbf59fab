"""The web application. One of the two composition roots: it wires settings, the database
lifespan, routes and error handlers, importing schema/ lazily."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from registry.catalog import get_catalog
from registry.db import async_engine, async_sessions
from registry.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()
    get_catalog()  # validate the catalog at start-up: a bad catalog stops the service

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = async_engine(settings.database.database_url)
        app.state.engine = engine
        app.state.sessions = async_sessions(engine)
        app.state.settings = settings
        yield
        await engine.dispose()

    return Starlette(routes=[Route("/health", health)], lifespan=lifespan)


async def health(request: Request) -> JSONResponse:
    async with request.app.state.engine.connect() as conn:
        postgis = await conn.scalar(text("SELECT postgis_lib_version()"))
    return JSONResponse({"status": "ok", "postgis": postgis})

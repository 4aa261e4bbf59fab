"""GraphQL tests: real HTTP against `registry serve`, or in-process where the test needs
the app's internals (statement counts, other settings)."""

from __future__ import annotations

import contextlib

import httpx
import pytest

from registry.settings import ApiSettings, Settings
from tests.conftest import GraphQLClient, truncate  # noqa: F401  (shared)


@pytest.fixture(scope="module")
def gql(live_server, demo_data) -> GraphQLClient:
    client = GraphQLClient(f"http://127.0.0.1:{live_server}")
    yield client
    client.http.close()


def settings_with(**api) -> Settings:
    settings = Settings()
    settings.api = ApiSettings(**api)
    return settings


@contextlib.asynccontextmanager
async def in_process(settings: Settings | None = None):
    """The app in this process (lifespan run), with an httpx client on it."""
    from registry.app import create_app

    app = create_app(settings or Settings())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            yield client, app

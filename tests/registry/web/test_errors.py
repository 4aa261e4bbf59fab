"""Every HTTP surface that is not GraphQL answers errors in one shape, and every public read
runs on the read engine, whose statement timeout cuts a slow query off."""

from __future__ import annotations

import threading

import httpx
import pytest
from sqlalchemy import text

from registry.settings import RegistrySettings, Settings
from tests.schema.conftest import in_process

SHAPE = {"code", "description", "status", "problems"}

# (path, expected status): refusals of every kind, on every non-GraphQL surface
REFUSALS = [
    ("/ogc/collections/nope", 404),
    ("/ogc/collections/projects/items?limit=0", 400),
    ("/ogc/collections/projects/items?colour=red", 400),
    ("/ogc/collections/projects/items/2099-360100-48-01-000000", 404),
    ("/tiles/3/100/100.mvt", 404),
    ("/tiles/30/0/0.mvt", 400),
    ("/report?from=yesterday", 400),
    ("/exports/oc4ids.json?project=2099-360100-48-01-000000", 404),
    ("/feeds/disclosures.atom?category=gossip", 400),
    ("/no/such/page", 404),
]


@pytest.fixture(scope="module")
def base(live_server, demo_data):
    return f"http://127.0.0.1:{live_server}"


@pytest.mark.parametrize("path, status", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_every_refusal_has_the_one_error_shape(base, path, status):
    response = httpx.get(base + path, timeout=30)
    body = response.json()
    assert response.status_code == status and set(body) == SHAPE, body
    assert body["status"] == status and body["code"].isupper() and body["description"]
    for problem in body["problems"]:
        assert set(problem) == {"path", "code", "message"}


def test_a_wrong_method_has_the_one_error_shape(base):
    response = httpx.post(base + "/ogc/collections", timeout=30)
    assert response.status_code == 405 and set(response.json()) == SHAPE


PUBLIC_READS = [
    "/report",
    "/exports/oc4ids.json?project=2019-360100-48-01-100000",  # the whole export is a build
    "/feeds/disclosures.atom",
    "/ogc/collections",
    "/ogc/collections/projects/items",
    "/tiles/12/3367/1706.mvt",
]


@pytest.fixture
def locked_tables(demo_data):
    """Every table of the register locked by another transaction: any read of it waits."""
    ready, release = threading.Event(), threading.Event()

    def hold():
        with demo_data.connect() as conn, conn.begin():
            conn.execute(
                text(
                    "LOCK TABLE projects, sites, disclosures, departments, "
                    "responsibilities IN ACCESS EXCLUSIVE MODE"
                )
            )
            ready.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    ready.wait(10)
    yield
    release.set()
    holder.join()


@pytest.mark.usefixtures("locked_tables")
async def test_a_slow_public_read_is_cut_off_by_the_statement_timeout():
    settings = Settings()
    settings.registry = RegistrySettings(statement_timeout_ms=300)
    async with in_process(settings) as (client, app):
        for path in PUBLIC_READS:
            response = await client.get(path)
            assert response.status_code == 504, (path, response.text[:200])
            assert response.json()["code"] == "STATEMENT_TIMEOUT", path
        query = "{ projects(first: 1) { nodes { code } } complianceScoreboard { published } }"
        for compiled in ("{ projects(first: 1) { nodes { code } } }", query):
            response = await client.post("/graphql", json={"query": compiled})
            codes = {e["extensions"]["code"] for e in response.json()["errors"]}
            assert response.status_code == 504 and codes == {"STATEMENT_TIMEOUT"}, response.text


async def test_the_write_engine_has_a_lock_timeout_and_the_read_engine_a_statement_timeout():
    settings = Settings()
    settings.registry = RegistrySettings(statement_timeout_ms=1234, lock_timeout_ms=4321)
    async with in_process(settings) as (client, app):
        database = app.state.db
        async with database.read.connect() as conn:
            assert await conn.scalar(text("SHOW statement_timeout")) == "1234ms"
        with database.write.connect() as conn:
            assert conn.scalar(text("SHOW lock_timeout")) == "4321ms"
    assert database._read is None and database._write is None  # closed with the app

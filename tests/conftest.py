"""Tests run against a real PostgreSQL + PostGIS (started by `make test` via
scripts/postgis.sh). Each test session gets its own throwaway database, created from
template1 (which carries PostGIS) and migrated with the shipped Alembic migrations."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from registry.db import Database
from registry.migrations import upgrade
from registry.publishing import Actor
from registry.settings import get_settings

# Quotas count per client address, and every test speaks from 127.0.0.1: they are off
# unless a test turns them on (tests/registry/web/test_quotas.py).
os.environ.setdefault("REGISTRY_QUOTA_ENABLED", "false")
# what commands and servers keep on disk goes to this run's own folders, never the home
_KEPT = tempfile.mkdtemp(prefix="registry-tests-")
os.environ.setdefault("REGISTRY_DOCUMENT_DIR", os.path.join(_KEPT, "documents"))
os.environ.setdefault("REGISTRY_OPEN_DATA_SNAPSHOT_DIR", os.path.join(_KEPT, "snapshots"))

SERVER_URL = os.environ.get(
    "TEST_DATABASE_URL", "postgresql+psycopg://registry:registry@127.0.0.1:5432/registry_test"
)
TABLES = (
    "link_checks",
    "links",
    "document_findings",
    "kept_documents",
    "webhook_deliveries",
    "webhook_subscriptions",
    "procrastinate_jobs",
    "quota_counts",
    "reader_keys",
    "change_events",
    "change_commits",
    "audit_log",
    "api_keys",
    "declarations",
    "scope_designations",
    "list_entries",
    "project_lists",
    "disclosures",
    "responsibilities",
    "sites",
    "projects",
    "departments",
)


def create_database(name: str) -> str:
    admin = create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template1'))
    admin.dispose()
    return make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(name: str) -> None:
    """Drop a test database, whoever is connected. An autovacuum worker (started after a
    migration rewrote a table) runs as the superuser, whom FORCE may not terminate: wait
    for it to finish and try again."""
    admin = create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    try:
        for attempt in range(60):
            try:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                return
            except ProgrammingError as exc:
                if "pg_signal_backend" not in str(exc) or attempt == 59:
                    raise
                time.sleep(0.5)
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    name = f"registry_t_{uuid.uuid4().hex[:10]}"
    url = create_database(name)
    upgrade(url)
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    yield url
    if previous is None:
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = previous
    get_settings.cache_clear()
    drop_database(name)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    database = Database(url=database_url)
    yield database.write
    database.close()


def truncate(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))


@pytest.fixture
def clean_engine(engine: Engine) -> Engine:
    """The engine, with every table emptied first."""
    truncate(engine)
    return engine


@pytest.fixture
def session(clean_engine: Engine) -> Iterator[Session]:
    """A session on an empty database; tests commit what they want kept."""
    with Session(clean_engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def system() -> Actor:
    return Actor(path="test:system")


def read(engine: Engine, work):
    """Run ``await work(conn)`` on the read engine of a Database on ``engine``'s database."""
    import asyncio

    async def run():
        database = Database(url=engine.url.render_as_string(hide_password=False))
        try:
            async with database.read.connect() as conn:
                return await work(conn)
        finally:
            await database.aclose()

    return asyncio.run(run())


def count(engine: Engine, table: str, where: str = "true") -> int:
    with engine.connect() as conn:
        return conn.scalar(text(f"SELECT count(*) FROM {table} WHERE {where}"))


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(database_url: str, log_path, **env: str) -> Iterator[str]:
    """`registry serve` in a real process on IPv4 and IPv6 with extra settings; yields its
    port as text."""
    with server_process(database_url, log_path, **env) as (port, _):
        yield port


@contextlib.contextmanager
def server_process(database_url: str, log_path, **env: str) -> Iterator[tuple[str, Any]]:
    """The same, yielding the port and the process (to signal it)."""
    import subprocess
    import sys
    import time

    port = free_port()
    environment = {**os.environ, "DATABASE_URL": database_url, **env}
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "registry.cli", "serve", "--host", "127.0.0.1",
             "--host", "::1", "--port", str(port)],
            env=environment, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        try:
            yield str(port), proc
        finally:
            proc.terminate()
            proc.wait(timeout=30)


@pytest.fixture(scope="session")
def live_server(database_url, tmp_path_factory) -> Iterator[str]:
    """`registry serve` in a real process on IPv4 and IPv6; yields its port as text."""
    with serving(database_url, tmp_path_factory.mktemp("server") / "server.log") as port:
        yield port


@pytest.fixture(scope="session")
def resolver_server(database_url, tmp_path_factory) -> Iterator[str]:
    """The same, answering every query through the graphene resolvers (no compiled SQL):
    the reference the compiled path is held to."""
    log = tmp_path_factory.mktemp("resolvers") / "server.log"
    with serving(database_url, log, REGISTRY_API_COMPILE_QUERIES="false") as port:
        yield port


@pytest.fixture(scope="module")
def demo_data(engine):
    """The demo data set, loaded once per module through the loaders; emptied afterwards."""
    from loaders.demo import load_demo

    truncate(engine)
    with Session(engine) as session, session.begin():
        load_demo(session)
    yield engine
    truncate(engine)


@pytest.fixture(scope="module")
def keys(demo_data) -> dict[str, str]:
    """Keys for 发改委, 建设局, an administrator (行政审批局), and a revoked one."""
    from sqlalchemy.orm import Session

    from registry.publishing.keys import create_key, revoke_key

    with Session(demo_data) as session, session.begin():
        made = {
            name: create_key(session, code, admin=admin)[1]
            for name, code, admin in (
                ("fgw", "NCFGW", False),
                ("jsj", "NCJSJ", False),
                ("admin", "NCXZSP", True),
                ("revoked", "NCFGW", False),
            )
        }
        revoke_key(session, made["revoked"].split("_")[1])
    return made


class GraphQLClient:
    def __init__(self, base: str) -> None:
        self.url = f"{base}/graphql"
        self.http = httpx.Client(timeout=30)

    def post(self, query: str, variables: dict | None = None, **kwargs) -> httpx.Response:
        return self.http.post(self.url, json={"query": query, "variables": variables}, **kwargs)

    def data(self, query: str, variables: dict | None = None) -> dict:
        response = self.post(query, variables)
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, body
        return body["data"]

    def errors(self, query: str, variables: dict | None = None) -> list[dict]:
        body = self.post(query, variables).json()
        assert body.get("errors"), body
        return body["errors"]


# Generated tests: a few hundred cases in `make test`, thousands in `make fuzz`.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("default", max_examples=150, deadline=None)
_hypothesis_settings.register_profile("fuzz", max_examples=3000, deadline=None)
_hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def registry_session(session, system):
    """Departments and one project (青山湖区, responsibilities from the catalog), committed:
    what the loader, upload and story tests start from."""
    from registry import publishing as pub
    from tests.registry.factories import seeded

    seeded(session, system)
    pub.upsert_department(
        session,
        system,
        pub.DepartmentInput(
            "NRB",
            "自然资源局(测试)",
            "government_department",
            region_code="360100",
            roles=["natural_resources"],
        ),
    )
    session.commit()
    return session


@pytest.fixture(scope="module")
def checked(demo_data, database_url, tmp_path_factory):
    """Every case of tests/linkserver.py linked from a public demo item (alternately over
    IPv4 and IPv6), checked on three days; the site's counts and the store kept for tests."""
    from registry.documents.store import DirectoryStore
    from tests import linkserver
    from tests.linkserver import CASES, DAY, T0, link_documents, run_check

    store = DirectoryStore(tmp_path_factory.mktemp("documents"))
    with linkserver.serving() as (site, four, six):
        bases = {}
        documents = []
        for index, (path, (title, _, _)) in enumerate(CASES.items()):
            base = (four, six)[index % 2]
            bases[path] = base
            documents.append([{"title": title, "url": base + path}])
        link_documents(demo_data, documents)
        runs = [run_check(database_url, store, now=T0 + n * DAY) for n in range(3)]
        with demo_data.connect() as conn:
            links = {r.url: r for r in conn.execute(text(
                "SELECT l.*, k.scan, k.size AS kept_size FROM links l "
                "LEFT JOIN kept_documents k ON k.sha256 = l.kept_sha256"))}  # fmt: skip
        yield {"site": site, "bases": bases, "runs": runs, "links": links, "store": store}

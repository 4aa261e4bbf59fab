"""A backup restores to the same register: `pg_dump` of a database with the demo data,
corrections and withdrawals, `pg_restore` into a fresh database (the commands of
docs/operations.md), then the API on each answers identically: GraphQL (generated queries,
the scoreboard), OGC API, tiles, the OC4IDS export, the feed and the report. Writing goes
on after the restore (sequences and keys came along)."""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from bench.soak import tile_of
from loaders.demo import load_demo
from registry.migrations import upgrade
from registry.publishing import Actor
from registry.publishing.keys import create_key
from tests.conftest import create_database, drop_database, serving
from tests.registry.factories import give_history
from tests.schema.compiler.test_differential import query
from tests.stories.chaos.conftest import dsn

ACTOR = Actor(path="test:backup")
POSTGIS = re.compile(r" EXTENSION | spatial_ref_sys ")
NOW = re.compile(rb'"(publishedDate|timeStamp)":\s*"[^"]*"')  # when the answer was made
SCOREBOARD = (
    "{ complianceScoreboard { department { code name } category published onTime late "
    "overdue noDeadline onTimeRate workingDaysLate } }"
)
PATHS = [
    "/ogc/collections",
    "/ogc/collections/projects",
    "/ogc/collections/projects/items?limit=100",
    "/ogc/collections/projects/items?limit=20&offset=20&bbox=115.8,28.6,116.0,28.8",
    "/ogc/collections/projects/items/2019-360100-48-01-100000",
    "/exports/oc4ids.json",
    "/exports/oc4ids.json?asOf=2021-01-01T00:00:00Z",
    "/feeds/disclosures.atom",
    "/report",
    "/report?asOf=2022-06-30T00:00:00Z",
]


@pytest.fixture(scope="module")
def original():
    name = f"registry_b_{uuid.uuid4().hex[:10]}"
    url = create_database(name)
    try:
        yield url, demo_with_history(url)
    finally:
        drop_database(name)


def demo_with_history(url: str) -> str:
    """The demo data, two corrections and a withdrawal; returns a department's key."""
    upgrade(url)
    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        load_demo(session)
        give_history(session, ACTOR)
        _, key = create_key(session, "NCFGW", label="before the backup")
    engine.dispose()
    return key


@pytest.fixture(scope="module")
def restored(original, tmp_path_factory):
    url, _ = original
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.fail("pg_dump and pg_restore are needed (postgresql-client)")
    dump = tmp_path_factory.mktemp("backup") / "registry.dump"
    subprocess.run(
        ["pg_dump", "--format=custom", f"--file={dump}", f"--dbname={dsn(url)}"],
        check=True,
        capture_output=True,
    )
    name = f"registry_r_{uuid.uuid4().hex[:10]}"
    copy = create_database(name)  # from template1, which carries PostGIS
    try:
        yield restore(dump, copy)
    finally:
        drop_database(name)


def restore(dump, copy: str) -> str:
    # as docs/operations.md: everything but PostGIS's own objects (the new database has them)
    listing = subprocess.run(
        ["pg_restore", "--list", str(dump)], check=True, capture_output=True, text=True
    ).stdout
    entries = dump.with_suffix(".list")
    entries.write_text(
        "".join(line for line in listing.splitlines(True) if not POSTGIS.search(line))
    )
    done = subprocess.run(
        ["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", f"--use-list={entries}",
         f"--dbname={dsn(copy)}", str(dump)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return copy


@pytest.fixture(scope="module")
def servers(original, restored, tmp_path_factory):
    logs = tmp_path_factory.mktemp("servers")
    with (
        serving(original[0], logs / "original.log") as before,
        serving(restored, logs / "restored.log") as after,
    ):
        clients = {
            "original": (httpx.Client(base_url=f"http://127.0.0.1:{before}", timeout=60), before),
            "restored": (httpx.Client(base_url=f"http://127.0.0.1:{after}", timeout=60), after),
        }
        yield clients
        for client, _ in clients.values():
            client.close()


def same(servers, method: str, path: str, **kwargs) -> bytes:
    """Both answers, which must be equal once each server's own address is taken out."""
    answers = {}
    for name, (client, port) in servers.items():
        response = client.request(method, path, **kwargs)
        assert response.status_code in (200, 204), (name, path, response.text[:500])
        answer = response.content.replace(f"127.0.0.1:{port}".encode(), b"HOST")
        answers[name] = NOW.sub(rb'"\1":"NOW"', answer)
    assert answers["original"] == answers["restored"], path
    return answers["original"]


@pytest.mark.parametrize("path", PATHS)
def test_http_answers_are_the_same(servers, path):
    assert same(servers, "GET", path)


@pytest.mark.parametrize("z", [8, 11, 14])
def test_tiles_are_the_same(servers, original, z):
    """Tiles over the first demo site, at three zooms (points, then shapes)."""
    engine = create_engine(original[0])
    with engine.connect() as conn:
        lon, lat = conn.execute(
            text("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(geom) c FROM sites LIMIT 1) s")
        ).one()
    engine.dispose()
    x, y = tile_of(lon, lat, z)
    assert len(same(servers, "GET", f"/tiles/{z}/{x}/{y}.mvt")) > 0


def test_scoreboard_is_the_same(servers):
    body = same(servers, "POST", "/graphql", json={"query": SCOREBOARD})
    assert b'"published"' in body and b'"errors"' not in body


@pytest.mark.generated
def test_generated_queries_answer_the_same(servers):
    @settings(deadline=None, suppress_health_check=list(HealthCheck), max_examples=60)
    @given(text=query())
    def check(text):
        same(servers, "POST", "/graphql", json={"query": text})

    check()


def test_writing_goes_on_after_a_restore(original, restored, servers):
    """The sequences came along (a new row does not collide) and so did the keys."""
    _, key = original
    client, _ = servers["restored"]
    publish = (
        "mutation($input: DisclosureInput!) { publishDisclosure(input: $input) "
        "{ action userErrors { code message } } }"
    )
    variables = {
        "input": {
            "projectCode": "2019-360100-48-01-100000",
            "item": "gov_preliminary_design_approval",
            "formedOn": "2019-08-20",
            "ref": "after-restore",
            "elements": {
                "approvalResult": "同意",
                "approvalDate": "2019-08-20",
                "approvalDocNo": "洪发改投资〔2019〕999号",
                "approvingAuthority": "南昌市发展和改革委员会",
            },
        }
    }
    response = client.post(
        "/graphql",
        json={"query": publish, "variables": variables},
        headers={"Authorization": f"Bearer {key}"},
    )
    result = response.json()["data"]["publishDisclosure"]
    assert result == {"action": "added", "userErrors": []}, response.text

"""Reads from a real streaming replica: a hot standby of the chaos cluster, made here with
`pg_basebackup` into a cluster of its own (port 5440), started and stopped with
`pg_ctlcluster`.

- public reads are answered from the replica (its pg_stat_activity shows the server's
  replica connections), keyed reads and writes from the primary;
- a write is visible on the primary at once and on the replica after catch-up;
- with the replica stopped the API keeps answering (from the primary), /health/ready says
  the replica is not fit; started again, it is used again without a restart.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import serving
from tests.stories.chaos.conftest import Cluster, as_root, dsn, wait_until

pytestmark = pytest.mark.chaos

REPLICA_PORT = int(os.environ.get("REGISTRY_REPLICA_PORT", "5440"))
REPLICA_NAME = "replica"
PUBLIC = '{ project(code: "%s") { name } }'
RESOLVED = '{ project(code: "CODE") { name approvalResults { history { revision } } } }'


@dataclass
class Standby:
    version: str
    port: int

    def ctl(self, action: str, *options: str) -> None:
        subprocess.run(
            as_root("pg_ctlcluster", *options, self.version, REPLICA_NAME, action),
            check=True,
            capture_output=True,
        )

    def url(self, primary_url: str) -> str:
        return make_url(primary_url).set(port=self.port).render_as_string(hide_password=False)


def _run(*command: str) -> None:
    subprocess.run(as_root(*command), check=True, capture_output=True)


@pytest.fixture(scope="module")
def standby(cluster: Cluster, chaos_url: str) -> Iterator[Standby]:
    """A hot standby of the chaos cluster, taken after the module's database exists."""
    version = cluster.version
    listing = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout
    if any(line.split()[:2] == [version, REPLICA_NAME] for line in listing.splitlines()):
        _run("pg_dropcluster", "--stop", version, REPLICA_NAME)
    _run("pg_createcluster", version, REPLICA_NAME, "--port", str(REPLICA_PORT))
    data = Path(f"/var/lib/postgresql/{version}/{REPLICA_NAME}")
    _run("bash", "-c", f"rm -rf {data}/*")
    _run("runuser", "-u", "postgres", "--", "pg_basebackup", "-h", "/var/run/postgresql",
         "-p", str(cluster.port), "-D", str(data), "-R", "-X", "stream", "-c", "fast")  # fmt: skip
    _run("sed", "-i", "s/^#\\?hot_standby = .*/hot_standby = on/",
         f"/etc/postgresql/{version}/{REPLICA_NAME}/postgresql.conf")  # fmt: skip
    standby = Standby(version, REPLICA_PORT)
    standby.ctl("start")
    replica_url = standby.url(chaos_url)
    wait_until(lambda: _answers(replica_url), 60, 0.5)
    try:
        yield standby
    finally:
        _run("pg_dropcluster", "--stop", version, REPLICA_NAME)
        shutil.rmtree(data, ignore_errors=True)


def _answers(url: str) -> bool:
    try:
        with psycopg.connect(dsn(url), connect_timeout=2) as conn:
            return bool(conn.execute("SELECT pg_is_in_recovery()").fetchone()[0])
    except psycopg.OperationalError:
        return False


def _server_connections(url: str, application: str) -> int:
    with psycopg.connect(dsn(url), autocommit=True) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
            "AND datname = current_database()",
            (application,),
        ).fetchone()[0]


def _fit(base: str) -> list[bool]:
    body = httpx.get(f"{base}/health/ready", timeout=10).json()
    return [replica["fit"] for replica in body.get("replicas", [])]


def _admin_key(url: str) -> str:
    from sqlalchemy.orm import Session

    from registry.db import Database
    from registry.publishing.keys import create_key

    database = Database(url=url)
    try:
        with Session(database.write) as session, session.begin():
            return create_key(session, "NCFGW", admin=True)[1]
    finally:
        database.close()


def test_reads_go_to_the_replica_writes_to_the_primary_and_a_stopped_replica_is_skipped(
    standby: Standby, chaos_url: str, tmp_path
):
    replica_url = standby.url(chaos_url)
    with psycopg.connect(dsn(chaos_url)) as conn:
        code, name = conn.execute("SELECT code, name FROM projects ORDER BY id LIMIT 1").fetchone()
    key = _admin_key(chaos_url)
    env = {"REGISTRY_READ_REPLICA_URLS": replica_url, "REGISTRY_REPLICA_CHECK_S": "0.3"}
    with serving(chaos_url, tmp_path / "server.log", **env) as port:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: _fit(base) == [True], 20, 0.2)
        # public reads: from the replica
        for _ in range(10):
            answer = httpx.post(f"{base}/graphql", json={"query": PUBLIC % code}, timeout=10)
            assert answer.json() == {"data": {"project": {"name": name}}}
        assert _server_connections(replica_url, "registry-replica") >= 1
        # a write through the API: its answer, and keyed reads, come from the primary at once
        renamed = f"{name}（更名）"
        mutation = (
            "mutation($code: String!, $name: String!) { "
            "upsertProject(input: {code: $code, name: $name}) { project { name } } }"
        )
        headers = {"Authorization": f"Bearer {key}"}
        body = {"query": mutation, "variables": {"code": code, "name": renamed}}
        written = httpx.post(f"{base}/graphql", json=body, headers=headers)
        assert written.json()["data"]["upsertProject"]["project"]["name"] == renamed, written.text
        keyed = httpx.post(f"{base}/graphql", json={"query": PUBLIC % code}, headers=headers)
        assert keyed.json()["data"]["project"]["name"] == renamed
        # and public reads, from the replica, once it has replayed the write
        caught_up = wait_until(
            lambda: (
                httpx.post(f"{base}/graphql", json={"query": PUBLIC % code}).json()["data"][
                    "project"
                ]["name"]
                == renamed
            ),
            10,
            0.05,
        )
        assert caught_up < 10
        # the replica stopped: the API keeps answering, from the primary
        standby.ctl("stop", "-m", "fast")
        wait_until(lambda: _fit(base) == [False], 10, 0.2)
        statuses = [
            httpx.post(f"{base}/graphql", json={"query": PUBLIC % code}, timeout=10).status_code
            for _ in range(20)
        ]
        assert statuses == [200] * 20
        ready = httpx.get(f"{base}/health/ready", timeout=10)
        assert ready.status_code == 200 and ready.json()["replicas"][0]["problem"]
        # started again: used again, without restarting the API
        standby.ctl("start")
        wait_until(lambda: _fit(base) == [True], 30, 0.2)
        for _ in range(10):
            httpx.post(f"{base}/graphql", json={"query": PUBLIC % code}, timeout=10)
        assert _server_connections(replica_url, "registry-replica") >= 1
        metrics = httpx.get(f"{base}/metrics", timeout=10).text
        assert "registry_replica_fit{" in metrics and "registry_replica_lag_seconds{" in metrics


def test_a_replica_that_fails_between_checks_costs_no_reader_an_error(
    standby: Standby, chaos_url: str, tmp_path
):
    """With a check every five minutes, the standby stopped under live reads: each read
    that meets it is answered from the primary in the same request, and the replica is
    marked unfit at once (REST, GraphQL compiled and resolved, pages)."""
    replica_url = standby.url(chaos_url)
    with psycopg.connect(dsn(chaos_url)) as conn:
        code, name = conn.execute("SELECT code, name FROM projects ORDER BY id LIMIT 1").fetchone()
    env = {"REGISTRY_READ_REPLICA_URLS": replica_url, "REGISTRY_REPLICA_CHECK_S": "300"}
    reads = [
        ("POST", "/graphql", {"query": PUBLIC % code}),  # compiled
        ("POST", "/graphql", {"query": RESOLVED.replace("CODE", code)}),  # resolvers
        ("GET", "/ogc/collections/projects/items?limit=5", None),
        ("GET", f"/projects/{code}", None),
        ("GET", "/feeds/disclosures.atom", None),
    ]
    with serving(chaos_url, tmp_path / "server.log", **env) as port:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: _fit(base) == [True], 20, 0.2)
        for method, path, body in reads:  # warm: the pool holds replica connections
            assert httpx.request(method, base + path, json=body, timeout=10).status_code == 200
        assert _server_connections(replica_url, "registry-replica") >= 1
        standby.ctl("stop", "-m", "fast")
        try:
            answers = [
                httpx.request(method, base + path, json=body, timeout=30)
                for _ in range(8)
                for method, path, body in reads
            ]
            assert [a.status_code for a in answers] == [200] * len(answers), [
                (a.status_code, a.text[:200]) for a in answers if a.status_code != 200
            ]
            assert answers[0].json() == {"data": {"project": {"name": name}}}
            replica = httpx.get(f"{base}/health/ready", timeout=10).json()["replicas"][0]
            assert replica["fit"] is False and replica["problem"].startswith("failed a read")
        finally:
            standby.ctl("start")

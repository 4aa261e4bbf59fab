"""A PostgreSQL cluster of the fault tests' own (`make chaos-database`, port 5439): they
stop it, start it and kill its connections, which no other test must feel.

Each module gets a fresh database on it with the demo departments and a generated register
(bench/generate.py), and a helper to drive the cluster with `pg_ctlcluster`."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[3]
CHAOS_URL = os.environ.get(
    "CHAOS_DATABASE_URL", "postgresql+psycopg://registry:registry@127.0.0.1:5439/registry_chaos"
)


def dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def as_root(*command: str) -> list[str]:
    return list(command) if os.geteuid() == 0 else ["sudo", "-n", *command]


@dataclass
class Cluster:
    """The chaos cluster: its Debian name (version, name) and a database URL on it."""

    version: str
    name: str
    port: int
    url: str

    def ctl(self, action: str, *options: str) -> None:
        subprocess.run(
            as_root("pg_ctlcluster", *options, self.version, self.name, action),
            check=True,
            capture_output=True,
        )

    def stop(self) -> None:
        self.ctl("stop", "-m", "fast")  # what a restart or a failover does to clients

    def start(self) -> None:
        self.ctl("start")  # returns once the cluster accepts connections

    def is_up(self) -> bool:
        try:
            psycopg.connect(dsn(self.url), connect_timeout=2).close()
            return True
        except psycopg.OperationalError:
            return False

    def database(self, name: str) -> str:
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(dsn(self.url), autocommit=True)


def find_cluster(port: int) -> tuple[str, str]:
    listing = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout
    for line in listing.splitlines():
        version, name, cluster_port, *_ = line.split()
        if int(cluster_port) == port:
            return version, name
    raise LookupError(port)


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    port = make_url(CHAOS_URL).port or 5439
    try:
        version, name = find_cluster(port)
    except LookupError:  # not made yet: make it as `make chaos-database` would
        environment = {
            **os.environ,
            "REGISTRY_DB_CLUSTER": "chaos",
            "REGISTRY_DB_PORT": str(port),
            "REGISTRY_DB_NAME": make_url(CHAOS_URL).database or "registry_chaos",
        }
        subprocess.run(["bash", str(ROOT / "scripts" / "postgis.sh")], env=environment, check=True)
        version, name = find_cluster(port)
    chaos = Cluster(version, name, port, CHAOS_URL)
    if not chaos.is_up():
        chaos.start()
    yield chaos
    if not chaos.is_up():
        chaos.start()  # leave it running for the next test run


@pytest.fixture(scope="module")
def chaos_url(cluster: Cluster) -> Iterator[str]:
    """A fresh database on the chaos cluster with 2,000 generated projects and 20,000
    disclosures."""
    from bench.generate import generate

    name = f"registry_c_{uuid.uuid4().hex[:10]}"
    with cluster.admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template1')
    url = cluster.database(name)
    try:
        generate(url, 2000, 20000)
        yield url
    finally:
        if not cluster.is_up():
            cluster.start()
        with cluster.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wait_until(predicate, timeout: float, step: float = 0.05) -> float:
    """Seconds until ``predicate()`` held; fails after ``timeout``."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"still not true after {timeout} s")
        time.sleep(step)
    return time.monotonic() - started

"""Soak: many clients for minutes over a mixed workload; errors, latency and memory.

    python -m bench.soak [--database registry_bench] [--clients 16] [--seconds 300]

Runs on a copy of the benchmark database (``CREATE DATABASE … TEMPLATE``), so the
benchmark data stay as generated. The server is a real ``registry serve`` process with its
access log on (as deployed). Each client loops over a weighted mix: nested GraphQL pages,
bbox and near queries, single projects, OGC items, vector tiles, the Atom feed and
publishing through the ``publishDisclosure`` mutation with a department's key; halfway
through, one ``registry load`` of a disclosures file runs beside them.

Reported: requests and errors (any answer that is not 200/204, or a GraphQL error, or a
refused mutation), p50/p95/p99 per kind, and the server's RSS sampled over time. It fails
(exit 1) on any error or when RSS grows by more than ``--rss-growth-mb`` between the end
of the first fifth of the run and the end.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.engine import make_url

from bench.generate import psycopg_url
from bench.harness import free_port
from bench.load_bench import project_codes, write_file

NESTED = (
    "query Nested($first: Int!, $after: String) { projects(first: $first, after: $after) { "
    "totalCount pageInfo { endCursor } nodes { code name status sites { name geometry } "
    "responsibilities { category department { name } } "
    "approvalResults { title formedOn publishedAt publisher { name } } "
    "bidding { title formedOn winningBidder } } } }"
)
BBOX = (
    "query Bbox($bbox: [Float!]!) { projects(bbox: $bbox, first: 50) "
    "{ totalCount nodes { code name geometry } } }"
)
NEAR = (
    "query Near($lon: Float!, $lat: Float!) { projects(near: {lon: $lon, lat: $lat, "
    "meters: 2000}, first: 50) { totalCount nodes { code name distance } } }"
)
SINGLE = (
    "query One($code: String!) { project(code: $code) { code name sites { kind geometry } "
    "approvalResults { title approvalDocNo approvalDate } } }"
)
PUBLISH = (
    "mutation Publish($input: DisclosureInput!) { publishDisclosure(input: $input) "
    "{ action userErrors { path code message } } }"
)
CENTRE = (115.9, 28.68)

# kind: weight
MIX = {
    "nested": 3,
    "bbox": 2,
    "near": 2,
    "single": 3,
    "items": 2,
    "tile": 4,
    "feed": 1,
    "publish": 1,
}


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    rss_mb: list[tuple[float, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            if error:
                self.errors.append(f"{kind}: {error}"[:300])


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


class Client:
    """One simulated user: its own HTTP connection, its own random stream."""

    def __init__(self, base: str, key: str, codes: list[str], seed: int, counter) -> None:
        self.base, self.key, self.codes = base, key, codes
        self.http = httpx.Client(base_url=base, timeout=60)
        self.rng = random.Random(seed)
        self.counter = counter
        self.kinds = list(MIX)
        self.weights = list(MIX.values())

    def one(self) -> tuple[str, str | None]:
        kind = self.rng.choices(self.kinds, self.weights)[0]
        return kind, getattr(self, kind)()

    def _graphql(self, query: str, variables: dict, headers: dict | None = None) -> str | None:
        response = self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        if response.status_code != 200:
            return f"{response.status_code} {response.text[:200]}"
        body = response.json()
        if body.get("errors"):
            return json.dumps(body["errors"], ensure_ascii=False)[:200]
        return None

    def _get(self, path: str) -> str | None:
        response = self.http.get(path)
        if response.status_code not in (200, 204):
            return f"{response.status_code} {response.text[:200]}"
        return None

    def nested(self) -> str | None:
        return self._graphql(NESTED, {"first": self.rng.choice([10, 20, 50])})

    def bbox(self) -> str | None:
        lon = CENTRE[0] + self.rng.uniform(-0.2, 0.2)
        lat = CENTRE[1] + self.rng.uniform(-0.2, 0.2)
        size = self.rng.choice([0.01, 0.05, 0.1])
        return self._graphql(BBOX, {"bbox": [lon, lat, lon + size, lat + size]})

    def near(self) -> str | None:
        lon = CENTRE[0] + self.rng.uniform(-0.2, 0.2)
        lat = CENTRE[1] + self.rng.uniform(-0.2, 0.2)
        return self._graphql(NEAR, {"lon": lon, "lat": lat})

    def single(self) -> str | None:
        return self._graphql(SINGLE, {"code": self.rng.choice(self.codes)})

    def items(self) -> str | None:
        offset = self.rng.randrange(0, 5000, 100)
        return self._get(f"/ogc/collections/projects/items?limit=100&offset={offset}")

    def tile(self) -> str | None:
        z = self.rng.choice([10, 12, 14])
        x, y = tile_of(
            CENTRE[0] + self.rng.uniform(-0.15, 0.15), CENTRE[1] + self.rng.uniform(-0.15, 0.15), z
        )
        return self._get(f"/tiles/{z}/{x}/{y}.mvt")

    def feed(self) -> str | None:
        return self._get("/feeds/disclosures.atom")

    def publish(self) -> str | None:
        n = next(self.counter)
        data = {
            "input": {
                "projectCode": self.rng.choice(self.codes),
                "item": "gov_preliminary_design_approval",
                "formedOn": "2023-03-10",
                "ref": f"soak-{n}",
                "elements": {
                    "approvalResult": "同意",
                    "approvalDate": "2023-03-10",
                    "approvalDocNo": f"洪发改投资〔2023〕{n}号",
                    "approvingAuthority": "南昌市发展和改革委员会",
                },
            }
        }
        headers = {"Authorization": f"Bearer {self.key}"}
        response = self.http.post(
            "/graphql", json={"query": PUBLISH, "variables": data}, headers=headers
        )
        if response.status_code != 200:
            return f"{response.status_code} {response.text[:200]}"
        body = response.json()
        result = (body.get("data") or {}).get("publishDisclosure") or {}
        if body.get("errors") or result.get("userErrors") or result.get("action") != "added":
            return json.dumps(body, ensure_ascii=False)[:200]
        return None


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def copy_database(source: str, copy: str) -> str:
    """A copy of ``source`` named ``copy`` (PostgreSQL's file-level template copy)."""
    maintenance = psycopg_url(make_url(source).set(database="postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        database = make_url(source).database
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (database,),
        )
        conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{database}"')
    return make_url(source).set(database=copy).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    maintenance = psycopg_url(make_url(url).set(database="postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def department_key(url: str, department: str = "NCFGW") -> str:
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from registry.publishing.keys import create_key

    engine = create_engine(url)
    try:
        with Session(engine) as session, session.begin():
            _, key = create_key(session, department, label="soak")
    finally:
        engine.dispose()
    return key


def soak(url: str, clients: int, seconds: float, load_rows: int, log: Path) -> dict:
    codes = project_codes(psycopg_url(url))
    key = department_key(url)
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": url, "REGISTRY_OPS_LOG_FORMAT": "json"}
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "registry.cli", "serve", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning"],
            env=environment, stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    results = Results()
    try:
        for _ in range(150):
            try:
                httpx.get(f"{base}/health/live", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        counter = itertools.count()
        stop = threading.Event()
        users = [Client(base, key, codes, seed, counter) for seed in range(clients)]

        def loop(user: Client) -> None:
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    kind, error = user.one()
                except httpx.HTTPError as exc:
                    kind, error = "transport", repr(exc)
                results.record(kind, time.perf_counter() - started, error)

        def sample() -> None:
            started = time.monotonic()
            while not stop.is_set():
                results.rss_mb.append((round(time.monotonic() - started, 1), rss_mb(server.pid)))
                stop.wait(max(seconds / 60, 0.5))

        threads = [threading.Thread(target=loop, args=(u,)) for u in users]
        threads.append(threading.Thread(target=sample))
        for thread in threads:
            thread.start()
        stop.wait(seconds / 2)
        load = run_loader(url, codes, load_rows)
        stop.wait(max(0.0, seconds / 2 - load["seconds"]))
        stop.set()
        for thread in threads:
            thread.join()
        results.rss_mb.append((round(seconds, 1), rss_mb(server.pid)))
        for user in users:
            user.http.close()
    finally:
        server.terminate()
        server.wait(timeout=60)
    return report(results, clients, seconds, load)


def run_loader(url: str, codes: list[str], rows: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "批复.csv"
        write_file(path, rows, codes)
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "registry.cli", "load", str(path), "--as", "NCFGW"],
            env={**os.environ, "DATABASE_URL": url},
            capture_output=True,
            text=True,
        )
    return {
        "rows": rows,
        "ok": done.returncode == 0,
        "seconds": round(time.monotonic() - started, 2),
        "output": (done.stdout + done.stderr).strip()[-300:],
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(results: Results, clients: int, seconds: float, load: dict) -> dict:
    kinds = {}
    for kind, values in sorted(results.latencies.items()):
        kinds[kind] = {
            "requests": len(values),
            "p50_ms": round(statistics.median(values) * 1000, 1),
            "p95_ms": round(percentile(values, 0.95) * 1000, 1),
            "p99_ms": round(percentile(values, 0.99) * 1000, 1),
        }
    rss = results.rss_mb
    settled = [mb for t, mb in rss if t >= seconds / 5] or [rss[-1][1]]
    requests = sum(k["requests"] for k in kinds.values())
    return {
        "clients": clients,
        "seconds": seconds,
        "requests": requests,
        "requests_per_s": round(requests / seconds, 1),
        "errors": len(results.errors),
        "first_errors": results.errors[:5],
        "kinds": kinds,
        "load": load,
        "rss_mb": {
            "start": round(rss[0][1], 1),
            "after_first_fifth": round(settled[0], 1),
            "max": round(max(mb for _, mb in rss), 1),
            "end": round(rss[-1][1], 1),
            "growth_after_first_fifth": round(rss[-1][1] - settled[0], 1),
        },
        "rss_samples": rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="registry_bench")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--load-rows", type=int, default=20_000)
    parser.add_argument("--rss-growth-mb", type=float, default=64)
    parser.add_argument("--log", type=Path, default=Path("/tmp/registry-soak.log"))
    args = parser.parse_args()
    from registry.settings import get_settings

    base = get_settings().database.database_url
    source = make_url(base).set(database=args.database).render_as_string(hide_password=False)
    url = copy_database(source, f"{args.database}_soak")
    try:
        result = soak(url, args.clients, args.seconds, args.load_rows, args.log)
    finally:
        drop_database(url)
    print(json.dumps({k: v for k, v in result.items() if k != "rss_samples"}, ensure_ascii=False))
    failed = result["errors"] or not result["load"]["ok"]
    if result["rss_mb"]["growth_after_first_fifth"] > args.rss_growth_mb:
        print(f"RSS grew by more than {args.rss_growth_mb} MB", file=sys.stderr)
        failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

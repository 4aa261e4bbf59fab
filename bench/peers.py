"""The registry beside its peers: tipg (OGC API Features) and PostGraphile (GraphQL), on
the same database, same clients, same run.

    python -m bench.peers [--database registry_bench] [--dir /tmp/peers] [--concurrency 8]

Installs tipg (PyPI, into a virtual environment of its own) and PostGraphile 4 (npm) into
``--dir`` on first use, starts both and `registry serve` on the benchmark data of
`python -m bench.generate`, and alternates rounds of each workload between the registry
and its peer:

- items: the registry's `/ogc/collections/projects/items?limit=100` against tipg's items
  of a materialized view that gives each project its sites as one geometry (the shape the
  registry's collection has; tipg cannot join sites itself, so the view is precomputed,
  which favours tipg);
- nested: the registry's nested page (100 projects with sites, responsibilities and every
  category's published items with their publishers) against the same page in
  PostGraphile's schema (connections and foreign-key relations, one alias per category).

Prints JSON lines with each side's median requests per second and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import psycopg

from bench.generate import psycopg_url
from bench.graphql_bench import CATEGORY_FIELDS, NESTED
from bench.harness import api_server, database_url, free_port, graphql_worker, http_worker, rate

VIEW = "peer_project_features"
VIEW_SQL = f"""
CREATE MATERIALIZED VIEW IF NOT EXISTS {VIEW} AS
SELECT p.id, p.code, p.name, p.status, p.project_type, p.region_code,
       ST_Collect(s.geom ORDER BY s.id) AS geom
FROM projects p JOIN sites s ON s.project_id = p.id GROUP BY p.id;
CREATE UNIQUE INDEX IF NOT EXISTS {VIEW}_id ON {VIEW} (id);
CREATE INDEX IF NOT EXISTS {VIEW}_geom ON {VIEW} USING gist (geom);
"""


def _category(alias: str, category: str) -> str:
    return (
        f'{alias}: disclosuresByProjectId(condition: {{category: "{category}", '
        'status: "published", audience: "public"}, orderBy: [FORMED_ON_ASC, ID_ASC]) '
        "{ nodes { title formedOn publishedAt elements "
        "departmentByPublisherId { name } } }"
    )


POSTGRAPHILE_NESTED = (
    "{ allProjects(first: 100, orderBy: CODE_ASC) { totalCount nodes { code name status "
    "sitesByProjectId(orderBy: ID_ASC) { nodes { name geom { geojson } } } "
    "responsibilitiesByProjectId(orderBy: [CATEGORY_ASC, ID_ASC]) "
    "{ nodes { category departmentByDepartmentId { name } } } "
    + " ".join(_category(field, category) for category, (field, _, _) in CATEGORY_FIELDS.items())
    + " } } }"
)


def install(folder: Path) -> None:
    """tipg into its own virtual environment, PostGraphile 4 (with PostGIS support) by npm."""
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "venv" / "bin" / "uvicorn").exists():
        subprocess.run([sys.executable, "-m", "venv", str(folder / "venv")], check=True)
        subprocess.run(
            [str(folder / "venv" / "bin" / "pip"), "install", "-q", "tipg", "uvicorn"],
            check=True,
        )
    if not (folder / "node_modules" / ".bin" / "postgraphile").exists():
        subprocess.run(
            ["npm", "install", "--prefix", str(folder), "--no-audit", "--no-fund",
             "postgraphile@4", "@graphile/postgis@0"],
            check=True,
        )  # fmt: skip


def _wait(url: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        import time

        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


@contextmanager
def _process(command: list[str], env: dict, ready: str):
    proc = subprocess.Popen(
        command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait(ready)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@contextmanager
def tipg(folder: Path, dsn: str):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [str(folder / "venv" / "bin" / "uvicorn"), "tipg.main:app", "--port", str(port),
               "--log-level", "warning"]  # fmt: skip
    env = {"DATABASE_URL": dsn, "TIPG_MAX_FEATURES_PER_QUERY": "10000"}
    with _process(command, env, f"{base}/collections"):
        yield base


@contextmanager
def postgraphile(folder: Path, dsn: str):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [str(folder / "node_modules" / ".bin" / "postgraphile"), "-c", dsn,
               "--schema", "public", "--port", str(port), "--host", "127.0.0.1",
               "--append-plugins", "@graphile/postgis", "--disable-query-log",
               "--disable-graphiql"]  # fmt: skip
    with _process(command, {}, f"{base}/graphql"):
        yield base


def _median_rates(sides: dict, requests: int, concurrency: int, rounds: int) -> dict:
    rates: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, work in sides.items():
            rates[name].append(rate(work, requests, concurrency))
    return {name: statistics.median(values) for name, values in rates.items()}


def run(database: str, folder: Path, concurrency: int, rounds: int) -> list[dict]:
    url = database_url(database)
    dsn = psycopg_url(url)
    install(folder)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(VIEW_SQL)
    results = []
    with ExitStack() as stack:
        registry = stack.enter_context(api_server(url))
        tipg_base = stack.enter_context(tipg(folder, dsn))
        graphile_base = stack.enter_context(postgraphile(folder, dsn))
        workloads = {
            "items, 100 projects": (
                http_worker(f"{registry}/ogc/collections/projects/items?limit=100", concurrency),
                http_worker(f"{tipg_base}/collections/public.{VIEW}/items?limit=100", concurrency),
                "tipg",
                300,
            ),
            "nested page of 100 projects": (
                graphql_worker(registry, NESTED, None, concurrency),
                graphql_worker(graphile_base, POSTGRAPHILE_NESTED, None, concurrency),
                "PostGraphile",
                60,
            ),
        }
        for name, ((ours, a), (theirs, b), peer, requests) in workloads.items():
            rates = _median_rates({"registry": ours, peer: theirs}, requests, concurrency, rounds)
            for client in (*a, *b):
                client.close()
            results.append(
                {
                    "case": name,
                    "registry_req_s": round(rates["registry"], 1),
                    f"{peer}_req_s": round(rates[peer], 1),
                    "ratio": round(rates["registry"] / rates[peer], 2),
                }
            )
            print(json.dumps(results[-1], ensure_ascii=False), flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="registry_bench")
    parser.add_argument("--dir", default="/tmp/peers", type=Path)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    run(args.database, args.dir, args.concurrency, args.rounds)


if __name__ == "__main__":
    main()

"""Before and after: the same requests against two checkouts of the registry, in one run.

    git worktree add /tmp/before <commit>
    python -m bench.ab --before /tmp/before [--after .] [--rounds 4]

Starts `registry serve` from each checkout on the same database (the data of
`python -m bench.generate`) and alternates rounds of each workload between the two, so both
see the same machine; prints the median requests per second of each and their ratio. Use it
to show that a change did not slow a workload down (the raw-SQL benchmarks show where the
registry stands; this one shows what a change did).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from bench.graphql_bench import BBOX_QUERY, NEAR_QUERY, NESTED
from bench.harness import free_port, graphql_worker, http_worker, rate
from registry.settings import get_settings

# name: (kind, target, requests per round)
WORKLOADS = {
    "nested": ("graphql", NESTED, 60),
    "bbox": ("graphql", BBOX_QUERY, 150),
    "near": ("graphql", NEAR_QUERY, 150),
    "items": ("http", "/ogc/collections/projects/items?limit=100", 300),
    "tile12": ("http", "/tiles/12/3367/1706.mvt", 300),
    "tile14": ("http", "/tiles/14/13469/6827.mvt", 300),
    "items_offset": ("http", "/ogc/collections/projects/items?limit=100&offset=4900", 100),
    "feed": ("http", "/feeds/disclosures.atom", 20),
}


def start(checkout: Path, url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "REGISTRY_STATEMENT_TIMEOUT_MS": "60000"}
    command = [
        sys.executable,
        "-m",
        "registry.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    # the checkout's own code: `python -m` puts the working directory first on sys.path
    process = subprocess.Popen(command, cwd=checkout, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            httpx.get(f"{base}/health", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.2)
    return process, base


def one_round(kind: str, base: str, target: str, requests: int, concurrency: int) -> float:
    if kind == "graphql":
        work, clients = graphql_worker(base, target, None, concurrency)
    else:
        work, clients = http_worker(base + target, concurrency)
    try:
        return rate(work, requests, concurrency)
    finally:
        for client in clients:
            client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="checkout of the old code")
    parser.add_argument("--after", type=Path, default=Path("."), help="checkout of the new code")
    parser.add_argument("--database", default="registry_bench")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workload", action="append", choices=sorted(WORKLOADS))
    args = parser.parse_args()
    url = make_url(get_settings().database.database_url).set(database=args.database)
    dsn = url.render_as_string(hide_password=False)
    servers = {
        name: start(path.resolve(), dsn)
        for name, path in (("before", args.before), ("after", args.after))
    }
    try:
        for name in args.workload or list(WORKLOADS):
            kind, target, requests = WORKLOADS[name]
            rates: dict[str, list[float]] = {"before": [], "after": []}
            for _ in range(args.rounds):
                for side, (_, base) in servers.items():
                    rates[side].append(one_round(kind, base, target, requests, args.concurrency))
            before, after = (statistics.median(rates[s]) for s in ("before", "after"))
            print(
                json.dumps(
                    {
                        "workload": name,
                        "before_req_s": round(before, 1),
                        "after_req_s": round(after, 1),
                        "after/before": round(after / before, 3),
                        "rounds": {s: [round(r) for r in v] for s, v in rates.items()},
                    }
                ),
                flush=True,
            )
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()

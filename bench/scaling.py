"""The same workloads through 1 and through 2 server processes (`registry serve
--workers`), alternating, on the benchmark data; prints requests per second and the ratio.

    python -m bench.scaling [--database registry_bench] [--concurrency 8] [--rounds 3]

On one machine the client, the servers and PostgreSQL share its cores, so this shows what
a second process adds there, not what a second machine would.
"""

from __future__ import annotations

import argparse
import json
import statistics

from bench.graphql_bench import BBOX_QUERY, NESTED
from bench.harness import api_server, database_url, graphql_worker, http_worker, rate

WORKLOADS = {
    "nested": ("graphql", NESTED, 60),
    "bbox": ("graphql", BBOX_QUERY, 150),
    "items": ("http", "/ogc/collections/projects/items?limit=100", 300),
    "tile14": ("http", "/tiles/14/13469/6827.mvt", 300),
}


def _work(base: str, kind: str, target: str, concurrency: int):
    if kind == "graphql":
        return graphql_worker(base, target, None, concurrency)
    return http_worker(base + target, concurrency)


def run(database: str, concurrency: int, rounds: int) -> list[dict]:
    url = database_url(database)
    env = {"REGISTRY_STATEMENT_TIMEOUT_MS": "60000"}
    results = []
    with api_server(url, env, workers=1) as one, api_server(url, env, workers=2) as two:
        for name, (kind, target, requests) in WORKLOADS.items():
            rates: dict[int, list[float]] = {1: [], 2: []}
            for _ in range(rounds):
                for workers, base in ((1, one), (2, two)):
                    work, clients = _work(base, kind, target, concurrency)
                    rates[workers].append(rate(work, requests, concurrency))
                    for client in clients:
                        client.close()
            one_s, two_s = statistics.median(rates[1]), statistics.median(rates[2])
            results.append({"case": name, "workers_1_req_s": round(one_s, 1),
                            "workers_2_req_s": round(two_s, 1),
                            "ratio": round(two_s / one_s, 2)})  # fmt: skip
            print(json.dumps(results[-1]), flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="registry_bench")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    run(args.database, args.concurrency, args.rounds)


if __name__ == "__main__":
    main()

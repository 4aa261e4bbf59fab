"""What counting quotas costs a read: the same requests with quotas counted and not.

    python -m bench.quota_bench [--database registry_bench] [--requests 3000]

Two servers on the benchmark register, one counting every request in PostgreSQL (limits set
out of reach, so nothing is refused) and one with REGISTRY_QUOTA_ENABLED=false; a small
OGC page and a small GraphQL query through each, alternately twice, at concurrency 4.
Prints requests per second and the ratio counted / not counted.
"""

from __future__ import annotations

import argparse
import json

from bench.harness import api_server, database_url, graphql_worker, http_worker, rate

QUERY = "{ projects(first: 1) { nodes { code name } } }"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="registry_bench")
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    url = database_url(args.database)
    found: dict[str, list[float]] = {}
    for _ in range(2):
        for name, env in (("counted", {}), ("off", {"REGISTRY_QUOTA_ENABLED": "false"})):
            with api_server(url, env) as base:
                for path, (work, clients) in (
                    ("items", http_worker(f"{base}/ogc/collections/projects/items?limit=1", 4)),
                    ("graphql", graphql_worker(base, QUERY, None, 4)),
                ):
                    found.setdefault(f"{path}_{name}", []).append(rate(work, args.requests, 4))
                    for client in clients:
                        client.close()
    best = {k: max(v) for k, v in found.items()}
    print(json.dumps({**{k: round(v) for k, v in best.items()},
                      "items_ratio": round(best["items_counted"] / best["items_off"], 3),
                      "graphql_ratio": round(best["graphql_counted"] / best["graphql_off"], 3)}))  # fmt: skip


if __name__ == "__main__":
    main()

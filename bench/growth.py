"""How the hot queries' cost grows with the register: the same requests through the API on
two generated databases (e.g. 50,000 and 1,000,000 projects), same run; prints requests
per second on each and how many times slower the larger one is (the bar: at most 2×).

    python -m bench.growth [--small registry_bench] [--large registry_1m] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import json

import psycopg

from bench.generate import psycopg_url
from bench.graphql_bench import BBOX_QUERY, NEAR_QUERY, NESTED
from bench.harness import api_server, database_url, graphql_worker, http_worker, rate

SEARCH = '{ projects(filter: {text: "道路"}, first: 20) { totalCount nodes { code name } } }'
ONE = '{ project(code: "%s") { code name sites { kind } approvalResults { title } } }'
ASOF = '{ project(code: "%s", asOf: "2025-01-01T00:00:00Z") { code approvalResults { title } } }'


def _url(database: str) -> str:
    return database_url(database)


def _cases(url: str) -> dict:
    with psycopg.connect(psycopg_url(url)) as conn:
        code = conn.execute("SELECT code FROM projects ORDER BY id LIMIT 1 OFFSET 777").fetchone()
    return {
        "nested page": ("graphql", NESTED, 40),
        "bbox": ("graphql", BBOX_QUERY, 100),
        "near 2 km": ("graphql", NEAR_QUERY, 100),
        "search 道路": ("graphql", SEARCH, 100),
        "one project": ("graphql", ONE % code[0], 200),
        "OGC items": ("http", "/ogc/collections/projects/items?limit=100", 200),
        "tile z14": ("http", "/tiles/14/13469/6827.mvt", 200),
        "scoreboard": (
            "graphql",
            "{ complianceScoreboard { department { code } published onTime } }",
            4,
        ),
        "project as of 2025-01-01": ("graphql", ASOF % code[0], 100),
    }


def _rates(url: str, concurrency: int) -> dict[str, float]:
    found = {}
    with api_server(url, {"REGISTRY_STATEMENT_TIMEOUT_MS": "60000"}) as base:
        for name, (kind, target, requests) in _cases(url).items():
            work, clients = (
                graphql_worker(base, target, None, concurrency)
                if kind == "graphql"
                else http_worker(base + target, concurrency)
            )
            found[name] = rate(work, requests, concurrency)
            for client in clients:
                client.close()
    return found


def run(small: str, large: str, concurrency: int) -> list[dict]:
    first, second = _rates(_url(small), concurrency), _rates(_url(large), concurrency)
    results = []
    for name, small_rate in first.items():
        results.append({"case": name, f"{small}_req_s": round(small_rate, 1),
                        f"{large}_req_s": round(second[name], 1),
                        "times_slower": round(small_rate / second[name], 2)})  # fmt: skip
        print(json.dumps(results[-1], ensure_ascii=False), flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", default="registry_bench")
    parser.add_argument("--large", default="registry_1m")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    run(args.small, args.large, args.concurrency)


if __name__ == "__main__":
    main()

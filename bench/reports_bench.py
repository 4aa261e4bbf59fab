"""Reports, exports and search on the benchmark data, each beside its baseline.

    python -m bench.reports_bench [--database registry_bench]

Needs the data of `python -m bench.generate`. Prints, as JSON lines:

- the scoreboard (what `registry report compliance`, `complianceScoreboard` and `/report`
  run) on every public disclosure: median seconds of 3 runs (the bar is 1 s);
- the OC4IDS export of every project through HTTP: seconds, megabytes, and the server's
  resident memory before and after (streamed: it must not grow with the package);
- Chinese substring search for two-character queries: the registry's condition (gram
  index, then ILIKE) against the bare ILIKE it replaces, same rows, median milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

import httpx
import psycopg
from sqlalchemy import select
from sqlalchemy.dialects import postgresql

from bench.generate import psycopg_url
from bench.harness import SERVERS, api_server, database_url, rss_mb
from registry.db import Database
from registry.models import Project
from registry.reading import inputs, queries

QUERIES = ("道路", "南昌", "改造", "学校", "桥")


def scoreboard(url: str) -> dict:
    async def timed() -> list[float]:
        database = Database(url=url)
        spent = []
        try:
            async with database.read.connect() as conn:
                for _ in range(4):
                    start = time.perf_counter()
                    await queries.scoreboard(conn)
                    spent.append(time.perf_counter() - start)
        finally:
            await database.aclose()
        return spent[1:]  # the first warms the cache

    return {"case": "scoreboard", "median_s": round(statistics.median(asyncio.run(timed())), 3)}


def export(url: str) -> dict:
    with api_server(url, {"REGISTRY_STATEMENT_TIMEOUT_MS": "60000"}) as base:
        pid = SERVERS[base]
        before = rss_mb(pid)
        peak, size, start = before, 0, time.perf_counter()
        with httpx.stream("GET", f"{base}/exports/oc4ids.json", timeout=600) as response:
            for chunk in response.iter_bytes():
                size += len(chunk)
                peak = max(peak, rss_mb(pid))
        return {
            "case": "OC4IDS export over HTTP",
            "seconds": round(time.perf_counter() - start, 1),
            "megabytes": round(size / 1e6, 1),
            "server_rss_mb": {"before": before, "peak": peak},
        }


def search(dsn: str) -> list[dict]:
    results = []
    with psycopg.connect(dsn) as conn:
        for text in QUERIES:
            condition = queries.project_conditions(inputs.ProjectQuery(text=text))[0]
            indexed = str(
                select(Project.id)
                .where(condition)
                .compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
            )
            bare = (
                f"SELECT id FROM projects WHERE name ILIKE '%{text}%' "
                f"OR description ILIKE '%{text}%' OR code = '{text}'"
            )
            timings, rows = {}, {}
            for name, sql in (("registry", indexed), ("ilike", bare)):
                spent = []
                for _ in range(7):
                    start = time.perf_counter()
                    rows[name] = sorted(r[0] for r in conn.execute(sql.replace("%", "%%")))
                    spent.append(time.perf_counter() - start)
                timings[name] = round(statistics.median(spent) * 1000, 2)
            results.append(
                {
                    "case": f"search {text!r}",
                    "rows": len(rows["registry"]),
                    "same_rows": rows["registry"] == rows["ilike"],
                    "registry_ms": timings["registry"],
                    "ilike_ms": timings["ilike"],
                    "speedup": round(timings["ilike"] / timings["registry"], 1),
                }
            )
    return results


def run(database: str) -> list[dict]:
    url = database_url(database)
    results = [scoreboard(url), *search(psycopg_url(url)), export(url)]
    for result in results:
        print(json.dumps(result, ensure_ascii=False))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="registry_bench")
    run(parser.parse_args().database)


if __name__ == "__main__":
    main()

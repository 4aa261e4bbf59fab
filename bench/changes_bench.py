"""Reading the change stream, beside the raw SQL that gives the same events.

    python -m bench.changes_bench [--database registry_bench] [--page 10000] [--writes 200]

On the benchmark register (bench/generate.py: its load is in the stream, about 900,000
events for 50,000 projects and 500,000 disclosures), in the same run:

1. a mirror following the whole stream from the beginning through ``/changes`` (pages of
   ``--page``), events per second;
2. the baseline: the very statement ``/changes`` runs, page after page, over psycopg;
3. how soon a change reaches a consumer: ``--writes`` project changes committed one at a
   time while a consumer polls ``/changes`` without pause; the delay from each commit's
   return to the consumer's receipt, p50 and p99 (one process, one clock);
4. the same through a webhook: one ``registry worker`` delivering to a receiver in this
   process, notified by each commit; the delay from commit to receipt, p50 and p99.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time

import httpx
import psycopg

from bench.harness import api_server, database_url
from registry.reading import changes


def follow_http(base: str, page: int) -> tuple[int, float]:
    cursor, count = "", 0
    started = time.perf_counter()
    with httpx.Client(timeout=300) as http:
        while True:
            reply = http.get(f"{base}/changes", params={"after": cursor, "limit": page})
            count += reply.content.count(b"\n")
            cursor = reply.headers["Registry-Next-Cursor"]
            if reply.headers["Registry-Has-More"] != "true":
                return count, time.perf_counter() - started


def follow_sql(dsn: str, page: int) -> tuple[int, float]:
    """The statement /changes runs (PostgreSQL writes the page's bytes), page after page."""
    after, count = changes.START, 0
    started = time.perf_counter()
    with psycopg.connect(dsn) as conn:
        conn.execute("SET jit = off")  # as /changes runs it
        while True:
            statement, binds = changes.body_statement(changes.ChangeFilter(), after, page)
            sql = str(statement)
            for name in ("seq", "id", "limit", "shown"):
                sql = sql.replace(f":{name}", f"%({name})s")
            body, shown, more, last_seq, last_id = conn.execute(sql, binds).fetchone()
            count += body.count("\n")
            if not more:
                return count, time.perf_counter() - started
            after = (last_seq, last_id)


def latency(base: str, dsn: str, writes: int) -> list[float]:
    with httpx.Client() as http:
        start = http.get(f"{base}/changes", params={"after": "latest"})
    cursor = start.headers["Registry-Next-Cursor"]
    committed: dict[str, float] = {}
    received: dict[str, float] = {}
    done = threading.Event()

    def consume() -> None:
        nonlocal cursor
        with httpx.Client() as http:
            while not (done.is_set() and len(received) >= writes):
                reply = http.get(f"{base}/changes",
                                 params={"after": cursor, "kind": "project.changed"})  # fmt: skip
                now = time.perf_counter()
                for line in reply.text.splitlines():
                    event = json.loads(line)
                    received[event["data"]["changes"][0]["after"]] = now
                cursor = reply.headers["Registry-Next-Cursor"]

    consumer = threading.Thread(target=consume)
    consumer.start()
    with psycopg.connect(dsn, autocommit=True) as conn:
        code = conn.execute("SELECT code FROM projects ORDER BY id LIMIT 1").fetchone()[0]
        for n in range(writes):
            mark = f"bench-{time.time_ns()}-{n}"
            conn.execute("UPDATE projects SET description = %s WHERE code = %s", (mark, code))
            committed[mark] = time.perf_counter()
            time.sleep(0.02)
    done.set()
    consumer.join(timeout=60)
    return sorted((received[m] - committed[m]) * 1000 for m in committed if m in received)


def webhook_latency(url: str, dsn: str, writes: int) -> list[float]:
    import os
    import subprocess
    import sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from registry.changes import webhooks
    from registry.publishing.keys import create_reader_key

    received: dict[str, float] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            received[body["data"]["changes"][0]["after"]] = time.perf_counter()
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        reader = create_reader_key(session, "bench")[0]
        webhooks.create(session, reader, f"http://127.0.0.1:{server.server_port}/",
                        {"kinds": ["project.changed"]}, allow_private=True)  # fmt: skip
    engine.dispose()
    worker = subprocess.Popen([sys.executable, "-m", "registry.cli", "worker"],
                              env={**os.environ, "DATABASE_URL": url},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    time.sleep(3)  # started, listening
    committed: dict[str, float] = {}
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            code = conn.execute("SELECT code FROM projects ORDER BY id LIMIT 1").fetchone()[0]
            for n in range(writes):
                mark = f"hook-{time.time_ns()}-{n}"
                conn.execute("UPDATE projects SET description = %s WHERE code = %s", (mark, code))
                committed[mark] = time.perf_counter()
                time.sleep(0.05)
        deadline = time.monotonic() + 30
        while len(received) < writes and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        server.shutdown()
    return sorted((received[m] - committed[m]) * 1000 for m in committed if m in received)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="registry_bench")
    parser.add_argument("--page", type=int, default=10_000)
    parser.add_argument("--writes", type=int, default=200)
    args = parser.parse_args()
    url = database_url(args.database)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with api_server(url) as base:
        follow_http(base, args.page)  # warm: the first pass reads from disk
        events, http_s = follow_http(base, args.page)
        sql_events, sql_s = follow_sql(dsn, args.page)
        delays = latency(base, dsn, args.writes)
    hooks = webhook_latency(url, dsn, args.writes)
    q = statistics.quantiles(delays, n=100)
    h = statistics.quantiles(hooks, n=100)
    print(json.dumps({
        "events": events, "sql_events": sql_events, "page": args.page,
        "http_events_per_s": round(events / http_s), "sql_events_per_s": round(sql_events / sql_s),
        "ratio": round((events / http_s) / (sql_events / sql_s), 3),
        "latency_ms_p50": round(q[49], 1), "latency_ms_p99": round(q[98], 1),
        "received": len(delays), "writes": args.writes,
        "webhook_ms_p50": round(h[49], 1), "webhook_ms_p99": round(h[98], 1),
        "webhooks_received": len(hooks),
    }))  # fmt: skip


if __name__ == "__main__":
    main()

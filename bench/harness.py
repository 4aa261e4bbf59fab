"""Shared benchmark plumbing: start the API, drive it and a SQL baseline with the same
concurrency and a bounded number of requests, report requests per second."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager

import httpx
import psycopg


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(name: str) -> str:
    """The URL of database ``name`` on the server DATABASE_URL points at."""
    from sqlalchemy.engine import make_url

    from registry.settings import get_settings

    url = make_url(get_settings().database.database_url).set(database=name)
    return url.render_as_string(hide_password=False)


SERVERS: dict[str, int] = {}  # base URL -> process id of the servers running


def rss_mb(pid: int) -> int:
    """Resident memory of a process, in MiB (Linux)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) >> 10


@contextmanager
def api_server(database_url: str, extra_env: dict | None = None, workers: int = 1):
    """`registry serve` on the given database; yields the base URL."""
    port = free_port()
    quiet = {
        "REGISTRY_OPS_SLOW_QUERY_MS": "0",  # the benchmark times; the log would too
        # quotas count every request (their cost is measured) but never refuse one here
        "REGISTRY_QUOTA_ANONYMOUS_REQUESTS": str(10**9),
        "REGISTRY_QUOTA_ANONYMOUS_COST": str(10**12),
    }
    env = {**os.environ, "DATABASE_URL": database_url, **quiet, **(extra_env or {})}
    proc = subprocess.Popen(
        [
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
            "--workers",
            str(workers),
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    SERVERS[base] = proc.pid
    try:
        for _ in range(150):
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base
    finally:
        SERVERS.pop(base, None)
        proc.terminate()
        proc.wait(timeout=10)


def rate(work: Callable[[int], None], requests: int, concurrency: int, warmup: int = 3) -> float:
    """Requests per second of ``work(worker_index)`` run ``requests`` times over
    ``concurrency`` threads (after ``warmup`` calls per thread)."""
    for index in range(concurrency):
        for _ in range(warmup):
            work(index)
    counter = iter(range(requests))
    lock = threading.Lock()

    def worker(index: int) -> None:
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            work(index)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return requests / (time.perf_counter() - start)


def graphql_worker(base: str, query: str, variables: dict | None, concurrency: int):
    clients = [httpx.Client(timeout=60) for _ in range(concurrency)]

    def work(index: int) -> None:
        response = clients[index].post(
            f"{base}/graphql", json={"query": query, "variables": variables}
        )
        response.raise_for_status()
        if b'"errors"' in response.content[:20]:
            raise RuntimeError(response.text[:500])

    return work, clients


def sql_worker(dsn: str, sql: str, params: dict | None, concurrency: int):
    connections = [psycopg.connect(dsn, autocommit=True) for _ in range(concurrency)]

    def work(index: int) -> None:
        connections[index].execute(sql, params).fetchone()

    return work, connections


def http_worker(url: str, concurrency: int, headers: dict | None = None):
    clients = [httpx.Client(timeout=60) for _ in range(concurrency)]

    def work(index: int) -> None:
        clients[index].get(url, headers=headers).raise_for_status()

    return work, clients


def graphql_body(base: str, query: str) -> bytes:
    return httpx.post(f"{base}/graphql", json={"query": query}, timeout=120).content


def http_body(base: str, path: str) -> bytes:
    return httpx.get(base + path, timeout=120).content


def sql_value(dsn: str, sql: str, params: dict | None):
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute(sql, params).fetchone()


def compare(
    base: str, dsn: str, cases, concurrency: int, api_worker, body=None, same=None
) -> list[dict]:
    """For each (name, api target, sql, params, requests): the API's and the SQL's rates.

    With ``body`` (how to fetch the API's answer) and ``same`` (whether that answer is the
    SQL's row, byte for byte), each case first checks that the baseline gives the same
    bytes as the API: a ratio against SQL that answers something else means nothing."""
    import json

    results = []
    for name, target, sql, params, requests in cases:
        identical = None
        if body is not None and same is not None:
            identical = same(body(base, target), sql_value(dsn, sql, params))
        api_work, clients = api_worker(base, target, concurrency)
        sql_work, connections = sql_worker(dsn, sql, params, concurrency)
        api_rate, sql_rate = (
            rate(api_work, requests, concurrency),
            rate(sql_work, requests, concurrency),
        )
        for closable in (*clients, *connections):
            closable.close()
        results.append(
            {
                "case": name,
                "api_req_s": round(api_rate, 1),
                "sql_req_s": round(sql_rate, 1),
                "ratio": round(api_rate / sql_rate, 3),
                "same_bytes": identical,
            }
        )
        print(json.dumps(results[-1], ensure_ascii=False), flush=True)
    return results

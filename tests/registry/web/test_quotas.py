"""Quotas with two API processes on one database: a crawler's key is held to its requests
and its query cost whichever process answers, with 429, Retry-After and the RateLimit
fields; meanwhile the map, the pages and readers without a key are served."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from contextlib import ExitStack

import httpx
import pytest
from sqlalchemy.orm import Session

from registry.publishing.keys import create_reader_key
from tests.conftest import server_process

LIMITS = {
    "REGISTRY_QUOTA_ENABLED": "true",
    "REGISTRY_QUOTA_KEYED_REQUESTS": "20",
    "REGISTRY_QUOTA_KEYED_COST": "3000",
    "REGISTRY_QUOTA_ANONYMOUS_REQUESTS": "1000",
    "REGISTRY_QUOTA_ANONYMOUS_COST": "1000000",
}
COST = 801  # the estimated cost of the query below (schema/limits.py), the request included
FIELD = re.compile(r'"(\w+)";r=(\d+);t=(\d+)')


def _left(response: httpx.Response) -> dict[str, int]:
    return {name: int(r) for name, r, _ in FIELD.findall(response.headers["ratelimit"])}


def _fresh_minute() -> None:
    """Counters are per minute: start early in one, so the test does not straddle two."""
    second = time.time() % 60
    if second > 40:
        time.sleep(61 - second)


@pytest.fixture(scope="module")
def two_servers(demo_data, database_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("quotas")
    with ExitStack() as stack:
        ports = [
            stack.enter_context(server_process(database_url, folder / f"s{n}.log", **LIMITS))[0]
            for n in range(2)
        ]
        yield [f"http://127.0.0.1:{port}" for port in ports]


@pytest.fixture
def reader_key(demo_data) -> str:
    with Session(demo_data) as session, session.begin():
        return create_reader_key(session, "爬虫测试", "crawler@example.org")[1]


def test_a_key_is_held_to_its_quota_whichever_process_answers(two_servers, reader_key, keys):
    _fresh_minute()
    crawler = {"Authorization": f"Bearer {reader_key}"}
    answers = []
    with httpx.Client(timeout=30) as http:
        for n in range(26):
            base = two_servers[n % 2]
            answers.append(http.get(f"{base}/ogc/collections/projects/items",
                                    params={"limit": 1}, headers=crawler))  # fmt: skip
            if n == 12:  # while the crawler runs: the site and other readers are served
                for path in ("/", "/map", "/projects", "/ogc/collections/projects/items"):
                    assert http.get(f"{two_servers[1]}{path}").status_code == 200, path
                department = {"Authorization": f"Bearer {keys['fgw']}"}
                assert http.get(f"{base}/changes", headers=department).status_code == 200
    codes = [a.status_code for a in answers]
    assert codes == [200] * 20 + [429] * 6  # 20 a minute, counted across both processes
    assert [_left(a)["requests"] for a in answers[:20]] == list(range(19, -1, -1))
    refused = answers[-1]
    assert refused.json()["code"] == "TOO_MANY_REQUESTS"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit-policy"] == '"requests";q=20;w=60, "cost";q=3000;w=60'
    assert "this key" in refused.json()["description"]


def test_query_cost_is_charged_and_refused_past_the_quota(two_servers, reader_key):
    _fresh_minute()
    crawler = {"Authorization": f"Bearer {reader_key}"}
    query = {"query": "{ projects(first: 100) { nodes { code sites { name } } } }"}
    seen = []
    with httpx.Client(timeout=30) as http:
        for n in range(19):
            reply = http.post(f"{two_servers[n % 2]}/graphql", json=query, headers=crawler)
            seen.append(reply)
            if reply.status_code == 429:
                break
    left = [_left(a)["cost"] for a in seen if a.status_code == 200]
    assert left[0] == 3000 - COST and left[-1] == 0  # the last one allowed spent the rest
    assert all(a - b == COST for a, b in zip(left, left[1:-1], strict=False))
    assert seen[-1].status_code == 429 and "query cost" in seen[-1].json()["description"]


def test_a_forged_or_revoked_key_counts_as_its_address(two_servers, keys):
    _fresh_minute()
    with httpx.Client(timeout=30) as http:
        forged = "Bearer rdr_00000000_" + "A" * 43
        for header in (forged, f"Bearer {keys['revoked']}", "Bearer nonsense"):
            reply = http.get(f"{two_servers[0]}/changes", params={"limit": 1},
                             headers={"Authorization": header})  # fmt: skip
            assert reply.status_code == 200
            assert reply.headers["ratelimit-policy"].startswith('"requests";q=1000;')


def test_reader_keys_from_the_command_line(demo_data, database_url):
    import os

    env = {**os.environ, "DATABASE_URL": database_url}
    made = subprocess.run(
        [sys.executable, "-m", "registry.cli", "keys", "create", "--reader", "--label", "新闻客户端",
         "--contact", "news@example.org"],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    assert re.search(r"^rdr_[0-9a-f]{8}_\S{43}$", made.stdout, re.M)
    listed = subprocess.run([sys.executable, "-m", "registry.cli", "keys", "list"],
                            capture_output=True, text=True, env=env, check=True).stdout  # fmt: skip
    assert "reader" in listed and "新闻客户端" in listed
    both = subprocess.run(
        [sys.executable, "-m", "registry.cli", "keys", "create", "NCFGW", "--reader"],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert both.returncode == 2 and "--reader" in both.stderr

"""Webhooks with real receivers and real workers: a reader subscribes with its key over HTTP,
`registry worker` processes deliver what the register publishes, signed (Standard Webhooks),
in order, at least once — to a slow receiver, to one that fails and then recovers, to one
that verifies every signature — and a worker killed mid-delivery loses nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from registry import publishing as pub
from registry.models import Disclosure
from registry.publishing import Actor
from registry.publishing.keys import create_reader_key
from tests.conftest import server_process

SYSTEM = Actor(path="test:webhooks", is_admin=True)
WORKER_ENV = {
    "REGISTRY_WEBHOOK_RETRY_BASE_S": "1",
    "REGISTRY_WEBHOOK_MAX_ATTEMPTS": "30",
    "REGISTRY_WEBHOOK_POLL_S": "0.5",
    "REGISTRY_WEBHOOK_STALLED_S": "2",
    "REGISTRY_WEBHOOK_TIMEOUT_S": "5",
}


class Receiver:
    """A real HTTP receiver on 127.0.0.1: answers each POST as ``behaviour`` says and keeps
    (webhook-id, body, status) of every request."""

    def __init__(self, behaviour: str, secret: str | None = None, delay: float = 0.0) -> None:
        self.behaviour, self.secret, self.delay = behaviour, secret, delay
        self.requests: list[tuple[str, dict, int]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["content-length"]))
                status = receiver.answer(body, dict(self.headers))
                with receiver.lock:
                    receiver.requests.append((self.headers["webhook-id"], json.loads(body), status))
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, body: bytes, headers: dict) -> int:
        time.sleep(self.delay)
        if self.behaviour == "verifying":
            try:
                Webhook(self.secret).verify(body, {k.lower(): v for k, v in headers.items()})
            except WebhookVerificationError:
                return 401
        if self.behaviour == "flaky":
            with self.lock:
                failures = sum(1 for _, _, s in self.requests if s == 500)
            if failures < 4:
                return 500
        if self.behaviour == "failing":
            return 500
        return 200

    def accepted(self) -> list[str]:
        """Event cursors accepted, in order, a repeat of the one before dropped (at least
        once: a receiver dedupes by webhook-id)."""
        seen: list[str] = []
        for webhook_id, _, status in list(self.requests):
            if status == 200 and (not seen or seen[-1] != webhook_id):
                seen.append(webhook_id)
        return [s.removeprefix("evt_") for s in seen]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _worker(database_url: str, log, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "registry.cli", "worker"],
        env={**os.environ, "DATABASE_URL": database_url, **WORKER_ENV, **env},
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


@pytest.fixture(scope="module")
def api(demo_data, database_url, tmp_path_factory):
    log = tmp_path_factory.mktemp("webhooks") / "server.log"
    with server_process(database_url, log, REGISTRY_WEBHOOK_ALLOW_PRIVATE="true") as (port, _):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def reader(demo_data) -> dict[str, str]:
    with Session(demo_data) as session, session.begin():
        return {"Authorization": f"Bearer {create_reader_key(session, '地图应用')[1]}"}


def _subscribe(api: str, reader: dict, url: str, filter: dict | None = None) -> dict:
    reply = httpx.post(f"{api}/webhooks", json={"url": url, "filter": filter}, headers=reader)
    assert reply.status_code == 201, reply.text
    return reply.json()


def _changes_since(api: str, cursor: str, **params) -> list[str]:
    found = []
    while True:
        reply = httpx.get(f"{api}/changes", params={**params, "after": cursor, "limit": 1000})
        found += [json.loads(line)["cursor"] for line in reply.text.splitlines()]
        cursor = reply.headers["Registry-Next-Cursor"]
        if reply.headers["Registry-Has-More"] != "true":
            return found


def _publish(engine, n: int, tag: str) -> None:
    """n corrections, each its own commit, and one project change."""
    with Session(engine) as session:
        rows = session.scalars(
            select(Disclosure).where(Disclosure.status == "published",
                                     Disclosure.audience == "public").order_by(Disclosure.id)
        ).all()[:n]  # fmt: skip
        ids = [r.id for r in rows]
    for k, disclosure_id in enumerate(ids):
        with Session(engine) as session, session.begin():
            pub.correct_disclosure(session, SYSTEM, disclosure_id, reason=f"{tag}更正{k}",
                                   title=f"{tag}标题{k}")  # fmt: skip
    with Session(engine) as session, session.begin():
        code = session.scalar(select(Disclosure.project_id).limit(1))
        from registry.models import Project

        project = session.get(Project, code)
        pub.upsert_project(session, SYSTEM, pub.ProjectInput(code=project.code,
                                                             description=f"{tag}说明"))  # fmt: skip


def _wait(condition, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_receivers_get_every_event_in_order_signed(demo_data, database_url, api, reader,
                                                   tmp_path):  # fmt: skip
    slow, flaky = Receiver("slow", delay=0.2), Receiver("flaky")
    verifying = Receiver("verifying")
    subs = {
        "slow": _subscribe(api, reader, slow.url, {"kinds": ["item"]}),
        "flaky": _subscribe(api, reader, flaky.url),
        "verifying": _subscribe(api, reader, verifying.url, {"kinds": ["project", "item"]}),
    }
    verifying.secret = subs["verifying"]["secret"]
    start = subs["slow"]["cursor"]
    with ExitStack() as stack:
        logs = [stack.enter_context(open(tmp_path / f"w{n}.log", "w")) for n in range(2)]
        workers = [_worker(database_url, log) for log in logs]
        try:
            _publish(demo_data, 12, "甲")
            expected = {
                "slow": _changes_since(api, start, kind="item"),
                "flaky": _changes_since(api, start),
                "verifying": _changes_since(api, start, kind="project,item"),
            }
            receivers = {"slow": slow, "flaky": flaky, "verifying": verifying}
            for name, receiver in receivers.items():
                _wait(lambda r=receiver, n=name: len(r.accepted()) >= len(expected[n]))
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                assert worker.wait(timeout=30) == 0
    for name, receiver in receivers.items():
        assert receiver.accepted() == expected[name], name  # each once, in commit order
        assert len(expected[name]) >= 12
    assert all(status != 401 for _, _, status in verifying.requests)  # every signature held
    assert [s for _, _, s in flaky.requests][:4] == [500] * 4
    # the owner reads the delivery log: the failures, then the success
    log = httpx.get(f"{api}/webhooks/{subs['flaky']['id']}/deliveries", headers=reader).json()
    first = expected["flaky"][0]
    attempts = sorted((d for d in log if d["event_cursor"] == first), key=lambda d: d["attempt"])
    assert [(d["outcome"], d["response_code"]) for d in attempts] == [
        ("failed", 500)] * 4 + [("delivered", 200)]  # fmt: skip
    assert all(d["latency_ms"] is not None for d in log)
    for receiver in receivers.values():
        receiver.close()


def test_a_worker_killed_mid_delivery_loses_nothing(demo_data, database_url, api, reader, tmp_path):
    slow = Receiver("slow", delay=0.5)
    sub = _subscribe(api, reader, slow.url, {"kinds": ["item"]})
    with open(tmp_path / "a.log", "w") as log_a, open(tmp_path / "b.log", "w") as log_b:
        first = _worker(database_url, log_a)
        _publish(demo_data, 8, "乙")
        expected = _changes_since(api, sub["cursor"], kind="item")
        _wait(lambda: len(slow.requests) >= 2)
        first.send_signal(signal.SIGKILL)  # mid-delivery: no goodbye, no heartbeat
        first.wait(timeout=30)
        second = _worker(database_url, log_b)
        try:
            _wait(lambda: len(slow.accepted()) >= len(expected))
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)
    assert slow.accepted() == expected  # nothing lost, nothing out of order
    slow.close()


def test_a_receiver_that_never_recovers_disables_the_subscription(
    demo_data, database_url, api, reader, tmp_path
):
    failing = Receiver("failing")
    sub = _subscribe(api, reader, failing.url, {"kinds": ["project"]})
    with open(tmp_path / "w.log", "w") as log:
        worker = _worker(database_url, log, REGISTRY_WEBHOOK_MAX_ATTEMPTS="3")
        try:
            _publish(demo_data, 0, "丙")
            _wait(lambda: httpx.get(f"{api}/webhooks/{sub['id']}", headers=reader)
                  .json()["status"] == "disabled")  # fmt: skip
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
    shown = httpx.get(f"{api}/webhooks/{sub['id']}", headers=reader).json()
    assert (
        "3 attempts failed" in shown["disabled_reason"] and "HTTP 500" in shown["disabled_reason"]
    )
    assert len(failing.requests) == 3
    resumed = httpx.post(f"{api}/webhooks/{sub['id']}/resume", headers=reader).json()
    assert resumed["status"] == "active" and resumed["disabled_reason"] is None
    failing.close()


def test_subscriptions_are_their_owners_alone(demo_data, api, reader):
    sub = _subscribe(api, reader, "http://127.0.0.1:9/hook")
    with Session(demo_data) as session, session.begin():
        other = {"Authorization": f"Bearer {create_reader_key(session, '别人')[1]}"}
    assert httpx.get(f"{api}/webhooks/{sub['id']}", headers=other).status_code == 404
    assert httpx.get(f"{api}/webhooks/{sub['id']}/deliveries", headers=other).status_code == 404
    assert httpx.get(f"{api}/webhooks").status_code == 401
    assert "secret" not in httpx.get(f"{api}/webhooks/{sub['id']}", headers=reader).json()
    refused = httpx.post(f"{api}/webhooks", headers=reader,
                         json={"url": "ftp://example.org", "filter": {"kinds": ["nope"]}})  # fmt: skip
    assert refused.status_code == 400
    assert httpx.delete(f"{api}/webhooks/{sub['id']}", headers=reader).status_code == 204


def test_the_documented_receiver_verifies_what_the_worker_signs():
    import datetime as dt
    import re
    from pathlib import Path

    from registry.changes.delivery import signed_headers
    from registry.changes.webhooks import new_secret

    page = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text(encoding="utf-8")
    source = re.search(r"```python\n(from standardwebhooks.*?)```", page, re.S).group(1)
    secret, body = new_secret(), json.dumps({"kind": "item.published", "project": "P",
                                             "cursor": "3-7"})  # fmt: skip
    namespace: dict = {}
    exec(source.replace('"whsec_…"', repr(secret)), namespace)  # noqa: S102 - our own docs
    headers = signed_headers(secret, "3-7", body, dt.datetime.now(dt.UTC))
    assert namespace["receive"](body.encode(), headers) == 204
    assert namespace["receive"](body.encode() + b" ", headers) == 401  # altered on the way
    stale = signed_headers(secret, "3-7", body, dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    assert namespace["receive"](body.encode(), stale) == 401  # replayed an hour later

"""Several processes, one truth: metrics that add up across workers, and an upload checked
by one server process and confirmed by another.

`registry serve --workers 3` against the real database: requests spread over the workers
(a new connection each, which the kernel hands to any of them), then every scrape — whichever
worker answers it — reports exactly the number sent; a worker killed and replaced by the
supervisor takes nothing away, counters never go down. Two `registry serve` processes on
one upload folder: a check answered by one is confirmed by the other, and a token sent to
both at once loads once.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from registry.publishing.keys import create_key
from tests.conftest import count, free_port, server_process
from tests.loaders.files import write_csv
from tests.loaders.test_run import APPROVAL_HEADERS, approval_row

WANTED = ('route="/ogc/collections/{collection_id}/items"', 'method="GET"', 'status="200"')


def _serve(database_url: str, log: Path, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    with log.open("w") as output:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "registry.cli", "serve", "--host", "127.0.0.1",
             "--port", str(port), "--workers", str(workers)],
            env={**os.environ, "DATABASE_URL": database_url}, stdout=output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError(log.read_text())


def _workers(parent: int) -> list[int]:
    """The supervisor's worker processes (multiprocessing's spawned children)."""
    found = []
    for child in Path(f"/proc/{parent}/task/{parent}/children").read_text().split():
        cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        if b"spawn_main" in cmdline:
            found.append(int(child))
    return found


def _counted(base: str) -> float:
    text = httpx.get(f"{base}/metrics", timeout=10).text
    for line in text.splitlines():  # the order of the labels is the exposition's choice
        if line.startswith("registry_http_requests_total{") and all(w in line for w in WANTED):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def _requests(base: str, number: int) -> None:
    for _ in range(number):  # a new connection each: any worker may take it
        with httpx.Client(timeout=10) as client:
            assert client.get(f"{base}/ogc/collections/projects/items?limit=1").status_code == 200


def test_metrics_add_up_across_workers_and_survive_one_s_death(demo_data, database_url, tmp_path):
    process, base = _serve(database_url, tmp_path / "server.log", workers=3)
    try:
        workers = _workers(process.pid)
        assert len(workers) == 3, workers
        _requests(base, 60)
        scrapes = [_counted(base) for _ in range(9)]
        assert scrapes == [60.0] * 9, scrapes
        memory = httpx.get(f"{base}/metrics", timeout=10).text
        pids = set(re.findall(r'registry_worker_resident_memory_bytes\{pid="(\d+)"\}', memory))
        assert pids == {str(w) for w in workers}, (pids, workers)
        # one worker killed: the supervisor starts another; nothing counted is lost
        os.kill(workers[0], signal.SIGKILL)
        seen = [_counted(base)]
        deadline = time.monotonic() + 30
        while len(_workers(process.pid)) < 3 or workers[0] in _workers(process.pid):
            assert time.monotonic() < deadline
            seen.append(_counted(base))
            time.sleep(0.2)
        _requests(base, 30)
        seen += [_counted(base) for _ in range(9)]
        assert all(a <= b for a, b in zip(seen, seen[1:], strict=False)), seen
        assert seen[-1] == 90.0, seen
        memory = httpx.get(f"{base}/metrics", timeout=10).text
        assert f'pid="{workers[0]}"' not in memory  # the dead worker's live gauges went
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


@pytest.fixture
def upload_folder(tmp_path) -> Path:
    folder = tmp_path / "uploads"
    folder.mkdir()
    return folder


def test_an_upload_checked_by_one_process_is_confirmed_by_another(
    registry_session, database_url, tmp_path, upload_folder
):
    key = create_key(registry_session, "FGW")[1]
    registry_session.commit()
    engine = registry_session.get_bind()
    env = {"REGISTRY_UPLOAD_DIR": str(upload_folder)}
    with (
        server_process(database_url, tmp_path / "a.log", **env) as (port_a, _),
        server_process(database_url, tmp_path / "b.log", **env) as (port_b, _),
    ):
        a, b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"

        def check(base: str, name: str, row: list) -> str:
            path = write_csv(tmp_path / name, [APPROVAL_HEADERS, row])
            with path.open("rb") as handle:
                answer = httpx.post(f"{base}/upload/check", data={"key": key},
                                    files={"file": (path.name, handle)}, timeout=60)  # fmt: skip
            assert answer.status_code == 200, answer.text[-500:]
            return answer.text.split('name="token" value="')[1].split('"')[0]

        token = check(a, "one.csv", approval_row("洪发改〔2023〕1号"))
        before = count(engine, "disclosures")
        confirmed = httpx.post(f"{b}/upload/confirm", data={"token": token}, timeout=60)
        assert confirmed.status_code == 200, confirmed.text[-500:]
        assert count(engine, "disclosures") == before + 1
        # one token, both processes at once: one loads, the other is told it is spent
        token = check(
            b, "two.csv", approval_row("洪发改〔2023〕2号", item="政府投资项目初步设计审批")
        )
        answers: dict[str, int] = {}
        start = threading.Barrier(2)

        def confirm(base: str) -> None:
            start.wait()
            answers[base] = httpx.post(f"{base}/upload/confirm", data={"token": token},
                                       timeout=60).status_code  # fmt: skip

        threads = [threading.Thread(target=confirm, args=(base,)) for base in (a, b)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(answers.values()) == [200, 410], answers
    assert count(engine, "disclosures") == before + 2

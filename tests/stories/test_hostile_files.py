"""Files sent to exhaust the server, through the command line and through /upload on a
running server: each refused with a message that names the limit (or why), nothing
written, and the peak memory of the process that read it under a bound, the server
answering other requests all the while.

The peak is the kernel's count: of the `registry load` process (started from a small
process of its own, tests/loaders/peak.py), and of the server process (its high-water mark
reset before each upload through /proc/PID/clear_refs).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from registry.publishing.keys import create_key
from tests.conftest import count, server_process
from tests.loaders.hostile import HOSTILE

PEAK_MB = 300  # what reading any hostile file may cost a process, at most
ROOT = Path(__file__).resolve().parents[2]
TABLES = ("projects", "sites", "disclosures")


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    return {name: build(folder) for name, build, _ in HOSTILE}


def _written(engine) -> dict[str, int]:
    return {table: count(engine, table) for table in TABLES}


@pytest.mark.parametrize(
    "name, said", [(n, s) for n, _, s in HOSTILE], ids=[n for n, *_ in HOSTILE]
)
def test_the_command_line_refuses_each_within_bounds(
    registry_session, hostile_files, database_url, name, said
):
    engine = registry_session.get_bind()
    before = _written(engine)
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-S", str(Path(__file__).parents[1] / "loaders" / "peak.py"),
         str(Path(sys.executable).parent / "registry"), "load", "--as", "FGW",
         str(hostile_files[name])],
        capture_output=True, text=True, timeout=300,
        env={**__import__("os").environ, "DATABASE_URL": database_url},
    )  # fmt: skip
    seconds = time.perf_counter() - started
    peak_mb = int(run.stderr.strip().splitlines()[-1]) / 1024
    assert run.returncode == 1, run.stdout + run.stderr
    assert said in run.stdout, run.stdout
    assert "Traceback" not in run.stdout + run.stderr
    assert peak_mb < PEAK_MB, f"{name}: {peak_mb:.0f} MB"
    assert _written(engine) == before
    print(f"\n{name}: refused in {seconds:.1f} s (start-up included), peak {peak_mb:.0f} MB")


def _peak_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return (
        int(next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1])
        / 1024
    )


def _reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # the high-water mark starts again


def test_the_upload_page_refuses_each_within_bounds(
    registry_session, hostile_files, database_url, tmp_path
):
    key = create_key(registry_session, "FGW")[1]
    registry_session.commit()
    engine = registry_session.get_bind()
    before = _written(engine)
    with server_process(database_url, tmp_path / "server.log") as (port, process):
        base = f"http://127.0.0.1:{port}"
        probes: list[tuple[int, float]] = []
        stop = threading.Event()

        def probe() -> None:  # a reader of the site while the uploads are checked
            with httpx.Client(base_url=base, timeout=30) as client:
                while not stop.is_set():
                    started = time.perf_counter()
                    status = client.get("/health").status_code
                    probes.append((status, time.perf_counter() - started))
                    time.sleep(0.05)

        reader = threading.Thread(target=probe)
        reader.start()
        results = {}
        try:
            with httpx.Client(base_url=base, timeout=300) as client:
                for name, _, said in HOSTILE:
                    _reset_peak(process.pid)
                    path = hostile_files[name]
                    started = time.perf_counter()
                    with path.open("rb") as handle:
                        answer = client.post("/upload/check", data={"key": key},
                                             files={"file": (path.name, handle)})  # fmt: skip
                    seconds = time.perf_counter() - started
                    results[name] = (answer.status_code, seconds, _peak_mb(process.pid))
                    assert answer.status_code in (413, 422), (name, answer.status_code)
                    assert said in answer.text, (name, answer.text[-2000:])
        finally:
            stop.set()
            reader.join()
        assert client.is_closed
        after = httpx.get(f"{base}/health", timeout=10)
    assert after.status_code == 200
    assert probes and all(status == 200 for status, _ in probes)
    slowest = max(seconds for _, seconds in probes)
    for name, (status, seconds, peak) in results.items():
        print(f"\n{name}: {status} in {seconds:.2f} s, server peak {peak:.0f} MB")
        assert peak < PEAK_MB, (name, peak)
    print(f"\nprobe: {len(probes)} reads of /health, the slowest {slowest * 1000:.0f} ms")
    assert _written(engine) == before
    assert results["dbf bomb"][1] < 1.0  # the 1.5 GB Shapefile, refused in under a second

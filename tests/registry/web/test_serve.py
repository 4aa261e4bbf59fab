"""`registry serve` listens on IPv4 and IPv6 at once (the plan asks for IPv6)."""

import socket

import httpx


def ipv6_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def test_health_answers_on_ipv4_and_ipv6(live_server):
    v4 = httpx.get(f"http://127.0.0.1:{live_server}/health")
    assert v4.status_code == 200 and v4.json()["status"] == "ok"
    assert v4.json()["postgis"].startswith("3.")
    if ipv6_available():
        v6 = httpx.get(f"http://[::1]:{live_server}/health")
        assert v6.status_code == 200


def test_several_worker_processes_share_the_port_and_stop_together(database_url, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import free_port

    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url}
    with open(tmp_path / "serve.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "registry.cli", "serve", "--host", "127.0.0.1",
             "--port", str(port), "--workers", "2"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.2)
        children = subprocess.run(
            ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True
        ).stdout.split()
        workers = [c for c in children if "spawn_main" in _cmdline(c)]  # not the tracker
        assert len(workers) == 2, [_cmdline(c) for c in children]
        with httpx.Client(timeout=10) as client:
            statuses = {
                client.get(f"http://127.0.0.1:{port}/health").status_code for _ in range(20)
            }
        assert statuses == {200}
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0


def _cmdline(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode()
    except OSError:
        return ""

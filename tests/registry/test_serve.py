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

"""Serve an ASGI app with uvicorn on several addresses at once (IPv4 and IPv6)."""

from __future__ import annotations

import logging
import os
import socket
import tempfile
from pathlib import Path

import uvicorn
from uvicorn.supervisors import Multiprocess

log = logging.getLogger("registry.serve")


def bind(host: str, port: int) -> socket.socket | None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        log.warning("cannot listen on [%s]:%s (%s); skipping it", host, port, exc)
        sock.close()
        return None
    sock.set_inheritable(True)
    return sock


def serve(
    app: str,
    hosts: list[str],
    port: int,
    log_level: str = "info",
    access_log: bool = True,
    workers: int = 1,
) -> None:
    """Serve on every address that can be bound. Logs go through ``registry.ops.logs`` (text or
    JSON); the app writes its own access lines (uvicorn's would carry the query string and
    the client's address). On SIGTERM uvicorn stops accepting, lets in-flight requests
    finish for up to REGISTRY_OPS_SHUTDOWN_TIMEOUT_S, then the app's lifespan closes the
    database pools.

    With ``workers`` > 1, uvicorn's supervisor starts that many processes on the same
    sockets (the kernel spreads connections among them) and replaces any that dies; each
    has its own pools of REGISTRY_POOL_SIZE (+ overflow) connections per engine. Nothing a
    request relies on lives in one process alone: compiled statements are a per-process
    cache of what the schema and the query decide, pending uploads are on disk."""
    from registry.ops.logs import configure
    from registry.settings import get_settings

    os.environ["REGISTRY_OPS_ACCESS_LOG"] = "true" if access_log else "false"
    get_settings.cache_clear()
    ops = get_settings().ops
    configure(ops.log_format, logging.getLevelName(log_level.upper()))
    sockets = [s for s in (bind(h, port) for h in hosts) if s is not None]
    if not sockets:
        raise SystemExit(f"could not listen on any of {hosts} port {port}")
    for sock in sockets:
        host, bound_port = sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        print(f"registry: serving on http://{shown}:{bound_port}", flush=True)
    config = uvicorn.Config(
        app,
        factory=True,
        log_level=log_level,
        log_config=None,
        proxy_headers=True,  # believed only from REGISTRY_OPS_FORWARDED_ALLOW_IPS
        forwarded_allow_ips=ops.forwarded_allow_ips,
        access_log=False,
        timeout_graceful_shutdown=ops.shutdown_timeout_s or None,
        workers=workers,
    )
    if workers > 1:
        metrics_folder()  # before a worker starts: they all write their figures there
        Supervisor(config, sockets=sockets).run()
    else:
        uvicorn.Server(config).run(sockets=sockets)


def metrics_folder() -> Path:
    """The folder the workers' metrics go to: the one PROMETHEUS_MULTIPROC_DIR names, or a
    new one of this server's; emptied, so a restart starts its counts again."""
    from registry.ops.metrics import MULTIPROCESS_DIR

    given = os.environ.get(MULTIPROCESS_DIR)
    folder = Path(given) if given else Path(tempfile.mkdtemp(prefix="registry-metrics-"))
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.db"):
        old.unlink()
    os.environ[MULTIPROCESS_DIR] = str(folder)
    return folder


class Supervisor(Multiprocess):
    """uvicorn's supervisor of the workers, which tells prometheus-client when one has gone
    (died and been replaced, or stopped by a signal), so its live gauges go with it."""

    def _gone(self, before: set[int | None]) -> None:
        from registry.ops.metrics import forget_worker

        for pid in before - {process.pid for process in self.processes}:
            if pid is not None:
                forget_worker(pid)

    def keep_subprocess_alive(self) -> None:
        before = {process.pid for process in self.processes}
        super().keep_subprocess_alive()
        self._gone(before)

    def handle_signals(self) -> None:
        before = {process.pid for process in self.processes}
        super().handle_signals()
        self._gone(before)

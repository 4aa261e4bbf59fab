"""A real nginx for the tests, with the given ``http`` block contents, in a folder of its
own (the tests' TLS proxy, the compose profile's cache)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


@contextmanager
def nginx(folder: Path, http_block: str, base: str) -> Iterator[str]:
    """nginx serving ``http_block`` until the block ends; yields ``base`` once it answers."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(binary).exists(), "make test installs nginx (nginx-light)"
    (folder / "logs").mkdir(exist_ok=True)
    conf = folder / "nginx.conf"
    conf.write_text(f"""
user root;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/logs/error.log warn;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {folder}/body; proxy_temp_path {folder}/proxy;
  fastcgi_temp_path {folder}/fcgi; uwsgi_temp_path {folder}/uwsgi; scgi_temp_path {folder}/scgi;
{http_block}
}}
""")  # fmt: skip
    process = subprocess.Popen([binary, "-c", str(conf), "-p", str(folder)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
    deadline = time.monotonic() + 15
    while True:
        try:
            httpx.get(f"{base}/health", verify=False, timeout=2)
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline, (folder / "logs" / "error.log").read_text()
            time.sleep(0.1)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)

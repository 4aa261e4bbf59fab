"""One public address, and nothing a caller sends comes back as a link: a foreign Host is
refused and never appears in an answer; with a public URL every absolute link is built on
it; behind a real TLS proxy (nginx, a certificate made here) every link of the feed, the
OC4IDS export, the OGC API and TileJSON is https; every answer carries nosniff."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import free_port, serving
from tests.nginx import nginx

LINKED = [
    "/feeds/disclosures.atom",
    "/exports/oc4ids.json?project=2019-360100-48-01-100000",
    "/ogc",
    "/ogc/collections",
    "/ogc/collections/projects/items?limit=3",
    "/tiles/tilejson.json",
]
PAGES = ["/", "/projects", "/map", "/downloads", "/graphql"]
LINK = re.compile(r"https?://[^\s\"'<>\\]+")


ELSEWHERE = ("https://fgw.nc.gov.cn/", "https://creativecommons.org/")


def links(body: str) -> list[str]:
    return [link for link in LINK.findall(body) if "w3.org" not in link and "opengis" not in link
            and "standard.open-contracting" not in link and "schemas" not in link]  # fmt: skip


def test_a_foreign_host_is_refused_and_never_appears(live_server, demo_data):
    base = f"http://127.0.0.1:{live_server}"
    for path in [*LINKED, *PAGES, "/graphql?query={__typename}", "/nope"]:
        answer = httpx.get(base + path, headers={"host": "evil.example"})
        assert answer.status_code == 400, path
        assert answer.json()["code"] == "INVALID_HOST"
        assert "evil" not in answer.text and answer.headers["x-content-type-options"] == "nosniff"
    for host in ("127.0.0.1", f"127.0.0.1:{live_server}", "localhost", f"[::1]:{live_server}"):
        assert httpx.get(base + "/health", headers={"host": host}).status_code == 200, host


def test_the_public_url_is_the_base_of_every_link(database_url, demo_data, tmp_path):
    public = "https://xxgk.example.gov.cn/registry"
    env = {"REGISTRY_API_PUBLIC_URL": public, "REGISTRY_API_ALLOWED_HOSTS": '["*"]'}
    with serving(database_url, tmp_path / "server.log", **env) as port:
        for path in LINKED:
            answer = httpx.get(f"http://127.0.0.1:{port}{path}", headers={"host": "evil.example"})
            assert answer.status_code == 200, (path, answer.text[:300])
            # the register's own links; not the departments' documents, nor the licence
            found = [link for link in links(answer.text) if not link.startswith(ELSEWHERE)]
            assert found and all(link.startswith(public + "/") or link == public
                                 for link in found), (path, found)  # fmt: skip
            assert "evil" not in answer.text


@pytest.fixture
def tls_proxy(live_server, demo_data, tmp_path) -> Iterator[str]:
    """nginx terminating TLS in front of the live server, as a deployment's would."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)  # fmt: skip
    port = free_port()
    server = f"""
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {cert}; ssl_certificate_key {key};
    location / {{
      proxy_pass http://127.0.0.1:{live_server};
      proxy_set_header Host $http_host;  # with its port, as the client wrote it
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }}
  }}"""
    with nginx(tmp_path, server, f"https://127.0.0.1:{port}") as base:
        yield base


def test_behind_a_tls_proxy_every_link_is_https(tls_proxy):
    with httpx.Client(base_url=tls_proxy, verify=False, timeout=60) as client:
        for path in LINKED:
            answer = client.get(path)
            assert answer.status_code == 200, (path, answer.text[:300])
            found = [link for link in links(answer.text) if not link.startswith(ELSEWHERE)]
            assert found and all(link == tls_proxy or link.startswith(tls_proxy + "/")
                                 for link in found), (path, found)  # fmt: skip

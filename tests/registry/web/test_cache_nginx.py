"""The compose scale profile's nginx cache (scripts/compose/nginx.conf) in front of a real
server: a public answer is served from nginx's cache, revalidated with If-None-Match once
it is a second old (304 upstream while nothing changed), and replaced as soon as the
register changes; a keyed request is never stored."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.publishing.authority import Actor
from registry.publishing.disclosures import correct_disclosure
from tests.conftest import free_port
from tests.nginx import nginx

CONF = Path(__file__).resolve().parents[3] / "scripts" / "compose" / "nginx.conf"


@pytest.fixture
def cached(live_server, demo_data, tmp_path):
    port = free_port()
    site = CONF.read_text()
    site = site.replace("api-scaled:8000", f"127.0.0.1:{live_server}")
    site = site.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    site = site.replace("/var/cache/nginx/registry", str(tmp_path / "cache"))
    with nginx(tmp_path, site, f"http://127.0.0.1:{port}") as base:
        yield base


def test_nginx_keeps_answers_until_the_register_changes(cached, demo_data, keys):
    code = "2019-360100-48-01-100000"
    path = f"/projects/{code}"
    with httpx.Client(base_url=cached, timeout=60) as client:
        first = client.get(path)
        assert first.headers["x-cache-status"] == "MISS"
        assert client.get(path).headers["x-cache-status"] == "HIT"
        time.sleep(2.2)  # nginx counts whole seconds: "1s" lasts up to two
        again = client.get(path)  # a second old: asked upstream with If-None-Match, 304
        assert again.headers["x-cache-status"] == "REVALIDATED" and again.text == first.text
        with Session(demo_data) as session:
            disclosure = session.scalar(text(
                "SELECT x.id FROM public_disclosures x JOIN projects p ON p.id = x.project_id "
                "WHERE p.code = :c ORDER BY x.id LIMIT 1"), {"c": code})  # fmt: skip
            correct_disclosure(session, Actor(path="test:system"), disclosure, "缓存测试",
                               title="经 nginx 缓存后更正的标题")  # fmt: skip
            session.commit()
        time.sleep(2.2)  # nginx counts whole seconds: "1s" lasts up to two
        changed = client.get(path)
        assert changed.headers["x-cache-status"] == "EXPIRED"
        assert "经 nginx 缓存后更正的标题" in changed.text
        keyed = {"Authorization": f"Bearer {keys['fgw']}"}
        report = client.get("/links/report.csv", headers=keyed)
        assert report.status_code == 200 and report.headers["x-cache-status"] == "BYPASS"
        assert client.get("/links/report.csv").status_code == 401  # nothing stored for others
        assert re.match(r'^"[0-9a-f]{32}"$', changed.headers["etag"])

"""The public pages in headless Chromium: each renders, logs no console error, asks no
other host for anything, links only to pages that answer, and has no serious or critical
accessibility violation (axe-core). Screenshots go to tests/artifacts/ for a reviewer."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from tests.browser import (
    accessibility_violations,
    chromium,
    console_errors,
    csp_violations,
    screenshot,
)

PAGES = {
    "home": "/",
    "projects": "/projects?sort=investment",
    "project": None,  # the largest demo project, found at run time
    "map": "/map",
    "report": "/report",
    "upload": "/upload",
    "ogc-items": "/ogc/collections/projects/items?f=html",
    "downloads": "/downloads",
    "lists": "/lists",
    "list": "/lists/1?on=2024-08-01",  # the demo's city list, after its adjustment
    "catalog": "/catalog",
    "catalog-item": "/catalog/acquisition_announcement",
}


DOC_IMAGES = Path(__file__).resolve().parents[3] / "docs" / "images"


def _shot(browser, name: str) -> None:
    path = screenshot(browser, name)
    if os.environ.get("REGISTRY_DOC_IMAGES"):  # refresh the pictures in docs/portal.md
        DOC_IMAGES.mkdir(exist_ok=True)
        shutil.copy(path, DOC_IMAGES / name)


@pytest.fixture(scope="module")
def base(live_server, demo_data) -> str:
    return f"http://127.0.0.1:{live_server}"


@pytest.fixture(scope="module")
def visited(base):
    """Each page as the browser saw it: violations, console errors, requests, links."""
    first = httpx.get(f"{base}/projects?sort=investment").text
    PAGES["project"] = re.search(r'href="(/projects/[0-9-]{24})"', first).group(1)
    seen = {}
    with chromium(1280, 900, webgl=True) as browser:
        for name, path in PAGES.items():
            browser.get(base + path)
            time.sleep(1.5 if name in ("map", "project") else 0.2)  # let the maps draw
            seen[name] = {
                "csp": csp_violations(browser),
                "violations": accessibility_violations(browser),
                "errors": console_errors(browser),
                "requests": browser.execute_script(
                    "return performance.getEntriesByType('resource').map(e => e.name)"
                ),
                "links": browser.execute_script(
                    "return [...document.querySelectorAll('a[href]')].map(a => a.href)"
                ),
            }
            _shot(browser, f"page-{name}.png")
    return seen


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_runs_under_its_content_security_policy(visited, base, name):
    """The page says its policy (only the register's own scripts; no framing) and nothing
    on it, MapLibre's workers included, is blocked by it."""
    answer = httpx.get(base + PAGES[name], headers={"accept": "text/html"})
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] and answer.headers["x-frame-options"] == "DENY"
    assert visited[name]["csp"] == []


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_accessibility_violation(visited, name):
    serious = [v for v in visited[name]["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, serious


@pytest.mark.parametrize("name", list(PAGES))
def test_no_console_error_and_nothing_from_another_host(visited, base, name):
    assert visited[name]["errors"] == []
    foreign = [r for r in visited[name]["requests"] if not r.startswith(base)]
    assert foreign == []


@pytest.mark.parametrize("name", list(PAGES))
def test_every_link_answers(visited, base, name):
    host = urlsplit(base).netloc
    with httpx.Client(timeout=60, headers={"Accept": "text/html,*/*"}) as client:
        for link in sorted(set(visited[name]["links"])):
            target = urljoin(base, link.split("#")[0])
            if urlsplit(target).netloc != host:
                continue  # a document a department linked to
            assert client.get(target).status_code < 400, f"{name}: {target}"

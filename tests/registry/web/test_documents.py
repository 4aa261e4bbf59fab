"""Kept copies, link states and the link report as users meet them, on a real server:
the copy served by its hash (withheld when it holds personal data), project pages showing
each document's state and the kept copy (Chromium, axe), the report's public counts, the
department's own list by its key, and the GraphQL fields."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import time

import httpx
import pytest
from sqlalchemy import text

from tests.browser import accessibility_violations, chromium, console_errors, screenshot
from tests.conftest import serving
from tests.linkserver import CASES


@pytest.fixture(scope="module")
def site(checked, keys, database_url, tmp_path_factory):
    store = checked["store"]
    log = tmp_path_factory.mktemp("documents-server") / "server.log"
    with serving(database_url, log, REGISTRY_DOCUMENT_DIR=str(store.root)) as port:
        yield f"http://127.0.0.1:{port}", checked


def _link(checked, path):
    return checked["links"][checked["bases"][path] + path]


def test_a_kept_copy_is_served_by_its_hash(site):
    base, checked = site
    good = _link(checked, "/good.pdf")
    answer = httpx.get(f"{base}/documents/{good.kept_sha256}")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(answer.content).hexdigest() == good.kept_sha256
    # the same bytes behind several links are kept once, under the first one's name
    assert re.fullmatch(r"inline; filename\*=UTF-8''(good|head405|flaky)\.pdf",
                        answer.headers["content-disposition"])  # fmt: skip
    assert "immutable" in answer.headers["cache-control"]
    assert answer.headers["content-security-policy"].startswith("sandbox")
    assert answer.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", ["/id.pdf", "/id.docx", "/mobile.pdf"])
def test_a_copy_holding_personal_data_is_withheld(site, path):
    base, checked = site
    answer = httpx.get(f"{base}/documents/{_link(checked, path).kept_sha256}")
    assert answer.status_code == 404
    assert "personal data" in answer.text or "个人信息" in answer.text


@pytest.mark.parametrize("name", ["0" * 64, "not-a-hash", "A" * 64, "../../etc/passwd"])
def test_unknown_copies_are_not_found(site, name):
    base, _ = site
    assert httpx.get(f"{base}/documents/{name}").status_code == 404


def _project_with(database_url_engine, url):
    with database_url_engine.connect() as conn:
        return conn.scalar(text(
            "SELECT p.code FROM public_disclosures x JOIN projects p ON p.id = x.project_id "
            "WHERE x.documents @> jsonb_build_array(jsonb_build_object('url', CAST(:u AS text)))"
        ), {"u": url})  # fmt: skip


def test_project_pages_show_states_and_kept_copies(site, demo_data):
    base, checked = site
    seen = {}
    for path in ("/missing.pdf", "/changing.pdf", "/good.pdf", "/old.pdf", "/soft404.html"):
        url = checked["bases"][path] + path
        code = _project_with(demo_data, url)
        page = httpx.get(f"{base}/projects/{code}").text
        item = re.search(re.escape(f'href="{url}"') + r".*?</li>", page, re.S).group(0)
        seen[path] = item
    assert "链接已失效（自 2026-11-02）" in seen["/missing.pdf"]
    assert "内容已变更" in seen["/changing.pdf"]
    changing = _link(checked, "/changing.pdf")
    assert f'href="/documents/{changing.kept_sha256}"' in seen["/changing.pdf"]
    assert "存档副本" in seen["/changing.pdf"]
    assert "正常" in seen["/good.pdf"] and "存档副本" not in seen["/good.pdf"]
    assert "已迁移" in seen["/old.pdf"] and "新地址" in seen["/old.pdf"]
    assert "链接有误" in seen["/soft404.html"] and "页面不存在" in seen["/soft404.html"]


def test_project_page_with_states_in_chromium(site, demo_data):
    base, checked = site
    code = _project_with(demo_data, checked["bases"]["/changing.pdf"] + "/changing.pdf")
    with chromium(1280, 900) as browser:
        browser.get(f"{base}/projects/{code}")
        time.sleep(1.0)
        serious = [v for v in accessibility_violations(browser)
                   if v["impact"] in ("serious", "critical")]  # fmt: skip
        assert not serious, serious
        assert console_errors(browser) == []
        copies = browser.execute_script(
            "return [...document.querySelectorAll('a.kept-copy')].map(a => a.href)"
        )
        browser.execute_script(
            "document.querySelector('a.kept-copy').scrollIntoView({block: 'center'})"
        )
        screenshot(browser, "page-project-link-states.png")
    assert copies and all(httpx.get(c).status_code == 200 for c in copies)


def test_the_report_counts_links_and_names_no_one(site):
    base, _ = site
    page = httpx.get(f"{base}/report").text
    assert 'id="links"' in page and "含个人信息的附件" in page
    assert "110105" not in page and "/id.pdf" not in page


def test_the_full_list_is_for_the_department_key(site, keys):
    base, _ = site
    assert httpx.get(f"{base}/links/report.csv").status_code == 401
    every = httpx.get(
        f"{base}/links/report.csv", headers={"Authorization": f"Bearer {keys['admin']}"}
    )
    assert every.status_code == 200 and every.headers["cache-control"] == "private, no-store"
    rows = list(csv.DictReader(io.StringIO(every.content.decode("utf-8-sig"))))
    assert {r["链接 url"].split("/", 3)[-1] for r in rows} >= {p.lstrip("/") for p in CASES}
    masked = " ".join(r["个人信息（已遮盖）personal data (masked)"] for r in rows)
    assert "110105********002X" in masked and "11010519491231002X" not in masked
    own = httpx.get(f"{base}/links/report.csv", headers={"Authorization": f"Bearer {keys['fgw']}"})
    mine = list(csv.DictReader(io.StringIO(own.content.decode("utf-8-sig"))))
    assert {r["部门 department"] for r in mine} <= {"NCFGW"}
    assert len(mine) < len(rows)
    xlsx = httpx.get(
        f"{base}/links/report.xlsx", headers={"Authorization": f"Bearer {keys['admin']}"}
    )
    assert xlsx.content[:2] == b"PK"


def test_graphql_documents_carry_their_link_state(site):
    base, checked = site
    query = """{ disclosures(first: 100) { edges { node { ... on Disclosure { documents {
      url linkStatus linkReason checkedAt movedTo archivedCopy { url sha256 keptAt } } } } } } }"""
    answer = httpx.post(f"{base}/graphql", json={"query": query}).json()
    assert "errors" not in answer, answer
    documents = {d["url"]: d for e in answer["data"]["disclosures"]["edges"]
                 for d in e["node"]["documents"]}  # fmt: skip
    for path, (_, state, reason) in CASES.items():
        url = checked["bases"][path] + path
        found = documents[url]
        assert found["linkStatus"] == state.upper(), path
        assert found["linkReason"] == (None if state == "ok" else reason), path
        link = checked["links"][url]
        if link.kept_sha256 and path not in ("/id.pdf", "/id.docx", "/mobile.pdf"):
            assert found["archivedCopy"]["sha256"] == link.kept_sha256
            assert httpx.get(found["archivedCopy"]["url"]).status_code == 200
        elif path in ("/id.pdf", "/id.docx", "/mobile.pdf"):
            assert found["archivedCopy"] is None


def test_the_feed_carries_documents_and_kept_copies(site):
    import feedparser

    base, checked = site
    parsed = feedparser.parse(httpx.get(f"{base}/feeds/disclosures.atom?limit=200").content)
    links = [link for entry in parsed.entries for link in entry.links]
    changing = _link(checked, "/changing.pdf")
    url = checked["bases"]["/changing.pdf"] + "/changing.pdf"
    assert any(link.rel == "enclosure" and link.href == url for link in links)
    assert any(link.rel == "related" and link.href == f"{base}/documents/{changing.kept_sha256}"
               for link in links)  # fmt: skip
    withheld = _link(checked, "/id.pdf").kept_sha256
    assert not any(withheld in link.href for link in links)


def test_oc4ids_documents_carry_the_hash_and_the_copy(site, demo_data):
    base, checked = site
    url = checked["bases"]["/changing.pdf"] + "/changing.pdf"
    code = _project_with(demo_data, url)
    package = httpx.get(f"{base}/exports/oc4ids.json", params={"project": code}).json()
    documents = [d for p in package["projects"] for d in p.get("documents", [])]
    found = next(d for d in documents if d.get("url") == url)
    sha256 = _link(checked, "/changing.pdf").kept_sha256
    assert found["archivedCopy"]["sha256"] == sha256
    assert found["archivedCopy"]["url"] == f"{base}/documents/{sha256}"


def test_metrics_count_links_by_state_and_department(site):
    base, _ = site
    metrics = httpx.get(f"{base}/metrics").text
    broken = re.findall(
        r'^registry_links\{department="[A-Z]+",state="broken"\} (\d+)', metrics, re.M
    )
    assert broken and sum(float(n) for n in broken) >= 5

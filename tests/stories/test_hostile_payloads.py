"""Hostile text through every writable text field, and every output read back for
executable content: a department's (or a registrar's) text is data on every surface.

Payloads are generated from the classics of stored XSS, CSV/Excel formula injection and
Trojan Source (HTML, script URLs, formula prefixes, bidirectional controls), put into a
project's name, owner and description, a disclosure's title, text elements, document title
and link, and a correction's reason. What the write path refuses (links that are not web
addresses, invisible controls) must be refused; everything else is read back from the
project page, the feed, GraphQL, the CSV and XLSX downloads, the GeoPackage and OC4IDS, and
must come back as the same text, never as markup, a formula or a link that runs code.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from openpyxl import load_workbook
from sqlalchemy import text

from registry import publishing as pub
from registry.cells import FORMULA_STARTS
from registry.errors import InvalidInput
from registry.publishing import Actor
from tests.registry.factories import PROJECT_CODE, approval_input, project_input, seeded

pytestmark = pytest.mark.generated
MARKUP = ["<script>alert(document.domain)</script>", '"><img src=x onerror=alert(1)>',
          "</textarea><svg onload=alert(1)>", "{{7*7}}${7*7}", "'; DROP TABLE projects; --",
          "<a href=\"javascript:alert(1)\">点我</a>"]  # fmt: skip
FORMULAS = ['=HYPERLINK("http://evil.example","点击查看")', "+cmd|' /C calc'!A0", "-2+3+cmd",
            "@SUM(1+1)*cmd", "\t=1+1", "=1+1"]  # fmt: skip
CONTROLS = ["\u202eexe.pdf", "正常\u200b标题", "\u2066隔离\u2069"]
LINKS = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>",
         "//evil.example/x", "vbscript:msgbox", " javascript:alert(1)", "file:///etc/passwd"]  # fmt: skip
SAFE_LINKS = ['https://www.nc.gov.cn/a.pdf?x=<b>&y="1"', "http://example.gov.cn/批复.pdf"]


class Executable(HTMLParser):
    """What in a page could run: scripts not of the register, event attributes, links and
    sources with a script scheme."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}>")
            if name in ("href", "src", "action", "formaction") and value.startswith(
                ("javascript:", "data:", "vbscript:")
            ):
                self.found.append(f"<{tag} {name}={value[:30]}>")
        if tag == "script":
            source = dict(attrs).get("src") or ""
            kind = dict(attrs).get("type") or ""
            if not source.startswith("/static/") and kind != "application/json":
                self.found.append("<script> not of the register")
        if tag in ("svg", "img", "iframe", "object", "embed"):
            self.found.append(f"<{tag}>")


@pytest.fixture
def site(session, system, live_server):
    seeded(session, system)
    with httpx.Client(base_url=f"http://127.0.0.1:{live_server}", timeout=120) as client:
        yield client


def test_every_text_field_is_data_on_every_surface(site, session, tmp_path):
    import pyogrio.raw

    tmp = tmp_path
    fgw, admin = Actor(path="test", department="FGW"), Actor(path="test", is_admin=True)
    counter = iter(range(10**6))

    @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
    @given(text=st.sampled_from(MARKUP + FORMULAS), other=st.sampled_from(MARKUP + FORMULAS),
           link=st.sampled_from(SAFE_LINKS))  # fmt: skip
    def check(text, other, link):
        n = next(counter)
        pub.upsert_project(session, admin, project_input(name=f"{text}{n}", owner=other,
                                                         description=text))  # fmt: skip
        data = approval_input(ref=f"P{n}", title=other, documents=[{"title": text, "url": link}])
        data.elements = {**data.elements, "approval_result": text, "approving_authority": other}
        row = pub.publish_disclosure(session, fgw, data).record
        pub.correct_disclosure(session, fgw, row.id, reason=text, title=text)
        session.commit()
        page = site.get(f"/projects/{PROJECT_CODE}").text
        parser = Executable()
        parser.feed(page)
        assert parser.found == [], parser.found
        assert str(escape(f"{text}{n}".strip())) in page  # shown, as text (trimmed when written)
        feed = ET.fromstring(site.get("/feeds/disclosures.atom").content)
        assert not [e for e in feed.iter() if "script" in e.tag.lower() or "svg" in e.tag.lower()]
        assert any(text.strip() in (e.text or "") for e in feed.iter())
        query = "query($c: String!) { project(code: $c) { name approvalResults { title documents { title url } } } }"
        answer = site.post(
            "/graphql", json={"query": query, "variables": {"c": PROJECT_CODE}}
        ).json()
        assert answer["data"]["project"]["name"] == f"{text}{n}".strip()
        urls = [
            d["url"] for r in answer["data"]["project"]["approvalResults"] for d in r["documents"]
        ]
        assert all(u is None or u.startswith(("http://", "https://", "/")) for u in urls)
        for name in ("/downloads/projects.csv", "/downloads/disclosures-approval_result.csv"):
            rows = list(csv.reader(io.StringIO(site.get(name).content.decode("utf-8-sig"))))
            formulas = [c for r in rows for c in r if c.startswith(FORMULA_STARTS)]
            assert formulas == [], (name, formulas[:3])
            kept = [
                c
                for r in rows
                for c in r
                if (c.startswith(text.strip()) or c[1:].startswith(text.strip()))
            ]
            assert kept, (name, repr(text), rows[-3:])  # kept, behind an apostrophe where needed
        for name in ("/downloads/projects.xlsx", "/downloads/disclosures.xlsx"):
            book = load_workbook(io.BytesIO(site.get(name).content))
            cells = [c for s in book.worksheets for r in s.iter_rows() for c in r]
            assert [c.value for c in cells if c.data_type == "f"] == [], name
            assert any(str(c.value).startswith(text.strip()) for c in cells), name
        gpkg = tmp / f"register{n}.gpkg"
        gpkg.write_bytes(site.get("/downloads/register.gpkg").content)
        meta, _, _, fields = pyogrio.raw.read(str(gpkg), layer="sites_lines")
        names = list(fields[list(meta["fields"]).index("name")])  # the sites layer's project name
        assert f"{text}{n}".strip() in names  # an attribute is the text, and only text
        package = site.get(f"/exports/oc4ids.json?project={PROJECT_CODE}").json()
        found = [d.get("url") for p in package["projects"] for d in p.get("documents", [])]
        assert all(u is None or u.startswith(("http://", "https://")) for u in found), found

    check()


def test_what_the_write_path_refuses(session, system):
    """Script links and invisible controls never get in: refused with the field named."""
    seeded(session, system)
    fgw = Actor(path="test", department="FGW")
    for n, link in enumerate(LINKS):
        with pytest.raises(InvalidInput) as refused:
            pub.publish_disclosure(session, fgw, approval_input(
                ref=f"L{n}", documents=[{"title": "批复", "url": link}]))  # fmt: skip
        (problem,) = refused.value.problems
        assert (problem.path, problem.code) == ("documents[0].url", "unsafe_url"), link
        assert "不是网址" in problem.message
    for n, control in enumerate(CONTROLS):
        with pytest.raises(InvalidInput) as refused:
            pub.publish_disclosure(session, fgw, approval_input(ref=f"C{n}", title=control))
        assert [(p.path, p.code) for p in refused.value.problems] == [
            ("title", "invisible_character")
        ]
        with pytest.raises(InvalidInput):
            pub.upsert_project(session, system, project_input(name=control))
    session.rollback()


def test_a_link_stored_before_the_check_is_not_shown_as_a_link(site, session):
    """Rows written before links were checked (or by hand in SQL) still never reach a reader
    as a link: the page shows the title as text, GraphQL answers null, OC4IDS leaves it out."""
    fgw = Actor(path="test", department="FGW")
    row = pub.publish_disclosure(session, fgw, approval_input(
        ref="OLD", documents=[{"title": "旧附件", "url": "https://example.gov.cn/a.pdf"}])).record  # fmt: skip
    session.execute(text("UPDATE disclosures SET documents = "
                         "'[{\"title\": \"旧附件\", \"url\": \"javascript:alert(1)\"}]' "
                         "WHERE id = :id"), {"id": row.id})  # fmt: skip
    session.commit()
    page = site.get(f"/projects/{PROJECT_CODE}").text
    assert "旧附件" in page and "javascript:" not in page
    query = "query($id: ID!) { disclosure(id: $id) { documents { title url } } }"
    answer = site.post("/graphql", json={"query": query, "variables": {"id": str(row.id)}}).json()
    assert answer["data"]["disclosure"]["documents"] == [{"title": "旧附件", "url": None}]
    assert "javascript:" not in site.get(f"/exports/oc4ids.json?project={PROJECT_CODE}").text

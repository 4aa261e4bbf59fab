"""The public pages over real HTTP against the demo data: the home page's figures, the
project list's filters (held to GraphQL's answer for the same filter, over generated
filters), each project's page, feed entries that resolve, and hostile query strings."""

from __future__ import annotations

import re
from urllib.parse import urlencode, urlsplit
from xml.etree import ElementTree as ET

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from registry.catalog import Category
from registry.models import PROJECT_STATUSES, PROJECT_TYPES

CATEGORIES = [c.value for c in Category]


@pytest.fixture(scope="module")
def site(live_server, demo_data):
    with httpx.Client(base_url=f"http://127.0.0.1:{live_server}", timeout=60) as client:
        yield client


def local(url: str) -> str:
    """An absolute URL of the server as a path and query, for the client."""
    parts = urlsplit(url.replace("&amp;", "&"))
    return parts.path + (f"?{parts.query}" if parts.query else "")


def total_shown(page: str) -> int:
    """The count a list page states ("共 <strong>1,234</strong> 个项目")."""
    found = re.search(r"共 <strong>([\d,]+)</strong> 个项目", page)
    assert found, page[:2000]
    return int(found.group(1).replace(",", ""))


def graphql_total(site, project_filter: dict) -> int:
    body = site.post(
        "/graphql",
        json={
            "query": "query($f: ProjectFilter) { projects(filter: $f) { totalCount } }",
            "variables": {"f": project_filter},
        },
    ).json()
    assert "errors" not in body, body
    return body["data"]["projects"]["totalCount"]


def test_the_home_page_states_what_the_public_can_count(site, demo_data):
    page = site.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    with demo_data.connect() as conn:
        projects = conn.scalar(text("SELECT count(*) FROM projects"))
        public = conn.scalar(text("SELECT count(*) FROM public_disclosures"))
    assert f"<strong>{projects:,}</strong> 个项目" in page.text
    assert f"<strong>{public:,}</strong> 条公开信息" in page.text
    for path in ("/projects", "/map", "/report", "/feeds/disclosures.atom", "/graphql", "/ogc"):
        assert f'href="{path}"' in page.text
    assert page.text.count('href="/projects?has=') == 8


def _filters(site) -> st.SearchStrategy[dict]:
    districts = re.findall(r'<option value="(\d{6})"', site.get("/projects").text)
    names = re.findall(r'<a href="/projects/[^"]+">([^<]+)</a>', site.get("/projects").text)
    words = sorted({name[i : i + 2] for name in names for i in range(0, len(name) - 1, 3)})
    return st.fixed_dictionaries(
        {},
        optional={
            "q": st.sampled_from(words),
            "district": st.sampled_from(districts),
            "status": st.sampled_from(list(PROJECT_STATUSES)),
            "type": st.sampled_from(list(PROJECT_TYPES)),
            "has": st.sampled_from(CATEGORIES),
            "lacks": st.sampled_from(CATEGORIES),
        },
    )


def as_graphql(filters: dict) -> dict:
    """The list's filters as GraphQL's ProjectFilter (enum values in upper case)."""
    names = {"q": "text", "district": "regionCode", "status": "status", "type": "type",
             "has": "hasCategory", "lacks": "lacksCategory"}  # fmt: skip
    return {
        names[key]: value if key in ("q", "district") else [value.upper()]
        for key, value in filters.items()
    }


@pytest.mark.generated
def test_the_list_counts_what_graphql_counts_for_the_same_filters(site):
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(filters=_filters(site))
    def check(filters):
        page = site.get("/projects?" + urlencode(filters))
        assert page.status_code == 200, page.text
        assert total_shown(page.text) == graphql_total(site, as_graphql(filters))

    check()


def test_the_list_pages_and_sorts(site):
    first = site.get("/projects", params={"sort": "name"}).text
    total = total_shown(first)
    codes = []
    page, url = first, "/projects?sort=name"
    while True:
        codes += re.findall(r'<a href="/projects/([0-9-]{24})">', page)
        following = re.search(r'<a href="([^"]+)" rel="next">', page)
        if not following:
            break
        url = following.group(1).replace("&amp;", "&")
        page = site.get(url).text
    assert len(codes) == len(set(codes)) == total  # every project once, across the pages


@pytest.mark.generated
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(["q", "district", "status", "type", "has", "lacks", "sort", "page",
                          "department"]),
    value=st.text(max_size=30),
)  # fmt: skip
@example(name="page", value="¹")  # a digit to str.isdigit, not to int (found by this test)
@example(name="page", value="٣")
def test_any_query_string_is_a_page_or_a_clear_refusal(site, name, value):
    page = site.get("/projects", params={name: value})
    assert page.status_code in (200, 400), page.text
    assert "Traceback" not in page.text
    if page.status_code == 400 and page.headers["content-type"].startswith("text/html"):
        assert 'role="alert"' in page.text and " · " in page.text  # Chinese, then English
    elif page.status_code == 400:  # a NUL, refused before any route, in the one error shape
        assert " · " in page.json()["description"]


def test_each_project_page_shows_its_public_items_and_none_other(site, demo_data):
    with demo_data.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT p.code, array_agg(d.lineage_id ORDER BY d.id) FILTER "
                "(WHERE d.id IS NOT NULL) FROM projects p "
                "LEFT JOIN public_disclosures d ON d.project_id = p.id GROUP BY p.code"
            )
        ).all()
        hidden = conn.execute(
            text(
                "SELECT p.code, d.lineage_id FROM disclosures d JOIN projects p ON p.id = "
                "d.project_id WHERE d.lineage_id NOT IN (SELECT lineage_id FROM public_revisions)"
            )
        ).all()
    for code, lineages in rows:
        page = site.get(f"/projects/{code}")
        assert page.status_code == 200, code
        shown = set(
            map(int, re.findall(r'<article class="disclosure[^"]*" id="d(\d+)"', page.text))
        )
        assert set(lineages or []) <= shown, code
        assert page.text.count('<section class="category"') == 8
    for code, lineage in hidden:  # drafts and items for specific groups
        assert f'id="d{lineage}"' not in site.get(f"/projects/{code}").text


def test_an_unknown_project_is_a_page_that_says_so(site):
    page = site.get("/projects/2099-360100-48-01-000000", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "没有项目统一代码为“2099-360100-48-01-000000”的项目" in page.text
    # the same refusal in the one error shape to a client that asks for JSON
    answer = site.get("/projects/2099-360100-48-01-000000", headers={"Accept": "application/json"})
    assert answer.status_code == 404 and answer.json()["problems"][0]["code"] == "unknown_project"
    lost = site.get("/no/such/page", headers={"Accept": "text/html"})
    assert lost.status_code == 404 and "没有找到" in lost.text


ATOM = "{http://www.w3.org/2005/Atom}"


def read_feed(site, url: str) -> tuple[list[tuple[str, str]], str | None]:
    """The entries (id, HTML link) of one page of the feed, and its next page."""
    feed = ET.fromstring(site.get(url).content)
    entries = [
        (
            entry.findtext(f"{ATOM}id"),
            next(
                link.get("href")
                for link in entry.findall(f"{ATOM}link")
                if link.get("rel") == "alternate" and link.get("type") == "text/html"
            ),
        )
        for entry in feed.findall(f"{ATOM}entry")
    ]
    following = [
        link.get("href") for link in feed.findall(f"{ATOM}link") if link.get("rel") == "next"
    ]
    return entries, local(following[0]) if following else None


def test_feed_entries_resolve_to_their_place_on_the_project_page(site):
    entries, _ = read_feed(site, "/feeds/disclosures.atom")
    assert entries
    for entry_id, link in entries[:30]:
        answered = site.get(local(entry_id), follow_redirects=False)
        project_page, anchor = link.split("#")
        assert answered.status_code == 303
        assert answered.headers["location"] == f"{local(project_page)}#{anchor}"
        assert f'id="{anchor}"' in site.get(local(project_page)).text
    assert site.get("/disclosures/999999999").status_code == 404
    assert site.get("/disclosures/not-a-number").status_code == 404


def test_the_feed_pages_back_through_everything(site, demo_data):
    with demo_data.connect() as conn:
        events = conn.scalar(
            text(
                "SELECT count(*) + count(withdrawn_at) FROM public_revisions "
                "WHERE published_at IS NOT NULL"
            )
        )
    seen: list[str] = []
    url: str | None = "/feeds/disclosures.atom"
    while url:
        entries, url = read_feed(site, url)
        seen += [entry_id for entry_id, _ in entries]
    assert len(seen) == len(set(seen)) == events
    assert site.get("/feeds/disclosures.atom", params={"before": "yesterday"}).status_code == 400


def test_the_home_page_counts_again_after_a_write(site, demo_data):
    from sqlalchemy.orm import Session

    from registry.publishing import Actor, withdraw_disclosure

    def public() -> int:
        with demo_data.connect() as conn:
            return int(conn.scalar(text("SELECT count(*) FROM public_disclosures")))

    before = public()
    assert f"<strong>{before:,}</strong> 条公开信息" in site.get("/").text  # kept from here on
    with Session(demo_data) as session, session.begin():
        victim = session.execute(text("SELECT id FROM public_disclosures LIMIT 1")).scalar_one()
        withdraw_disclosure(session, Actor(path="test:pages"), victim, "测试撤回")
    assert public() == before - 1
    assert f"<strong>{before - 1:,}</strong> 条公开信息" in site.get("/").text

"""The change stream as readers use it: /changes and GraphQL `changes` on a real server,
held against a reference computed here from the events table and the register itself."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.orm import Session

from registry import publishing as pub
from registry.identifiers import region_prefix
from registry.models import Disclosure
from registry.publishing import Actor
from registry.reading.changes import FAMILIES, KINDS
from tests.conftest import GraphQLClient

DOCS = Path(__file__).resolve().parents[3] / "docs"
SYSTEM = Actor(path="test:changes", is_admin=True)


def _everything(base: str, after: str = "", **params) -> list[dict]:
    events, cursor = [], after
    with httpx.Client(timeout=30) as http:
        while True:
            reply = http.get(f"{base}/changes", params={**params, "after": cursor, "limit": 97})
            assert reply.status_code == 200, reply.text
            assert reply.headers["content-type"].startswith("application/jsonl")
            events += [json.loads(line) for line in reply.text.splitlines()]
            cursor = reply.headers["Registry-Next-Cursor"]
            if reply.headers["Registry-Has-More"] != "true":
                return events


@pytest.fixture(scope="module")
def base(demo_data, live_server) -> str:
    return f"http://127.0.0.1:{live_server}"


@pytest.fixture(scope="module")
def stream(base) -> list[dict]:
    return _everything(base)


def test_the_demo_load_is_in_the_stream_once_each(demo_data, stream):
    with demo_data.connect() as conn:
        recorded = conn.scalar(text("SELECT count(*) FROM change_events"))
        public = set(conn.scalars(text("SELECT id FROM public_revisions")))
        projects = conn.scalar(text("SELECT count(*) FROM projects"))
    cursors = [e["cursor"] for e in stream]
    assert len(stream) == recorded == len(set(cursors)) > 500
    items = [e for e in stream if e["kind"].startswith("item.")]
    assert {e["data"]["id"] for e in items} == public  # drafts and group-only: none
    assert sum(e["kind"] == "project.registered" for e in stream) == projects
    assert {e["kind"] for e in stream} <= set(KINDS)


LISTED = st.lists(st.sampled_from(sorted({*KINDS, *FAMILIES})), max_size=3, unique=True)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    region=st.sampled_from([None, "360000", "360100", "360111", "360121", "3601", "999900"]),
    department=st.sampled_from([None, "NCFGW", "NCJSJ", "NCZRZY", "QSHQ", "NOBODY"]),
    category=st.lists(
        st.sampled_from(["bidding", "land_acquisition", "approval_result"]), max_size=2, unique=True
    ),  # fmt: skip
    kinds=LISTED,
)
def test_filters_mean_what_the_reference_says(base, stream, region, department, category, kinds):
    """Every combination of filters against the whole stream filtered here, in Python."""
    chosen = {k for k in KINDS if k in kinds or k.split(".")[0] in kinds}

    def wanted(e: dict) -> bool:
        return (
            (region is None or (e["region"] or "").startswith(region_prefix(region)))
            and (department is None or e["department"] == department)
            and (not category or e["category"] in category)
            and (not kinds or e["kind"] in chosen)
        )

    params = {k: v for k, v in (("region", region), ("department", department)) if v}
    if category:
        params["category"] = ",".join(category)
    if kinds:
        params["kind"] = kinds
    assert _everything(base, **params) == [e for e in stream if wanted(e)]


def test_graphql_pages_give_the_same_stream(base, stream):
    gql, events, cursor = GraphQLClient(base), [], None
    while True:
        page = gql.data(
            "query($a: String) { changes(after: $a, first: 100) { endCursor hasMore "
            "events { cursor seq kind project region department category item list data } } }",
            {"a": cursor},
        )["changes"]
        events += page["events"]
        cursor = page["endCursor"]
        if not page["hasMore"]:
            break
    gql.http.close()
    assert events == [{k: v for k, v in e.items() if k != "at"} for e in stream]


def test_changes_show_what_the_public_may_see(demo_data, base, stream):
    latest = stream[-1]["cursor"]
    with Session(demo_data) as session, session.begin():
        row = session.query(Disclosure).filter_by(status="published", audience="public").first()
        project = row.project
        old_name, lineage = project.name, row.lineage_id
        pub.upsert_project(
            session, SYSTEM, pub.ProjectInput(code=project.code, name="改名后的项目")
        )
        pub.withdraw_disclosure(session, SYSTEM, row.id, reason="重复发布")
        draft = pub.DisclosureInput(
            project_code=project.code, item=row.item_key, formed_on=row.formed_on,
            elements=dict(row.elements), ref="draft-1", publisher=row.publisher.code, draft=True,
        )  # fmt: skip
        pub.publish_disclosure(session, SYSTEM, draft)
    after = _everything(base, after=latest)
    assert [e["kind"] for e in after] == ["project.changed", "item.withdrawn"]  # no draft
    changed, withdrawn = after
    assert changed["data"]["changes"] == [
        {"field": "name", "before": old_name, "after": "改名后的项目"}
    ]
    assert withdrawn["data"]["reason"] == "重复发布" and withdrawn["data"]["withdrawn_by"]
    # the item's earlier events keep their place, not their content
    earlier = [e for e in _everything(base, project=changed["project"], kind="item")
               if e["data"]["lineage_id"] == lineage]  # fmt: skip
    assert earlier[0]["kind"] == "item.published"
    assert earlier[0]["data"]["item_withdrawn"] is True and "已撤回" in earlier[0]["data"]["title"]
    # a mirror that starts from now gets only what follows
    with httpx.Client() as http:
        now = http.get(f"{base}/changes", params={"after": "latest"})
    assert now.text == "" and now.headers["Registry-Next-Cursor"] == after[-1]["cursor"]


@pytest.mark.parametrize(
    "params, path, code",
    [
        ({"after": "12"}, "after", "bad_cursor"),
        ({"after": "1-2-3"}, "after", "bad_cursor"),
        ({"kind": "item,nope"}, "kind", "unknown_value"),
        ({"category": "roads"}, "category", "unknown_value"),
        ({"limit": "0"}, "limit", "out_of_range"),
        ({"limit": "x"}, "limit", "out_of_range"),
        ({"limit": "10001"}, "limit", "out_of_range"),
    ],
)
def test_bad_requests_are_refused_by_name(base, params, path, code):
    with httpx.Client() as http:
        reply = http.get(f"{base}/changes", params=params)
    assert reply.status_code == 400
    assert [(p["path"], p["code"]) for p in reply.json()["problems"]] == [(path, code)]


def _consumer_source() -> str:
    page = (DOCS / "api.md").read_text(encoding="utf-8")
    section = page[page.index("A consumer in twenty lines") :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_documented_consumer_follows_and_resumes(demo_data, base, tmp_path):
    source = _consumer_source()
    assert len([line for line in source.splitlines() if line.strip()]) <= 20
    script = tmp_path / "consumer.py"
    script.write_text(source, encoding="utf-8")
    env = {**os.environ, "REGISTRY_URL": base}

    def run() -> list[str]:
        try:
            subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=6)  # fmt: skip
        except subprocess.TimeoutExpired as stopped:  # it follows for ever: stop it
            out = stopped.stdout or b""
            return (out.decode() if isinstance(out, bytes) else out).splitlines()
        raise AssertionError("the consumer stopped by itself")

    with demo_data.connect() as conn:
        recorded = conn.scalar(text("SELECT count(*) FROM change_events"))
    assert len(run()) == recorded
    with httpx.Client() as http:
        latest = http.get(f"{base}/changes", params={"after": "latest"})
    assert (tmp_path / "cursor.txt").read_text() == latest.headers["Registry-Next-Cursor"]
    assert run() == []  # resumed where it stopped: nothing twice


def test_the_atom_feed_is_the_stream_newest_first(base, demo_data):
    import feedparser

    stream = _everything(base, kind="item,list")
    with httpx.Client() as http:
        entries, url, pages = [], f"{base}/feeds/changes.atom?kind=item,list", 0
        while url:
            reply = http.get(url)
            assert reply.headers["content-type"].startswith("application/atom+xml")
            parsed = feedparser.parse(reply.content)
            assert not parsed.bozo, parsed.bozo_exception
            entries += parsed.entries
            nexts = [link.href for link in parsed.feed.links if link.rel == "next"]
            url, pages = (nexts[0] if nexts else None), pages + 1
    assert pages > 1  # paged back by its next links (RFC 5005)
    assert [e.id.rsplit("#", 1)[1] for e in entries] == [e["cursor"] for e in reversed(stream)]
    assert {e.tags[0].term for e in entries} == {e["kind"] for e in stream}
    assert all(e.title.startswith("【") for e in entries)

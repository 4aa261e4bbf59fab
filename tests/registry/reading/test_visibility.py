"""One meaning of "public", "current" and "on time" on every surface, now and as of earlier
moments.

On the demo data, an item is corrected (T1), another withdrawn (T2) and a third published
(T3). Then GraphQL (compiled and resolvers), the OGC API, the feed, the OC4IDS export and
the scoreboard must agree on which items are public, in which revision, which are
withdrawn (and say so), and how timely each was; and `asOf` must answer what was public at
T0 < T1 < T2 < T3.
"""

from __future__ import annotations

import datetime as dt
import time
import xml.etree.ElementTree as ET

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from registry import publishing as pub
from registry.models import Disclosure, Project
from registry.publishing import Actor
from tests.conftest import GraphQLClient

FGW = Actor(path="test:visibility", department="NCFGW")
PROJECT = "2019-360100-48-01-100000"  # 南昌地铁4号线
ATOM = "{http://www.w3.org/2005/Atom}"


def moment(engine) -> str:
    """A moment after everything written so far and before anything written next: the
    database's clock rounded up to the second (the API's Timestamps have whole seconds)."""
    with engine.connect() as conn:
        now = conn.scalar(text("SELECT date_trunc('second', clock_timestamp()) + interval '1 s'"))
    time.sleep(1.2)
    return now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def story(demo_data):
    """Correct A at T1, withdraw B at T2, publish E at T3; the moments and the ids."""
    with Session(demo_data) as session:
        project_id = session.scalar(select(Project.id).where(Project.code == PROJECT))
        a, b = session.scalars(
            select(Disclosure)
            .where(
                Disclosure.project_id == project_id,
                Disclosure.category == "approval_result",
                Disclosure.status == "published",
                Disclosure.publisher.has(code="NCFGW"),
            )
            .order_by(Disclosure.id)
            .limit(2)
        ).all()
        a_id, b_id, a_title = a.id, b.id, a.title
    t0 = moment(demo_data)
    with Session(demo_data) as session, session.begin():
        a2 = pub.correct_disclosure(
            session, FGW, a_id, reason="文号录入错误", title=a_title + "（更正）"
        )
        a2_id = a2.record.id
    t1 = moment(demo_data)
    with Session(demo_data) as session, session.begin():
        pub.withdraw_disclosure(session, FGW, b_id, reason="重复发布")
    t2 = moment(demo_data)
    with Session(demo_data) as session, session.begin():
        e = pub.publish_disclosure(session, FGW, pub.DisclosureInput(
            project_code=PROJECT, item="gov_project_adjustment_approval", ref="visibility",
            formed_on=dt.date(2024, 5, 6), elements={
                "approval_result": "同意", "approval_date": "2024-05-06",
                "approval_doc_no": "洪发改投资〔2024〕77号", "approving_authority": "南昌市发改委"}))  # fmt: skip
        e_id = e.record.id
    t3 = moment(demo_data)
    return {"t0": t0, "t1": t1, "t2": t2, "t3": t3, "a": a_id, "a2": a2_id, "b": b_id, "e": e_id}


@pytest.fixture(scope="module")
def apis(story, live_server, resolver_server):
    clients = [GraphQLClient(f"http://127.0.0.1:{port}") for port in (live_server, resolver_server)]
    yield clients
    for client in clients:
        client.http.close()


PAGE = """query($code: String!, $asOf: Timestamp) { project(code: $code, asOf: $asOf) {
  approvalResults { id revision title status timeliness { status deadline workingDaysLate } }
  completeness { missingItems } } }"""


def public_ids(api, as_of=None) -> dict[int, int]:
    """id -> revision of the project's public approval results (now or as of)."""
    rows = api.data(PAGE, {"code": PROJECT, "asOf": as_of})["project"]["approvalResults"]
    return {int(r["id"]): r["revision"] for r in rows}


def test_graphql_paths_agree_and_as_of_answers_each_moment(apis, story):
    s = story
    for api in apis:
        expected = {
            "t0": ({s["a"], s["b"]}, {s["a2"], s["e"]}),
            "t1": ({s["a2"], s["b"]}, {s["a"], s["e"]}),
            "t2": ({s["a2"]}, {s["a"], s["b"], s["e"]}),
            "t3": ({s["a2"], s["e"]}, {s["a"], s["b"]}),
        }
        for when, (present, absent) in expected.items():
            ids = set(public_ids(api, s[when]))
            assert present <= ids and not (absent & ids), (when, ids)
        assert set(public_ids(api)) == set(public_ids(api, s["t3"]))  # now == the last moment
    compiled, resolvers = apis
    for when in (None, "t0", "t1", "t2", "t3"):
        variables = {"code": PROJECT, "asOf": s[when] if when else None}
        assert compiled.post(PAGE, variables).content == resolvers.post(PAGE, variables).content


REVISION = """query($id: ID!, $asOf: Timestamp) { disclosure(id: $id, asOf: $asOf) {
  id revision status title publishedAt firstPublishedAt
  ... on ApprovalResultDisclosure { approvalDocNo }
  withdrawal { at reason by { code } } currentRevision { id revision }
  history { revision status elements withdrawnReason } } }"""


def test_every_public_revision_answers_in_its_state(apis, story):
    s = story
    api = apis[0]
    old = api.data(REVISION, {"id": s["a"]})["disclosure"]
    assert old["status"] == "SUPERSEDED" and old["currentRevision"]["id"] == str(s["a2"])
    assert (
        old["firstPublishedAt"]
        == api.data(REVISION, {"id": s["a2"]})["disclosure"]["firstPublishedAt"]
    )
    gone = api.data(REVISION, {"id": s["b"]})["disclosure"]
    assert gone["status"] == "WITHDRAWN" and gone["approvalDocNo"] is None
    assert (
        gone["withdrawal"]["reason"] == "重复发布" and gone["withdrawal"]["by"]["code"] == "NCFGW"
    )
    assert "已撤回" in gone["title"] and all(h["elements"] == {} for h in gone["history"])
    before = api.data(REVISION, {"id": s["b"], "asOf": s["t1"]})["disclosure"]
    assert before["status"] == "PUBLISHED" and before["approvalDocNo"] and not before["withdrawal"]
    assert api.data(REVISION, {"id": s["e"], "asOf": s["t2"]})["disclosure"] is None
    withdrawn = api.data("{ disclosures(filter: {withdrawn: true}) { nodes { id status } } }")
    assert {"id": str(s["b"]), "status": "WITHDRAWN"} in withdrawn["disclosures"]["nodes"]


def test_a_correction_does_not_change_timeliness(apis, story, demo_data):
    s = story
    api = apis[0]
    now = {int(r["id"]): r for r in api.data(PAGE, {"code": PROJECT})["project"][
        "approvalResults"]}  # fmt: skip
    then = {int(r["id"]): r for r in api.data(PAGE, {"code": PROJECT, "asOf": s["t0"]})[
        "project"]["approvalResults"]}  # fmt: skip
    assert now[s["a2"]]["timeliness"] == then[s["a"]]["timeliness"]
    assert now[s["a2"]]["revision"] == 2


def test_ogc_feed_export_and_scoreboard_agree(apis, story, live_server):
    s, api = story, apis[0]
    base = f"http://127.0.0.1:{live_server}"
    public = public_ids(api)
    feature = httpx.get(f"{base}/ogc/collections/projects/items/{PROJECT}", timeout=30).json()
    listed = api.data(
        "query($p: String) { disclosures(filter: {projectCode: $p}, first: 100) { totalCount } }",
        {"p": PROJECT},
    )["disclosures"]["totalCount"]
    assert feature["properties"]["disclosures"] == listed

    package = httpx.get(f"{base}/exports/oc4ids.json", params={"project": PROJECT},
                        timeout=30).json()  # fmt: skip
    numbers = {a["documentNumber"] for a in package["projects"][0].get("x_approvals", [])}
    assert "洪发改投资〔2024〕77号" in numbers  # E, public now
    then = httpx.get(f"{base}/exports/oc4ids.json", params={"project": PROJECT, "asOf": s["t2"]},
                     timeout=30).json()  # fmt: skip
    assert "洪发改投资〔2024〕77号" not in {
        a["documentNumber"] for a in then["projects"][0].get("x_approvals", [])
    }

    feed = ET.fromstring(httpx.get(f"{base}/feeds/disclosures.atom", timeout=30).content)
    entries = {e.find(f"{ATOM}id").text: e for e in feed.iter(f"{ATOM}entry")}
    assert f"{base}/disclosures/{s['b']}/withdrawal" in entries
    assert entries[f"{base}/disclosures/{s['a2']}"].find(f"{ATOM}title").text.startswith("【更正】")
    for entry_id in (f"{base}/disclosures/{s['a2']}", f"{base}/disclosures/{s['b']}/withdrawal"):
        links = {
            link.get("rel"): link.get("href") for link in entries[entry_id].findall(f"{ATOM}link")
        }
        assert "/projects/" in links["alternate"]  # the page; the API's answer is "related"
        linked = httpx.get(links["related"], timeout=30).json()["data"]["disclosure"]
        assert linked is not None and linked["status"] in ("PUBLISHED", "WITHDRAWN")

    board = api.data(
        '{ complianceScoreboard(department: "NCFGW") { category published onTime late '
        "noDeadline } }"
    )["complianceScoreboard"]
    fgw_approvals = next(b for b in board if b["category"] == "APPROVAL_RESULT")
    count = api.data(
        '{ disclosures(filter: {publisher: "NCFGW", category: [APPROVAL_RESULT]}) { totalCount } }'
    )["disclosures"]["totalCount"]
    assert fgw_approvals["published"] == count  # the public can reproduce the figure
    assert fgw_approvals["onTime"] + fgw_approvals["late"] + fgw_approvals["noDeadline"] == count
    assert set(public) >= {s["a2"], s["e"]}


def test_the_public_scoreboard_counts_only_public_items_the_admin_one_more(apis, demo_data):
    from registry.publishing.keys import create_key

    with Session(demo_data) as session, session.begin():
        _, admin = create_key(session, "NCXZSP", admin=True)
    query = "query($s: ScoreScope) { complianceScoreboard(scope: $s) { published overdue } }"
    api = apis[0]
    public = api.data(query, {"s": "PUBLIC"})["complianceScoreboard"]
    refused = api.errors(query, {"s": "ALL"})
    assert refused[0]["extensions"]["code"] == "UNAUTHENTICATED"
    everything = api.http.post(api.url, json={"query": query, "variables": {"s": "ALL"}},
                               headers={"authorization": f"Bearer {admin}"}).json()  # fmt: skip
    total = sum(s["published"] for s in everything["data"]["complianceScoreboard"])
    assert total > sum(s["published"] for s in public)  # items for specific groups count

"""The lists of major projects wherever the data goes, on the demo data and the running
server: GraphQL (lists, entries, figures, the project filter, scope and declarations, the
mutations and their refusals), the pages, the OGC API filter, the downloads, the feed (read
by feedparser), the scoreboard's list filter, and the `registry lists` command — each
answer held against the one SQL definition (registry/reading/scope.py) or another path."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import feedparser
import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from registry.models import ListEntry, ProjectList
from registry.reading import scope
from tests.conftest import GraphQLClient, read

CITY = "南昌市2024年重大建设项目名单"
ADJUSTED = "2024-07-15"
LISTS = "{ projectLists { id name level year members inForce issuer { code } docNo } }"
ONE = """query($id: ID!, $on: Date) { projectList(id: $id, on: $on) { name members
  entries(on: $on) { rowNo section nature totalInvestment addedOn addedByAdjustment removedOn
    removedReason current project { code } }
  figures(on: $on) { category department { code } projects due published onTime late
    notApplicable notYetFormed missing missingItems { project item { key } } } } }"""


@pytest.fixture(scope="module")
def base(live_server, demo_data) -> str:
    return f"http://127.0.0.1:{live_server}"


@pytest.fixture(scope="module")
def gql(base):
    client = GraphQLClient(base)
    yield client
    client.http.close()


@pytest.fixture(scope="module")
def city(demo_data) -> int:
    with Session(demo_data) as session:
        return session.scalar(select(ProjectList.id).where(ProjectList.name == CITY))


def test_the_demo_lists_as_graphql_gives_them(gql, city):
    lists = {x["name"]: x for x in gql.data(LISTS)["projectLists"]}
    assert lists[CITY]["level"] == "MUNICIPAL" and lists[CITY]["issuer"]["code"] == "NCFGW"
    assert lists[CITY]["docNo"] == "洪发改重大〔2024〕5号"
    before = gql.data(ONE, {"id": str(city), "on": "2024-05-01"})["projectList"]
    after = gql.data(ONE, {"id": str(city), "on": "2024-08-01"})["projectList"]
    assert before["members"] == 18 and after["members"] == 18  # one in, one out
    removed = [e for e in after["entries"] if not e["current"]]
    assert [e["removedReason"] for e in removed] == ["前期工作未完成，调整为预备项目"]
    added = [e for e in after["entries"] if e["addedByAdjustment"]]
    assert [e["addedOn"] for e in added] == [ADJUSTED]
    assert not any(e["addedByAdjustment"] for e in before["entries"])
    # the project registered from the review is on it, with what the list says
    lifeline = [e for e in before["entries"] if e["project"]["code"] == "2404-360100-48-01-351408"]
    assert lifeline and lifeline[0]["totalInvestment"] == 32000.0
    assert lifeline[0]["section"].startswith("（一）新开工项目") and lifeline[0]["nature"] == "NEW"


def test_list_figures_in_graphql_are_the_one_sql_definition(gql, city, demo_data):
    import datetime as dt

    for day in ("2024-05-01", "2024-08-01", "2026-06-01"):
        answered = gql.data(ONE, {"id": str(city), "on": day})["projectList"]["figures"]

        async def work(conn, day=day):
            return await scope.figures(conn, city, dt.date.fromisoformat(day))

        expected = read(demo_data, work)
        assert [(f["category"].lower(), f["department"]["code"], f["due"], f["published"],
                 f["onTime"], f["late"], f["notApplicable"], f["notYetFormed"], f["missing"])
                for f in answered] == [
            (f.category, f.department, f.due, f.published, f.on_time, f.late, f.not_applicable,
             f.not_yet_formed, f.missing) for f in expected]  # fmt: skip
        for f in answered:
            assert f["missing"] == len(f["missingItems"])


def test_the_project_filter_the_ogc_filter_and_the_pages_agree(gql, base, city, demo_data):
    query = "query($f: ProjectFilter) { projects(filter: $f, first: 100) { totalCount nodes { code } } }"
    on_list = gql.data(query, {"f": {"list": str(city)}})["projects"]
    with Session(demo_data) as session:
        members = set(session.scalars(text(
            "SELECT p.code FROM list_entries e JOIN projects p ON p.id = e.project_id "
            "WHERE e.list_id = :l AND e.removed_on IS NULL"), {"l": city}))  # fmt: skip
    assert {n["code"] for n in on_list["nodes"]} == members
    ogc = httpx.get(f"{base}/ogc/collections/projects/items",
                    params={"list": city, "limit": 100}).json()  # fmt: skip
    assert {f["id"] for f in ogc["features"]} == members
    page = httpx.get(f"{base}/projects", params={"list": city}).text
    assert f"<strong>{len(members)}</strong> 个项目" in page
    major = gql.data(query, {"f": {"major": True}})["projects"]
    minor = gql.data(query, {"f": {"major": False}})["projects"]
    everything = gql.data(query, {"f": {}})["projects"]
    assert major["totalCount"] + minor["totalCount"] == everything["totalCount"]
    assert minor["totalCount"] >= 1  # the demo's filing project on no list in force
    not_major = httpx.get(f"{base}/ogc/collections/projects/items",
                          params={"major": "false", "limit": 100}).json()  # fmt: skip
    assert {f["id"] for f in not_major["features"]} == {n["code"] for n in minor["nodes"]}


def test_a_project_says_why_it_is_major_and_what_was_declared(gql, base):
    found = gql.data("""{ project(code: "2205-360102-48-01-250461") {
      scope { major reasons { kind name } }
      declarations { category kind reason department { code } }
      completeness { declaredItems } } }""")["project"]  # fmt: skip
    assert found["scope"]["major"] and found["scope"]["reasons"][0]["kind"] == "rule"
    assert found["declarations"] == [{"category": "LAND_ACQUISITION", "kind": "NOT_APPLICABLE",
                                      "reason": "在原校址改扩建，使用存量国有建设用地，不涉及征收土地",
                                      "department": {"code": "DHQ"}}]  # fmt: skip
    page = httpx.get(f"{base}/projects/2205-360102-48-01-250461").text
    assert "不涉及：在原校址改扩建" in page and "符合范围规则" in page
    assert 'href="/catalog/' in page  # published items link to the catalog


def test_mutations_keep_to_the_office_and_the_responsible_body(gql, keys, demo_data):
    def call(query, variables, key):
        response = httpx.post(gql.url, json={"query": query, "variables": variables},
                              headers={"Authorization": f"Bearer {keys[key]}"})  # fmt: skip
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, body
        return next(iter(body["data"].values()))

    save = """mutation($i: ListInput!) { saveList(input: $i) { action id userErrors { path code } } }"""
    given = {"name": "南昌市2025年重大建设项目名单", "level": "MUNICIPAL", "year": 2025,
             "regionCode": "360100", "issuedOn": "2025-03-01"}  # fmt: skip
    refused = call(save, {"i": given}, "jsj")
    assert refused["action"] is None and refused["userErrors"][0]["code"] == "not_list_office"
    made = call(save, {"i": given}, "fgw")
    assert made["action"] == "added" and made["userErrors"] == []
    add = """mutation($l: ID!, $i: EntryInput!) { addToList(list: $l, input: $i) { action userErrors { code } } }"""
    assert call(add, {"l": made["id"], "i": {"projectCode": "2019-360100-48-01-100000"}},
                "fgw")["action"] == "added"  # fmt: skip
    declare = """mutation($i: DeclarationInput!) { declare(input: $i) { action userErrors { path code } } }"""
    land = {"projectCode": "2112-360121-48-01-226704", "category": "LAND_ACQUISITION",
            "kind": "NOT_APPLICABLE", "reason": "使用存量建设用地"}  # fmt: skip
    assert call(declare, {"i": land}, "jsj")["userErrors"][0]["code"] == "not_responsible"
    with Session(demo_data) as session:
        count = session.scalar(text("SELECT count(*) FROM declarations WHERE project_id = "
                                    "(SELECT id FROM projects WHERE code = '2112-360121-48-01-226704')"))  # fmt: skip
    assert count == 0
    with demo_data.begin() as conn:  # leave the demo lists as they were
        conn.execute(text("DELETE FROM project_lists WHERE id = :id"), {"id": int(made["id"])})


def test_downloads_feed_and_scoreboard_of_a_list(base, city, demo_data):
    response = httpx.get(f"{base}/lists/{city}.csv", params={"on": "2024-08-01"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    with Session(demo_data) as session:
        entries = session.scalars(select(ListEntry).where(ListEntry.list_id == city)).all()
    assert len(rows) == len(entries) == 19
    assert {r["在列 on the list"] for r in rows} == {"是", "否"}
    xlsx = httpx.get(f"{base}/lists/{city}.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    projects = list(
        csv.DictReader(io.StringIO(httpx.get(f"{base}/projects.csv").content.decode("utf-8-sig")))
    )
    assert {r["重大建设项目 major"] for r in projects} == {"是", "否"}
    assert any("江西省2026年省重点建设项目名单" in r["所在名单 on lists"] for r in projects)
    feed = feedparser.parse(httpx.get(f"{base}/feeds/lists.atom", params={"list": city}).content)
    assert not feed.bozo and len(feed.entries) == len(entries) + 1  # 19 put on, 1 taken off
    titles = [e.title for e in feed.entries]
    assert sum(t.startswith("【调出】") for t in titles) == 1
    assert sum(t.startswith("【增补】") for t in titles) == 1
    whole = httpx.get(f"{base}/report.csv").text
    listed = httpx.get(f"{base}/report.csv", params={"list": city}).text

    def published(body: str) -> int:
        return sum(int(r["published"]) for r in csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))

    assert 0 < published(listed) < published(whole)
    assert "out_of_scope" in whole.splitlines()[0]


def test_pages_refuse_what_is_not_there(base):
    for path, status in (("/lists/999999", 404), ("/lists/abc", 400), ("/lists?level=city", 400),
                         ("/lists/1?on=2024-13-01", 400), ("/catalog/nothing", 404),
                         ("/lists/1.csv?on=x", 400), ("/feeds/lists.atom?list=x", 400)):  # fmt: skip
        response = httpx.get(base + path)
        assert response.status_code == status, (path, response.text)
        assert response.json()["problems"]


def test_the_lists_command(database_url, demo_data, city):
    env = {**os.environ, "DATABASE_URL": database_url}
    shown = subprocess.run([sys.executable, "-m", "registry.cli", "lists", "show"],
                           capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert shown.returncode == 0 and CITY in shown.stdout
    one = subprocess.run([sys.executable, "-m", "registry.cli", "lists", "show", str(city),
                          "--on", "2024-08-01"], capture_output=True, text=True, env=env,
                         timeout=120)  # fmt: skip
    assert one.returncode == 0 and "调出 2024-07-15" in one.stdout
    assert "approval_result" in one.stdout


def test_the_upload_page_matches_a_list_and_the_clerk_decides(base, keys, demo_data):
    import re
    from pathlib import Path

    from registry import publishing as pub
    from registry.publishing import Actor

    with Session(demo_data) as session, session.begin():
        made = pub.save_list(session, Actor(path="test", is_admin=True), pub.ListInput(
            name="南昌市2025年重大建设项目名单", level="municipal", year=2025, region_code="360100",
            issuer="NCFGW", issued_on="2025-02-20", doc_no="洪发改重大〔2025〕3号"))  # fmt: skip
        list_id = made.record.id
    example = (
        Path(__file__).resolve().parents[2]
        / "docs"
        / "examples"
        / "南昌市2025年重大建设项目名单.xlsx"
    )
    with example.open("rb") as handle:
        checked = httpx.post(f"{base}/upload/check", data={
            "key": keys["fgw"], "kind": "list", "list": str(list_id)},
            files={"file": (example.name, handle)}, timeout=60)  # fmt: skip
    assert checked.status_code == 200, checked.text
    page = checked.text
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    assert 'name="decide-6"' in page and 'name="decide-8"' in page
    assert 'name="decide-4"' not in page  # matched by name: nothing to decide
    # one row left undecided: nothing written, the same file offered again
    again = httpx.post(f"{base}/upload/confirm", data={"token": token, "decide-6": "1"})
    assert again.status_code == 200 and "尚未写入" in again.text
    with Session(demo_data) as session:
        assert session.scalar(select(func.count()).select_from(ListEntry)
                              .where(ListEntry.list_id == list_id)) == 0  # fmt: skip
    token = re.search(r'name="token" value="([^"]+)"', again.text).group(1)
    done = httpx.post(f"{base}/upload/confirm", data={
        "token": token, "decide-6": "1", "decide-8": "不匹配", "reason-8": "二期尚未赋码"})  # fmt: skip
    assert done.status_code == 200 and "已写入" in done.text, done.text
    with Session(demo_data) as session:
        assert session.scalar(select(func.count()).select_from(ListEntry)
                              .where(ListEntry.list_id == list_id)) == 3  # fmt: skip
    used = httpx.post(f"{base}/upload/confirm", data={"token": token})
    assert used.status_code == 410
    with demo_data.begin() as conn:
        conn.execute(text("DELETE FROM project_lists WHERE id = :id"), {"id": list_id})

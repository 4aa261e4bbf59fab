"""OC4IDS export, Atom feed, report page and commands, over real HTTP and the CLI."""

import csv
import io
import json
import os
import subprocess
import sys
from xml.etree import ElementTree as ET

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from registry.exports import oc4ids

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def base(live_server, demo_data):
    return f"http://127.0.0.1:{live_server}"


def test_the_demo_export_validates_with_zero_errors(base):
    document = httpx.get(f"{base}/exports/oc4ids.json", timeout=60).json()
    assert oc4ids.problems(document) == []
    assert len(document["projects"]) >= 30 and document["version"] == "0.9"
    metro = next(
        p for p in document["projects"] if p["identifiers"][0]["id"] == "2019-360100-48-01-100000"
    )
    assert metro["id"].startswith("oc4ids-") and metro["status"] == "completion"
    assert metro["budget"]["amount"] == {"amount": 24_000_000_000.0, "currency": "CNY"}
    assert {m["type"] for m in metro["milestones"]} == {"approval"}
    assert any(a["documentNumber"].startswith("洪发改投资") for a in metro["x_approvals"])
    assert (
        metro["x_landAcquisition"]
        and metro["contractingProcesses"]
        and metro["completion"]["endDate"]
    )
    assert {loc["geometry"]["type"] for loc in metro["locations"]} == {"LineString", "MultiPoint"}


def test_the_validator_catches_what_the_schema_forbids():
    bad = {
        "uri": "x y",
        "publishedDate": "2024-01-01",
        "version": "0.9.5",
        "publisher": {"name": "x"},
        "projects": [
            {
                "id": "p",
                "status": "construction",
                "budget": {"amount": {"amount": "1", "currency": "RMB"}},
            }
        ],
    }
    found = " ".join(oc4ids.problems(bad))
    for expected in (
        "'x y' is not a 'uri'",
        "'2024-01-01' is not a 'date-time'",
        "does not match",
        "'construction' is not one of",
        "'1' is not of type 'number'",
        "'RMB' is not one of",
    ):
        assert expected in found


def test_one_project_and_an_unknown_one(base):
    one = httpx.get(
        f"{base}/exports/oc4ids.json", params={"project": "2019-360100-48-01-100000"}
    ).json()
    assert len(one["projects"]) == 1 and oc4ids.problems(one) == []
    assert (
        httpx.get(
            f"{base}/exports/oc4ids.json", params={"project": "2099-360100-48-01-000000"}
        ).status_code
        == 404
    )


def test_the_feed_is_atom_and_filters(base):
    response = httpx.get(f"{base}/feeds/disclosures.atom")
    assert response.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed" and root.find(f"{ATOM}id") is not None
    entries = root.findall(f"{ATOM}entry")
    assert 0 < len(entries) <= 100
    for entry in entries:
        assert (
            entry.find(f"{ATOM}id").text
            and entry.find(f"{ATOM}updated").text
            and entry.find(f"{ATOM}title").text
        )
    bidding = ET.fromstring(
        httpx.get(f"{base}/feeds/disclosures.atom", params={"category": "bidding"}).content
    )
    assert {e.find(f"{ATOM}category").get("term") for e in bidding.findall(f"{ATOM}entry")} == {
        "bidding"
    }
    district = ET.fromstring(
        httpx.get(
            f"{base}/feeds/disclosures.atom", params={"region": "360111", "department": "QSHQ"}
        ).content
    )
    assert all(
        e.find(f"{ATOM}author/{ATOM}name").text == "青山湖区人民政府"
        for e in district.findall(f"{ATOM}entry")
    )
    assert (
        httpx.get(f"{base}/feeds/disclosures.atom", params={"category": "weather"}).status_code
        == 400
    )


def test_a_correction_appears_in_the_feed(base, demo_data):
    from sqlalchemy import select

    from registry import publishing as pub
    from registry.models import Disclosure
    from registry.publishing import Actor

    with Session(demo_data) as session, session.begin():
        target = session.scalars(
            select(Disclosure).where(Disclosure.item_key == "tender_notice")
        ).first()
        pub.correct_disclosure(
            session,
            Actor(path="test"),
            target.id,
            reason="截止时间更正",
            elements={"bid_deadline": "2019-12-30"},
        )
    feed = ET.fromstring(httpx.get(f"{base}/feeds/disclosures.atom").content)
    titles = [e.find(f"{ATOM}title").text for e in feed.findall(f"{ATOM}entry")]
    assert titles[0].startswith("【更正】")
    assert "截止时间更正" in feed.findall(f"{ATOM}entry")[0].find(f"{ATOM}summary").text


def test_the_report_page_has_a_chart_and_the_table(base):
    page = httpx.get(f"{base}/report")
    assert page.status_code == 200 and "<svg" in page.text and "按时公开率" in page.text
    assert "南昌市发展和改革委员会" in page.text and "<script" not in page.text
    assert httpx.get(f"{base}/report", params={"from": "not-a-date"}).status_code == 400


def test_compliance_scoreboard_in_graphql(base):
    body = httpx.post(
        f"{base}/graphql",
        json={
            "query": """{ complianceScoreboard(department: "NCFGW") {
        department { code } category published onTime late overdue onTimeRate } }"""
        },
    ).json()
    rows = body["data"]["complianceScoreboard"]
    assert rows and all(r["department"]["code"] == "NCFGW" for r in rows)
    assert any(r["late"] > 0 for r in rows) and any(r["onTime"] > 0 for r in rows)
    project = httpx.post(
        f"{base}/graphql",
        json={
            "query": """{ project(code: "2019-360100-48-01-100000") {
        completeness { expectedItems missingItems complete }
        approvalResults { timeliness { status deadline workingDaysLate } } } }"""
        },
    ).json()["data"]["project"]
    assert {t["timeliness"]["status"] for t in project["approvalResults"]} <= {"on_time", "late"}
    assert project["completeness"]["expectedItems"]


def run(*args, database_url):
    return subprocess.run(
        [sys.executable, "-m", "registry.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": database_url},
        timeout=120,
    )


def test_the_commands(base, database_url, tmp_path):
    report = run("report", "compliance", database_url=database_url)
    rows = list(csv.DictReader(io.StringIO(report.stdout)))
    assert report.returncode == 0 and {"department", "on_time", "late", "on_time_rate"} <= set(
        rows[0]
    )
    xlsx = run(
        "report",
        "compliance",
        "--format",
        "xlsx",
        "-o",
        str(tmp_path / "r.xlsx"),
        database_url=database_url,
    )
    assert (
        xlsx.returncode == 0 and load_workbook(tmp_path / "r.xlsx").active.max_row == len(rows) + 1
    )
    export = run(
        "export",
        "oc4ids",
        "--project",
        "2019-360100-48-01-100000",
        "-o",
        str(tmp_path / "p.json"),
        database_url=database_url,
    )
    assert export.returncode == 0 and "valid" in export.stdout
    assert oc4ids.problems(json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))) == []


def _streamed(database_url: str, chunk: int, check=None) -> tuple[bytes, dict]:
    """The streamed export with ``chunk`` projects per piece, and the package in one piece,
    read from the same database."""
    import asyncio

    from registry.db import Database

    async def both() -> tuple[bytes, dict]:
        database = Database(url=database_url)
        try:
            async with database.read.connect() as conn:
                pieces = [
                    p async for p in oc4ids.stream(conn, "http://x", None, None, check, chunk)
                ]
                whole = await oc4ids.package(conn, "http://x")
        finally:
            await database.aclose()
        return b"".join(pieces), whole

    return asyncio.run(both())


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(chunk=st.integers(min_value=1, max_value=45))
def test_the_streamed_export_is_the_package_whatever_the_chunk(demo_data, database_url, chunk):
    checker = oc4ids.Checker()
    streamed, whole = _streamed(database_url, chunk, checker)
    document = json.loads(streamed)
    assert document["projects"] == whole["projects"] and len(whole["projects"]) >= 30
    assert {k: v for k, v in document.items() if k not in ("projects", "publishedDate")} == {
        k: v for k, v in whole.items() if k not in ("projects", "publishedDate")
    }
    assert checker.finish() == [] and checker.index == len(whole["projects"])


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_the_linear_validator_finds_what_the_package_schema_finds(demo_data, database_url, data):
    """Differential: problems() (the package schema on the first project, the project schema
    on each other, ids in a set) against the package schema over the whole package (quadratic,
    fine at this size), on the demo package with generated faults."""
    if not hasattr(test_the_linear_validator_finds_what_the_package_schema_finds, "whole"):
        test_the_linear_validator_finds_what_the_package_schema_finds.whole = _streamed(
            database_url, 1000
        )[1]
    document = json.loads(
        json.dumps(test_the_linear_validator_finds_what_the_package_schema_finds.whole)
    )
    listed = document["projects"]
    for _ in range(data.draw(st.integers(0, 3))):
        at = data.draw(st.integers(0, len(listed) - 1))
        fault = data.draw(st.sampled_from(["status", "budget", "title", "duplicate", "drop_id"]))
        if fault == "status":
            listed[at]["status"] = "construction"
        elif fault == "budget":
            listed[at]["budget"] = {"amount": {"amount": "1", "currency": "RMB"}}
        elif fault == "title":
            listed[at]["title"] = 7
        elif fault == "duplicate":
            listed.insert(data.draw(st.integers(0, len(listed))), dict(listed[at]))
        else:
            listed[at].pop("id", None)
    full = oc4ids.validator()
    expected = {e.json_path for e in full.iter_errors(document) if e.validator != "uniqueItems"}
    found = oc4ids.problems(document)
    assert {p.split(": ", 1)[0] for p in found if "is not unique" not in p} == expected
    # OC4IDS asks for unique project ids, which the schema's uniqueItems (whole objects)
    # only partly checks: the ids are checked (and the contents of projects without one),
    # which finds every uniqueItems error and more.
    ids = [str(p["id"]) for p in listed if "id" in p]
    unnamed = [json.dumps(p, sort_keys=True) for p in listed if "id" not in p]
    repeated = len(set(ids)) < len(ids) or len(set(unnamed)) < len(unnamed)
    assert repeated == any("is not unique" in p for p in found)
    if any(e.validator == "uniqueItems" for e in full.iter_errors(document)):
        assert any("is not unique" in p for p in found)

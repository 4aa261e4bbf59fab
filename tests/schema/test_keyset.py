"""Crawling while others write: `projects` and `disclosures` page by keys, so a crawl with
small pages, while projects are registered and items published between its pages, returns
every row that was there when it began exactly once — in every order. The same crawl with
the offset cursors of before repeats rows, which shows the test can tell."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from registry import publishing as pub
from registry.models import Disclosure
from registry.publishing import Actor
from schema.pagination import encode_cursor

SYSTEM = Actor(path="test:keyset", is_admin=True)
NUMBERS = itertools.count(1)
PROJECTS = """query($after: String, $order: ProjectOrder, $near: NearInput) {
  projects(first: 4, after: $after, orderBy: $order, near: $near) {
    edges { cursor node { code } } pageInfo { hasNextPage hasPreviousPage endCursor } } }"""
DISCLOSURES = """query($after: String) { disclosures(first: 7, after: $after) {
  nodes { id } pageInfo { hasNextPage endCursor } } }"""


def _register(engine, early: bool) -> None:
    """A new project whose code sorts before (early) or after the ones there."""
    n = next(NUMBERS)
    code = f"{'2011' if early else '2612'}-360111-48-01-{900000 + n}"
    with Session(engine) as session, session.begin():
        pub.upsert_project(session, SYSTEM, pub.ProjectInput(
            code=code, name=f"{'阿' if early else '鑫'}新登记项目{n}", project_type="approval",
            region_code="360111", investment=str(10**7 + n), approved_on=dt.date(2026, 12, 1),
        ))  # fmt: skip


def _crawl_projects(gql, engine, order: str, near: dict | None, offsets: bool) -> list[str]:
    seen, after, page = [], None, 0
    while True:
        data = gql.data(PROJECTS, {"after": after, "order": order, "near": near})["projects"]
        seen += [e["node"]["code"] for e in data["edges"]]
        assert data["pageInfo"]["hasPreviousPage"] == (page > 0)
        if not data["pageInfo"]["hasNextPage"]:
            return seen
        page += 1
        after = encode_cursor(len(seen) - 1) if offsets else data["pageInfo"]["endCursor"]
        _register(engine, early=page % 2 == 0)  # between two pages, someone registers one


@pytest.mark.parametrize(
    "order, near",
    [("CODE", None), ("NAME", None), ("APPROVED_ON", None), ("APPROVED_ON_DESC", None),
     ("INVESTMENT_DESC", None), ("UPDATED_DESC", None),
     ("DISTANCE", {"lon": 115.9, "lat": 28.68, "meters": 30000})],
)  # fmt: skip
def test_a_crawl_by_keys_gets_every_project_once(gql, demo_data, order, near):
    with demo_data.connect() as conn:
        before = set(conn.scalars(text("SELECT code FROM projects")))
    seen = _crawl_projects(gql, demo_data, order, near, offsets=False)
    assert len(seen) == len(set(seen)), "a project came twice"
    if near is None:
        assert before <= set(seen), f"skipped {sorted(before - set(seen))[:3]}"
    else:  # only those with a site within the distance: all of them that were there
        assert len(seen) > 10


def test_the_same_crawl_by_offsets_repeats_rows(gql, demo_data):
    seen = _crawl_projects(gql, demo_data, "CODE", None, offsets=True)
    assert len(seen) > len(set(seen))  # a project registered before the cursor shifted it


def test_a_crawl_of_disclosures_gets_every_item_once(gql, demo_data):
    with demo_data.connect() as conn:
        before = set(conn.scalars(text("SELECT id FROM public_disclosures")))
    seen, after, page = [], None, 0
    while True:
        data = gql.data(DISCLOSURES, {"after": after})["disclosures"]
        seen += [int(n["id"]) for n in data["nodes"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after, page = data["pageInfo"]["endCursor"], page + 1
        with Session(demo_data) as session, session.begin():  # newer than every row seen
            row = session.query(Disclosure).filter_by(status="published", audience="public").first()
            pub.publish_disclosure(session, SYSTEM, pub.DisclosureInput(
                project_code=row.project.code, item=row.item_key, formed_on=row.formed_on,
                elements=dict(row.elements), ref=f"keyset-{page}", publisher=row.publisher.code,
            ))  # fmt: skip
    assert len(seen) == len(set(seen)) and before <= set(seen)


def test_updated_since_gives_what_changed(gql, demo_data):
    with demo_data.connect() as conn:
        since = conn.scalar(text("SELECT now()"))
    _register(demo_data, early=False)
    found = gql.data(
        "query($t: Timestamp) { projects(filter: {updatedSince: $t}) { nodes { name } } "
        "disclosures(filter: {updatedSince: $t}) { totalCount } }",
        {"t": since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")},
    )
    assert [n["name"] for n in found["projects"]["nodes"]] == [f"鑫新登记项目{next(NUMBERS) - 1}"]
    assert found["disclosures"]["totalCount"] == 0

"""The compiled fast path returns exactly what the resolvers return, in one statement."""

import json

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from registry import publishing as pub
from registry.catalog import Category, get_catalog
from registry.models import Disclosure
from registry.publishing import Actor
from schema.catalog_types import graphql_field_name
from schema.types import CATEGORY_FIELDS
from tests.schema.conftest import in_process, settings_with

DEPARTMENT = "{ __typename code name nameEn kind uscc regionCode roles isSynthetic }"


def category_selection(category: Category) -> str:
    elements = " ".join(graphql_field_name(e.key) for e in get_catalog().elements_of(category))
    return (
        f"{{ __typename id category title ref formedOn publishedAt revision isSynthetic "
        f"geometry publisher {DEPARTMENT} {elements} }}"
    )


EVERYTHING = (
    "{ __typename code name description projectType industry regionCode owner investment "
    "status approvedOn startedOn completedOn updatedAt isSynthetic distance geometry "
    "sites { __typename id name kind geometry(crs: WGS84) } "
    f"responsibilities {{ __typename category categoryNameZh itemKeys source department {DEPARTMENT} }} "
    + " ".join(
        f"{graphql_field_name(name)} {category_selection(category)}"
        for category, name in CATEGORY_FIELDS.items()
    )
    + " }"
)

QUERIES = [
    (
        "every compiled field",
        "{ projects(first: 40) { totalCount nodes " + EVERYTHING + " } }",
        None,
    ),
    (
        "edges and page info, second page",
        "query($a: String) { projects(first: 5, after: $a, orderBy: NAME) { __typename totalCount "
        "edges { cursor node { code name } } pageInfo { __typename hasNextPage hasPreviousPage "
        "startCursor endCursor } } }",
        {"a": "b2Zmc2V0OjQ="},
    ),
    (
        "aliases and several roots",
        '{ __typename a: projects(filter: {regionCode: "360111"}) { n: totalCount list: nodes { c: code '
        "s: status } } b: projects(filter: {status: [COMPLETED], hasCategory: [COMPLETION]}, "
        "orderBy: INVESTMENT_DESC) { nodes { code investment } } }",
        None,
    ),
    (
        "near, ordered by distance",
        "{ projects(near: {lon: 115.9, lat: 28.68, meters: 8000}, first: 20) { totalCount nodes { "
        "code distance approvalResults { approvalDocNo approvalDate } } } }",
        None,
    ),
    (
        "bbox and text and dates",
        '{ projects(bbox: [115.8, 28.6, 116.0, 28.75], filter: {text: "工程", approvedOn: '
        '{from: "2020-01-01"}}) { totalCount nodes { code sites { name } } } }',
        None,
    ),
    (
        "an empty page",
        '{ projects(filter: {text: "没有这个项目"}) { totalCount nodes { code } '
        "edges { cursor } pageInfo { hasNextPage startCursor endCursor } } }",
        None,
    ),
    (
        "first: 0",
        "{ projects(first: 0) { totalCount nodes { code } pageInfo { hasNextPage } } }",
        None,
    ),
    (
        "fragments, inline fragments, directives, repeated fields",
        "query($yes: Boolean!) { projects(first: 3) { nodes { ...F code @include(if: $yes) "
        "name @skip(if: $yes) sites { name } sites { kind } ... on Project { status } "
        "approvalResults { ... on Disclosure { id } ... on ApprovalResultDisclosure { "
        "approvalDocNo } } } } } fragment F on Project { code sites { name } }",
        {"yes": True},
    ),
    (
        "the same filter as a variable",
        "query($f: ProjectFilter, $first: Int) { projects(filter: $f, first: $first) { "
        "totalCount nodes { code } } }",
        {"f": {"regionCode": "360113", "approvedOn": {"from": "2030-01-01"}}, "first": 5},
    ),
    (
        "timeliness and deadlines",
        "{ projects(first: 10) { nodes { approvalResults { deadline timeliness { status "
        "deadline workingDaysLate provisional } status withdrawal { at } firstPublishedAt } } } }",
        None,
    ),
    (
        "one project, now and as of a moment",
        '{ now: project(code: "2019-360100-48-01-100000") { code approvalResults { id } } '
        'then: project(code: "2019-360100-48-01-100000", asOf: "2020-01-01T00:00:00Z") { code } '
        'none: project(code: "2099-360100-48-01-000000") { code } }',
        None,
    ),
]


@pytest.fixture(scope="module")
def revised_demo(demo_data):
    actor = Actor(path="test:compiler")
    with Session(demo_data) as session, session.begin():
        rows = session.scalars(
            select(Disclosure)
            .where(Disclosure.category == "approval_result", Disclosure.status == "published")
            .order_by(Disclosure.id)
            .limit(2)
        ).all()
        pub.correct_disclosure(
            session,
            actor,
            rows[0].id,
            reason="文号更正",
            elements={"approval_doc_no": "洪发改投资〔2021〕1号"},
        )
        pub.withdraw_disclosure(session, actor, rows[1].id, reason="重复发布")
    return demo_data


async def answer(query: str, variables, compiled: bool) -> tuple[bytes, int]:
    """The answer, and how many statements went through SQLAlchemy (-1: answered by one
    compiled statement, which runs on the driver connection)."""
    async with in_process(settings_with(compile_queries=compiled)) as (client, app):
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(app.state.db.read.sync_engine, "before_cursor_execute", listener)
        response = await client.post("/graphql", json={"query": query, "variables": variables})
        event.remove(app.state.db.read.sync_engine, "before_cursor_execute", listener)
        compiled_answers = app.state.graphql.statements.answered
    assert response.status_code == 200
    return response.content, -1 if compiled_answers and not statements else len(statements)


@pytest.mark.usefixtures("revised_demo")
@pytest.mark.parametrize("name, query, variables", QUERIES, ids=[q[0] for q in QUERIES])
async def test_compiled_equals_resolved(name, query, variables):
    resolved, _ = await answer(query, variables, compiled=False)
    compiled, statements = await answer(query, variables, compiled=True)
    assert b'"errors"' not in resolved, resolved
    assert statements == -1, "the compiled path was not used"
    assert compiled == resolved  # the same bytes


@pytest.mark.usefixtures("revised_demo")
async def test_the_withdrawn_and_superseded_revisions_are_not_shown():
    body, _ = await answer(
        "{ projects(first: 100) { nodes { approvalResults { id revision } } } }",
        None,
        compiled=True,
    )
    data = json.loads(body)
    revisions = [
        d["revision"] for n in data["data"]["projects"]["nodes"] for d in n["approvalResults"]
    ]
    assert revisions.count(2) == 1 and set(revisions) == {1, 2}


@pytest.mark.usefixtures("revised_demo")
@pytest.mark.parametrize(
    "query",
    [
        "{ projects(first: 3) { nodes { code centroid } } }",
        "{ projects(first: 3) { nodes { approvalResults { deadline history { revision } } } } }",
        "{ projects(first: 3) { nodes { sites { geometry(crs: GCJ02) } } } }",
    ],
)
async def test_other_shapes_fall_back_to_the_resolvers(query):
    body, statements = await answer(query, None, compiled=True)
    assert b'"errors"' not in body and statements >= 1
    resolved, _ = await answer(query, None, compiled=False)
    assert body == resolved


PAGED = """query($f: ProjectFilter, $first: Int, $after: String, $asOf: Timestamp, $near: NearInput) {
  projects(filter: $f, first: $first, after: $after, asOf: $asOf, near: $near) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes { code distance approvalResults { id revision timeliness { status deadline } } } } }"""

VARIABLE_SETS = [
    {"f": {"regionCode": "3601"}, "first": 5},
    {"f": {"regionCode": "360113"}, "first": 5},
    {"f": {"regionCode": "360111"}, "first": 2, "after": "b2Zmc2V0OjE="},
    {"f": {"regionCode": "360111"}, "first": 3, "after": "b2Zmc2V0OjI="},
    {"f": {"status": ["COMPLETED"]}, "first": 10},
    {"f": {"status": ["UNDER_CONSTRUCTION", "APPROVED"]}, "first": 10},
    {"f": {"text": "地铁"}, "first": 10, "asOf": "2020-01-01T00:00:00Z"},
    {"f": {"text": "学校"}, "first": 10, "asOf": "2025-01-01T00:00:00Z"},
    {"near": {"lon": 115.9, "lat": 28.68, "meters": 3000}, "first": 10},
    {"near": {"lon": 115.95, "lat": 28.7, "meters": 8000}, "first": 10},
]


@pytest.mark.usefixtures("revised_demo")
async def test_a_cached_statement_answers_other_values_rightly():
    """One document, many variable values: the statement compiled for the first is reused
    (same shape) and every answer still equals the resolvers'."""
    async with in_process(settings_with(compile_queries=True)) as (client, app):
        compiled = [
            (await client.post("/graphql", json={"query": PAGED, "variables": v})).content
            for v in VARIABLE_SETS
        ]
        cache = app.state.graphql.statements
        assert cache.answered == len(VARIABLE_SETS) and cache.hits >= 4
    async with in_process(settings_with(compile_queries=False)) as (client, app):
        resolved = [
            (await client.post("/graphql", json={"query": PAGED, "variables": v})).content
            for v in VARIABLE_SETS
        ]
    assert compiled == resolved

"""The compiled path and the resolvers give the same answer, byte for byte, for generated
queries, in literal and in variable form.

Two real servers on the demo data (with a correction and a withdrawal): one compiles what
it can, the other runs everything through the graphene resolvers. A hypothesis strategy
writes queries over `projects`, `project`, `disclosures` and `disclosure`: random
selections (aliases, repeated fields, fragments, inline fragments, `@include`/`@skip`),
filters, spatial arguments, orderings, pages and moments (`asOf`), sometimes invalid.
Each query is sent as written and with its arguments turned into variables; the three
answers must be identical, and never a 5xx. `make test` runs a few hundred; `make fuzz`
thousands (the `fuzz` hypothesis profile).
"""

from __future__ import annotations

import base64
import json
from collections import Counter

import httpx
import pytest
from graphql import get_introspection_query, parse
from graphql.execution import ExecutionContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from registry.catalog import get_catalog
from registry.publishing import Actor
from registry.settings import ApiSettings
from schema import build_schema
from schema.catalog_types import graphql_field_name
from schema.compiler import prepare
from schema.types import CATEGORY_FIELDS
from tests.registry.factories import give_history
from tests.schema.forms import variable_form

pytestmark = pytest.mark.generated
SCHEMA = build_schema().graphql_schema
REGIONS = ["360111", "3601", "360113", "36", "360102", "360100", "3602", "999999", ""]
TEXTS = ["地铁", "学校", "工程", "南昌", "4号线", "", "%", "_", "2019-360100-48-01-100000"]
STATUSES = ["PLANNING", "APPROVED", "UNDER_CONSTRUCTION", "COMPLETED", "SUSPENDED"]
TYPES = ["APPROVAL", "AUTHORIZATION", "FILING"]
CATEGORIES = [c.name for c in CATEGORY_FIELDS]
INDUSTRIES = ["城市轨道交通", "市政道路", "教育", "医疗卫生", "桥梁"]
DEPARTMENTS = ["NCFGW", "NCJSJ", "NCSLJ", "NCZRZY", "QSHQ", "NOPE"]
ORDERS = ["CODE", "NAME", "APPROVED_ON", "APPROVED_ON_DESC", "INVESTMENT_DESC", "UPDATED_DESC"]
MOMENTS = ["2019-06-01T00:00:00Z", "2021-01-01T00:00:00Z", "2024-06-30T16:00:00Z",
           "2099-01-01T00:00:00Z"]  # fmt: skip
PROJECT_CODES = ["2019-360100-48-01-100000", "2019-360100-48-01-107919", "2099-360100-48-01-000000"]
DATES = ["2015-01-01", "2019-05-01", "2021-12-31", "2030-01-01"]
INTROSPECTION_OPTIONS = ["descriptions", "specified_by_url", "directive_is_repeatable",
                         "schema_description", "input_value_deprecation"]  # fmt: skip


def gql_value(value) -> str:
    """A Python value as a GraphQL literal (enums are upper-case bare words)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {gql_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(gql_value(v) for v in value) + "]"
    if isinstance(value, str) and value.isupper() and value.replace("_", "").isalpha():
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


def cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def key(row_id: int) -> str:
    return base64.urlsafe_b64encode(f"key:{row_id}".encode()).decode()


# --- selections ---------------------------------------------------------------------

DEPARTMENT_FIELDS = ["code", "name", "nameEn", "kind", "uscc", "regionCode", "roles",
                     "isSynthetic", "__typename"]  # fmt: skip
PROJECT_SCALARS = ["code", "name", "description", "projectType", "industry", "regionCode",
                   "owner", "investment", "status", "approvedOn", "startedOn", "completedOn",
                   "updatedAt", "isSynthetic", "distance", "__typename", "geometry"]  # fmt: skip
DISCLOSURE_COMMON = ["id", "category", "title", "ref", "formedOn", "publishedAt",
                     "firstPublishedAt", "revision", "isSynthetic", "status", "deadline",
                     "geometry", "__typename"]  # fmt: skip
RARE = ["item { key nameZh }", "history { revision status }", "withdrawal { at reason }",
        "currentRevision { id }", "responsibleDepartment { code }", "documents { title url }",
        "geometry(crs: GCJ02)", "project { code }"]  # fmt: skip


def alias(draw, name: str) -> str:
    return f"{draw(st.sampled_from(['a', 'b', 'x1']))}: {name}" if draw(st.booleans()) and \
        draw(st.integers(0, 4)) == 0 else name  # fmt: skip


@st.composite
def department(draw) -> str:
    fields = draw(st.lists(st.sampled_from(DEPARTMENT_FIELDS), min_size=1, max_size=4))
    return "{ " + " ".join(fields) + " }"


@st.composite
def disclosure(draw, category: str, interface: bool = False) -> str:
    """A selection on a category's disclosure type, or (``interface``) on the Disclosure
    interface, where the category's own fields need an inline fragment."""
    elements = [graphql_field_name(e.key) for e in get_catalog().elements_of(
        next(c for c in CATEGORY_FIELDS if c.name == category))]  # fmt: skip
    own = [] if interface else elements
    parts = draw(st.lists(st.sampled_from(DISCLOSURE_COMMON + own), min_size=1, max_size=6))
    parts = [alias(draw, p) for p in parts]
    if interface and draw(st.booleans()):
        type_name = "".join(w.capitalize() for w in category.lower().split("_")) + "Disclosure"
        fields = draw(st.lists(st.sampled_from(elements), min_size=1, max_size=3))
        parts.append(f"... on {type_name} {{ {' '.join(fields)} }}")
    if draw(st.integers(0, 3)) == 0:
        parts.append(f"publisher {draw(department())}")
    if draw(st.integers(0, 3)) == 0:
        parts.append("timeliness { status deadline workingDaysLate provisional }")
    if draw(st.integers(0, 12)) == 0:
        parts.append(draw(st.sampled_from(RARE)))
    if draw(st.integers(0, 5)) == 0:
        parts.append("... on Disclosure { id status }")
    return "{ " + " ".join(parts) + " }"


@st.composite
def project(draw) -> str:
    parts = [alias(draw, p) for p in draw(
        st.lists(st.sampled_from(PROJECT_SCALARS), min_size=1, max_size=6))]  # fmt: skip
    if draw(st.booleans()):
        parts.append("sites { " + " ".join(draw(st.lists(
            st.sampled_from(["id", "name", "kind", "geometry", "__typename"]), min_size=1,
            max_size=3))) + " }")  # fmt: skip
    if draw(st.integers(0, 2)) == 0:
        parts.append(f"responsibilities {{ category categoryNameZh itemKeys source "
                     f"department {draw(department())} }}")  # fmt: skip
    for category in draw(st.lists(st.sampled_from(CATEGORIES), max_size=3, unique=True)):
        field = graphql_field_name(CATEGORY_FIELDS[next(
            c for c in CATEGORY_FIELDS if c.name == category)])  # fmt: skip
        parts.append(f"{field} {draw(disclosure(category))}")
    if draw(st.integers(0, 4)) == 0:
        parts.append("...P")
    if draw(st.integers(0, 4)) == 0:
        directive = draw(
            st.sampled_from(
                ["@include(if: true)", "@skip(if: true)", "@include(if: false)", "@skip(if: false)"]
            )
        )
        parts.append(f"code {directive}")
    if draw(st.integers(0, 10)) == 0:
        parts.append(
            draw(
                st.sampled_from(
                    ["completeness { missingItems complete }", "centroid", "geometry(crs: BD09)"]
                )
            )
        )
    return "{ " + " ".join(parts) + " }"


# --- arguments ----------------------------------------------------------------------


@st.composite
def project_filter(draw) -> dict:
    options = {
        "text": st.sampled_from(TEXTS),
        "regionCode": st.sampled_from(REGIONS),
        "status": st.lists(st.sampled_from(STATUSES), max_size=2),
        "type": st.lists(st.sampled_from(TYPES), max_size=2),
        "industry": st.lists(st.sampled_from(INDUSTRIES), max_size=2),
        "responsibleDepartment": st.sampled_from(DEPARTMENTS),
        "hasCategory": st.lists(st.sampled_from(CATEGORIES), max_size=2),
        "lacksCategory": st.lists(st.sampled_from(CATEGORIES), max_size=2),
        "approvedOn": st.fixed_dictionaries({}, optional={"from": st.sampled_from(DATES),
                                                           "to": st.sampled_from(DATES)}),
        "updatedSince": st.sampled_from(MOMENTS),
    }  # fmt: skip
    keys = draw(st.lists(st.sampled_from(sorted(options)), max_size=3, unique=True))
    return {key: draw(options[key]) for key in keys}


@st.composite
def projects_arguments(draw) -> dict:
    args: dict = {}
    if draw(st.booleans()):
        args["filter"] = draw(project_filter())
    spatial = draw(
        st.sampled_from(["none"] * 4 + ["bbox"] * 3 + ["near"] * 3 + ["intersects", "badbbox"])
    )
    if spatial == "bbox":
        west, south = draw(st.floats(115.6, 116.0)), draw(st.floats(28.5, 28.8))
        args["bbox"] = [
            round(west, 3),
            round(south, 3),
            round(west + 0.2, 3),
            round(south + 0.15, 3),
        ]
    elif spatial == "badbbox":
        args["bbox"] = draw(st.sampled_from([[1, 2, 3], [200, 0, 201, 1], [116, 29, 115, 28]]))
    elif spatial == "near":
        args["near"] = {"lon": round(draw(st.floats(115.8, 116.0)), 3),
                        "lat": round(draw(st.floats(28.6, 28.8)), 3),
                        "meters": draw(st.sampled_from([500, 3000, 8000, 20000, -1]))}  # fmt: skip
    elif spatial == "intersects":
        args["intersects"] = {"type": "LineString", "coordinates": [[115.8, 28.66], [116.0, 28.7]]}
    if draw(st.booleans()):
        args["orderBy"] = draw(st.sampled_from(ORDERS + (["DISTANCE"] if "near" in args else [])))
    if draw(st.booleans()):
        args["first"] = draw(st.sampled_from([0, 1, 3, 10, 25, 30, 50, 101]))
    if draw(st.integers(0, 3)) == 0:
        args["after"] = draw(
            st.sampled_from(
                [
                    cursor(0),
                    cursor(4),
                    cursor(9),
                    cursor(40),
                    "bogus",
                    # row cursors (keyset): demo rows, and one that does not exist
                    key(1),
                    key(7),
                    key(20),
                    key(33),
                    key(999999),
                ]
            )  # fmt: skip
        )
    if draw(st.integers(0, 3)) == 0:
        args["asOf"] = draw(st.sampled_from(MOMENTS))
    return args


def arguments(args: dict) -> str:
    return "(" + ", ".join(f"{k}: {gql_value(v)}" for k, v in args.items()) + ")" if args else ""


@st.composite
def connection(draw) -> str:
    parts = []
    for part in draw(st.lists(st.sampled_from(["totalCount", "nodes", "edges", "pageInfo",
                                               "__typename", "nodes"]), min_size=1,
                              max_size=3)):  # fmt: skip
        if part == "nodes":
            parts.append(f"nodes {draw(project())}")
        elif part == "edges":
            parts.append(f"edges {{ cursor node {draw(project())} }}")
        elif part == "pageInfo":
            parts.append("pageInfo { hasNextPage hasPreviousPage startCursor endCursor }")
        else:
            parts.append(part)
    return "{ " + " ".join(parts) + " }"


TYPE_NAMES = ["Project", "Query", "ProjectFilter", "ApprovalResultDisclosure", "Disclosure",
              "DateTime", "Category", "Nope"]  # fmt: skip
TYPE_SELECTIONS = ["name", "kind", "description", "fields { name type { name kind } }",
                   "enumValues { name }", "inputFields { name }", "interfaces { name }",
                   "possibleTypes { name }", "__typename"]  # fmt: skip


@st.composite
def meta(draw) -> str:
    """A meta-field at the root: what every GraphQL client asks first (graphql-core answers
    it; the compiler must leave it, and anything beside it, to graphene)."""
    kind = draw(st.sampled_from(["__schema", "__type", "__typename"]))
    if kind == "__typename":
        return "__typename"
    if kind == "__type":
        name = draw(st.sampled_from(TYPE_NAMES))
        fields = draw(st.lists(st.sampled_from(TYPE_SELECTIONS), min_size=1, max_size=3))
        return f'__type(name: "{name}") {{ {" ".join(fields)} }}'
    parts = draw(st.lists(st.sampled_from(
        ["queryType { name }", "mutationType { name }", "subscriptionType { name }",
         "types { name }", "directives { name locations args { name } }", "description"]
    ), min_size=1, max_size=3))  # fmt: skip
    return "__schema { " + " ".join(parts) + " }"


@st.composite
def query(draw) -> str:
    roots = []
    for _ in range(draw(st.sampled_from([1, 1, 1, 2]))):
        kind = draw(
            st.sampled_from(
                # mostly what compiles (the share is asserted below), the rest beside it
                ["projects"] * 8 + ["project"] * 3 + ["disclosures", "disclosure", "meta"]
            )
        )
        if kind == "meta":
            roots.append(draw(meta()))
        elif kind == "projects":
            roots.append(f"projects{arguments(draw(projects_arguments()))} {draw(connection())}")
        elif kind == "project":
            args = {"code": draw(st.sampled_from(PROJECT_CODES))}
            if draw(st.booleans()):
                args["asOf"] = draw(st.sampled_from(MOMENTS))
            roots.append(f"project{arguments(args)} {draw(project())}")
        elif kind == "disclosures":
            args = {"first": draw(st.sampled_from([1, 5, 20]))}
            if draw(st.booleans()):
                args["filter"] = {"withdrawn": draw(st.booleans())}
            if draw(st.booleans()):
                args["asOf"] = draw(st.sampled_from(MOMENTS))
            roots.append(f"disclosures{arguments(args)} {{ totalCount nodes "
                         f"{draw(disclosure('APPROVAL_RESULT', interface=True))} }}")  # fmt: skip
        else:
            args = {"id": str(draw(st.integers(1, 450)))}
            if draw(st.booleans()):
                args["asOf"] = draw(st.sampled_from(MOMENTS))
            roots.append(
                f"disclosure{arguments(args)} {{ id status revision title "
                f"withdrawal {{ reason by {{ code }} }} currentRevision {{ id }} }}"
            )
    keys = [root if root.startswith("__") else f"r{i}: {root}" for i, root in enumerate(roots)]
    text = "{ " + " ".join(keys) + " }"
    if "...P" in text:
        text += " fragment P on Project { code status sites { name } }"
    return text


# --- the servers --------------------------------------------------------------------


@pytest.fixture(scope="module")
def corrected_demo(demo_data):
    """The demo data with a correction and a withdrawal, so histories have states."""
    with Session(demo_data) as session, session.begin():
        give_history(session, Actor(path="test:differential"))
    return demo_data


@pytest.fixture(scope="module")
def servers(corrected_demo, live_server, resolver_server):
    clients = {
        "compiled": httpx.Client(base_url=f"http://127.0.0.1:{live_server}", timeout=60),
        "resolvers": httpx.Client(base_url=f"http://127.0.0.1:{resolver_server}", timeout=60),
    }
    yield clients
    for client in clients.values():
        client.close()


def compiles(text: str, variables: dict) -> bool:
    execution = ExecutionContext.build(SCHEMA, parse(text), None, None, variables)
    if isinstance(execution, list):
        return False
    return prepare(SCHEMA, execution, ApiSettings(), text) is not None


def post(client: httpx.Client, text: str, variables: dict | None) -> tuple[int, bytes]:
    response = client.post("/graphql", json={"query": text, "variables": variables})
    return response.status_code, response.content


def test_compiled_and_resolved_answers_are_the_same_bytes(servers):
    seen: Counter = Counter()

    @settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=False)
    @given(text=query())
    def check(text):
        lifted, variables = variable_form(SCHEMA, text)
        answers = {
            "literal": post(servers["compiled"], text, None),
            "literal, resolvers": post(servers["resolvers"], text, None),
            "variables": post(servers["compiled"], lifted, variables),
            "variables, resolvers": post(servers["resolvers"], lifted, variables),
        }
        statuses = {status for status, _ in answers.values()}
        assert statuses <= {200}, (text, answers)
        assert answers["literal"] == answers["literal, resolvers"], (text, answers)
        assert answers["variables"] == answers["variables, resolvers"], (lifted, variables)
        literal, lifted_body = (json.loads(answers[k][1]) for k in ("literal", "variables"))
        if "errors" not in literal:  # errors differ only in their locations in the text
            assert lifted_body == literal, (text, lifted, variables)
        seen["compiled" if compiles(lifted, variables) else "resolvers"] += 1
        seen["errors" if b'"errors"' in answers["literal"][1] else "data"] += 1

    check()
    print(f"\ndifferential: {dict(seen)}")
    # the test is worth something only if the compiled path answered a good share
    assert seen["compiled"] >= 0.3 * (seen["compiled"] + seen["resolvers"]), seen
    assert seen["data"] >= 0.5 * (seen["data"] + seen["errors"]), seen


@pytest.mark.parametrize(
    "options",
    [{}, {"descriptions": False}, dict.fromkeys(INTROSPECTION_OPTIONS, True)],
    ids=["default", "no descriptions", "every option"],
)
def test_the_standard_introspection_query_is_answered_alike(servers, options):
    """The first request of GraphiQL, Apollo, graphql-codegen and gql: 200 and one answer."""
    text = get_introspection_query(**options)
    compiled = servers["compiled"].post("/graphql", json={"query": text})
    resolved = servers["resolvers"].post("/graphql", json={"query": text})
    assert compiled.status_code == resolved.status_code == 200, compiled.text[:300]
    assert compiled.content == resolved.content
    assert "errors" not in compiled.json()
    assert compiled.json()["data"]["__schema"]["queryType"]["name"] == "Query"


WRONG_VARIABLES = [
    ("query($first: Int) { projects(first: $first) { totalCount } }", {"first": "5"}),
    ("query($b: [Float!]) { projects(bbox: $b) { totalCount } }", {"b": ["a", "b", "c", "d"]}),
    ("query($o: ProjectOrder) { projects(orderBy: $o) { totalCount } }", {"o": "SIDEWAYS"}),
    ("query($f: ProjectFilter) { projects(filter: $f) { totalCount } }", {"f": {"colour": "red"}}),
    ("query($first: Int!) { projects(first: $first) { totalCount } }", {}),
    ("query($f: ProjectFilter) { projects(filter: $f) { totalCount } }", {"f": "360113"}),
]


@pytest.mark.parametrize("text, variables", WRONG_VARIABLES)
def test_a_wrong_variable_is_a_request_error_on_both_paths(servers, text, variables):
    compiled = servers["compiled"].post(
        "/graphql", json={"query": text, "variables": variables},
        headers={"accept": "application/graphql-response+json"},
    )  # fmt: skip
    resolved = servers["resolvers"].post(
        "/graphql", json={"query": text, "variables": variables},
        headers={"accept": "application/graphql-response+json"},
    )  # fmt: skip
    assert compiled.status_code == resolved.status_code == 400
    assert compiled.content == resolved.content
    body = compiled.json()
    zh, _, english = body["errors"][0]["message"].partition(" · ")
    assert "data" not in body and english.startswith("Variable '$")
    assert zh.startswith("查询不符合 GraphQL 规范")


def test_repeated_fields_are_merged_not_duplicated(servers):
    status, body = post(
        servers["compiled"], "{ projects(first: 1) { nodes { code } nodes { name } } }", None
    )
    assert status == 200 and body.count(b'"nodes"') == 1
    node = json.loads(body)["data"]["projects"]["nodes"][0]
    assert set(node) == {"code", "name"}

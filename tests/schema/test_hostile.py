"""Hostile and odd requests get a 4xx with a clear message, never a 500; writes racing for
the same item get a conflict, never a 500. Against a real server on the demo data."""

from __future__ import annotations

import concurrent.futures
import json

import httpx
import pytest
from sqlalchemy import text

from tests.schema.test_mutations import METRO, PUBLISH, design

LIST = "{ projects(first: 1) { totalCount } }"


@pytest.fixture(scope="module")
def base(live_server, demo_data):
    return f"http://127.0.0.1:{live_server}"


def graphql(base, body: bytes | dict, headers: dict | None = None) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(
        f"{base}/graphql",
        content=content,
        headers={"content-type": "application/json", **(headers or {})},
        timeout=30,
    )


def messages(response: httpx.Response) -> str:
    return " ".join(e["message"] for e in response.json()["errors"])


@pytest.mark.parametrize(
    "body",
    [
        {
            "query": "query($f: ProjectFilter) { projects(filter: $f) { totalCount } }",
            "variables": {"f": {"text": "地铁\u0000"}},
        },
        {"query": '{ projects(filter: {text: "地\\u0000铁"}) { totalCount } }'},
        {"query": '{ project(code: "\\u0000") { code } }'},
        {
            "query": "query($c: String!) { project(code: $c) { code } }",
            "variables": {"c": "\u0000"},
        },
        {"query": "{ departments { code } }", "operationName": None, "variables": {"\u0000": 1}},
    ],  # fmt: skip
    ids=["variable", "literal", "code literal", "code variable", "variable name"],
)
def test_a_nul_in_any_string_is_a_request_error(base, body):
    response = graphql(base, body)
    assert response.status_code in (200, 400) and "NUL" in messages(response)


def test_a_lone_surrogate_is_a_request_error(base):
    body = b'{"query": "{ projects(filter: {text: \\"x\\"}) { totalCount } }", ' \
        b'"variables": {"t": "\\ud800"}}'  # fmt: skip
    response = graphql(base, body)
    assert response.status_code == 400 and "JSON" in messages(response)


@pytest.mark.parametrize(
    "query",
    [
        "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
        "{ ...A } fragment A on Query { departments { code } ...A }",
        "{ ...Nope }",
        "{ projects { nodes { ...Missing } } }",
    ],
    ids=["cycle", "self", "undefined", "undefined nested"],
)
def test_fragment_cycles_and_undefined_fragments_are_validation_errors(base, query):
    response = graphql(base, {"query": query})
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_deeply_nested_json_is_refused(base):
    response = graphql(base, b"[" * 40_000 + b"]" * 40_000)
    assert response.status_code == 400 and "JSON" in messages(response)


@pytest.mark.parametrize(
    "path, status",
    [
        ("/ogc/collections/projects/items?offset=99999999999999999999999", 400),
        ("/ogc/collections/projects/items?offset=-1", 400),
        ("/ogc/collections/projects/items?limit=99999999999999999999999", 400),
        ("/ogc/collections/land-parcels/items/99999999999999999999999", 404),
        ("/ogc/collections/projects/items?region=%00", 400),
        ("/ogc/collections/projects/items?bbox=nan,nan,nan,nan", 400),
        ("/feeds/disclosures.atom?department=%00", 400),
        ("/tiles/99999999999999999999/0/0.mvt", 400),
    ],
)
def test_out_of_range_map_parameters_are_refused(base, path, status):
    response = httpx.get(base + path, timeout=30)
    assert response.status_code == status and response.json()["code"] in (
        "INVALID_INPUT", "NOT_FOUND", "BAD_REQUEST")  # fmt: skip


@pytest.fixture(scope="module")
def api(base, keys):
    def call(query, variables=None, key="fgw"):
        response = graphql(base, {"query": query, "variables": variables},
                           {"Authorization": f"Bearer {keys[key]}"})  # fmt: skip
        assert response.status_code == 200, response.text
        return response.json()

    return call


def test_a_geometry_with_heights_is_stored_flat_and_said_so(api):
    body = api(
        """mutation($i: ProjectInput!) { upsertProject(input: $i) { action warnings
        project { sites { geometry } } userErrors { code path } } }""",
        {
            "i": {
                "code": METRO,
                "sites": [
                    {
                        "name": "站点",
                        "geometry": {"type": "Point", "coordinates": [115.9, 28.68, 21.5]},
                    }
                ],
            }
        },  # fmt: skip
    )
    payload = body["data"]["upsertProject"]
    assert payload["userErrors"] == [] and payload["action"] == "updated"
    assert "Z" in payload["warnings"][0]
    assert payload["project"]["sites"][0]["geometry"]["coordinates"] == [115.9, 28.68]


def test_user_error_paths_name_the_argument(api):
    body = api(
        'mutation { withdrawDisclosure(id: "999999", reason: "x") { userErrors { path code } } }'
    )
    errors = body["data"]["withdrawDisclosure"]["userErrors"]
    assert errors and all(part for e in errors for part in e["path"])


def test_concurrent_publications_of_one_new_item_are_one_write_and_conflicts(api, demo_data):
    item = design(ref="race", elements={"approvalDocNo": "洪发改投资〔2019〕777号"})
    with demo_data.connect() as conn:
        audited_before = conn.scalar(text("SELECT count(*) FROM audit_log"))
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: api(PUBLISH, {"input": item}), range(8)))
    payloads = [a["data"]["publishDisclosure"] for a in answers]
    assert all("errors" not in a for a in answers)
    actions = [p["action"] for p in payloads]
    conflicts = [p for p in payloads if p["userErrors"]]
    assert actions.count("added") == 1
    assert all(p["userErrors"][0]["code"] == "concurrent_write" for p in conflicts)
    assert len(conflicts) + actions.count("added") + actions.count("unchanged") == 8
    with demo_data.connect() as conn:
        rows = conn.scalar(text("SELECT count(*) FROM disclosures WHERE ref = 'race'"))
        audited = conn.scalar(text("SELECT count(*) FROM audit_log")) - audited_before
    assert rows == 1 and audited >= 1 + len(conflicts)


def test_a_deadline_in_a_year_without_a_notice_is_provisional_not_a_crash(api, base, demo_data):
    """An item formed in late December 2026 (written here straight into the table: the API
    refuses dates in the future) has its 20-working-day deadline in 2027, which no official
    calendar covers yet. It is answered, marked provisional, and no report breaks."""
    with demo_data.begin() as conn:
        new_id = conn.scalar(text(
            "INSERT INTO disclosures (lineage_id, revision, project_id, category, item_key, ref, "
            "publisher_id, title, elements, documents, formed_on, published_at, "
            "first_published_at, status, audience, mode, content_hash) "
            "SELECT nextval('disclosures_id_seq'), 1, project_id, category, item_key, "
            "'next-year', publisher_id, title, elements, documents, DATE '2026-12-28', now(), "
            "now(), 'published', audience, mode, 'x' FROM disclosures "
            "WHERE item_key = 'gov_feasibility_study_approval' AND status = 'published' "
            "LIMIT 1 RETURNING id"))  # fmt: skip
        conn.execute(text("UPDATE disclosures SET lineage_id = id WHERE id = :id"), {"id": new_id})
    body = api(
        "query($id: ID!) { disclosure(id: $id) { deadline timeliness { status provisional } } "
        "complianceScoreboard { published } }",
        {"id": str(new_id)},
    )
    assert "errors" not in body, body
    disclosure = body["data"]["disclosure"]
    assert disclosure["deadline"].startswith("2027-01-")
    assert disclosure["timeliness"]["provisional"] is True
    assert httpx.get(f"{base}/report", timeout=30).status_code == 200
    with demo_data.begin() as conn:
        conn.execute(text("DELETE FROM disclosures WHERE id = :id"), {"id": new_id})

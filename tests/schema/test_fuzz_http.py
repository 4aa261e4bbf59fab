"""Fuzzing what arrives over HTTP: GraphQL requests, publications, map parameters —
generated and mangled, against the real server.

Whatever comes in: no 5xx, no traceback, a body in the documented shape, and nothing
half-written (a refused file leaves the tables as they were). `make test` runs a few hundred
cases of each; `make fuzz` thousands. The counts are printed.
"""

from __future__ import annotations

import json
import string
from collections import Counter

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import count
from tests.schema.compiler.test_differential import query as valid_query

pytestmark = pytest.mark.generated
SETTINGS = settings(deadline=None, suppress_health_check=list(HealthCheck))
TABLES = ("projects", "sites", "disclosures", "responsibilities", "departments")

# --- GraphQL requests -------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)  # fmt: skip


@st.composite
def mangled(draw, text: str) -> str:
    """A query with a few characters deleted, doubled or replaced by GraphQL punctuation."""
    chars = list(text)
    for _ in range(draw(st.integers(1, 4))):
        if not chars:
            break
        at = draw(st.integers(0, len(chars) - 1))
        what = draw(st.sampled_from(["drop", "double", "swap"]))
        if what == "drop":
            del chars[at]
        elif what == "double":
            chars.insert(at, chars[at])
        else:
            chars[at] = draw(st.sampled_from(list('{}()[]:$@!."#,\\ ') + ["\u0000", "中"]))
    return "".join(chars)


@st.composite
def request(draw) -> tuple[str, dict]:
    """(method, httpx keyword arguments) for POST or GET /graphql, well-formed or not."""
    kind = draw(st.sampled_from(["mangled", "mangled", "variables", "body", "get", "headers"]))
    text = draw(valid_query())
    if kind == "mangled":
        return "POST", {"json": {"query": draw(mangled(text))}}
    if kind == "variables":
        return "POST", {"json": {"query": "query($f: ProjectFilter, $n: Int, $b: [Float!], "
                                          "$o: ProjectOrder) { projects(filter: $f, first: $n, "
                                          "bbox: $b, orderBy: $o) { totalCount } }",
                                 "variables": draw(st.dictionaries(
                                     st.sampled_from(["f", "n", "b", "o", "zz"]), json_values))}}  # fmt: skip
    if kind == "body":
        body = draw(st.one_of(json_values.map(lambda v: json.dumps(v).encode()),
                              st.binary(max_size=200)))  # fmt: skip
        return "POST", {"content": body, "headers": {"content-type": "application/json"}}
    if kind == "get":
        params = {
            "query": draw(st.sampled_from([text, draw(mangled(text))])),
            "variables": draw(st.sampled_from(["", "{}", "{bad", "[1]", '{"a": "\\u0000"}'])),
        }
        return "GET", {"params": params}  # fmt: skip
    accept = draw(
        st.sampled_from(
            [
                "application/json",
                "application/graphql-response+json",
                "text/html",
                "image/png",
                "*/*;q=0",
                "",
                "application/*",
            ]
        )
    )
    content_type = draw(
        st.sampled_from(["application/json", "text/plain", "", "multipart/form-data"])
    )
    return "POST", {"content": json.dumps({"query": text}).encode(),
                    "headers": {"accept": accept, "content-type": content_type}}  # fmt: skip


@pytest.fixture(scope="module")
def base(live_server, demo_data):
    return f"http://127.0.0.1:{live_server}"


def test_generated_graphql_requests_never_break_the_server(base):
    seen: Counter = Counter()
    client = httpx.Client(timeout=60)

    @SETTINGS
    @given(req=request())
    def check(req):
        method, kwargs = req
        response = client.request(method, f"{base}/graphql", **kwargs)
        assert response.status_code < 500, (req, response.text[:300])
        seen[response.status_code] += 1
        if "json" in response.headers.get("content-type", ""):
            body = response.json()
            assert "errors" in body or "data" in body, body
            assert "Traceback" not in response.text

    check()
    client.close()
    print(f"\ngraphql fuzz: {dict(seen)}")
    assert len(seen) >= 2  # both answers and refusals were reached


VALID = {"approvalResult": "同意", "approvalDate": "2019-09-01",
         "approvalDocNo": "洪发改投资〔2019〕901号", "approving_authority": "南昌市发改委"}  # fmt: skip
MUTATION = """mutation($i: DisclosureInput!) { publishDisclosure(input: $i) {
  action userErrors { path code message } } }"""


@st.composite
def disclosure_input(draw) -> dict:
    strings = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
    return {
        "projectCode": draw(st.sampled_from(["2019-360100-48-01-100000", "bogus", "\u0000"])),
        "item": draw(st.sampled_from(["gov_preliminary_design_approval", "tender_notice", "x"])),
        "formedOn": draw(st.sampled_from(["2019-09-01", "2099-01-01", "1900-01-01"])),
        "elements": draw(st.sampled_from([VALID]) | st.dictionaries(
            st.sampled_from(["approvalResult", "approvalDate", "approvalDocNo",
                             "approving_authority", "nope", "\u0000"]),
            json_values | strings, max_size=5)),
        "title": draw(st.none() | strings),
        "ref": draw(st.sampled_from(["fuzz", "", "\u0000x"])),
        "documents": draw(st.lists(st.fixed_dictionaries({"title": strings, "url": strings}),
                                   max_size=2)),
        "geometry": draw(st.none() | st.sampled_from([
            {"type": "Point", "coordinates": [115.9, 28.7, 30]},
            {"type": "Point", "coordinates": [28.7, 115.9]},
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
            {"type": "Nope"}, "not json", {"type": "Point", "coordinates": []}])),
    }  # fmt: skip


def test_generated_publications_are_refused_or_written_never_half(base, keys, demo_data):
    seen: Counter = Counter()
    client = httpx.Client(timeout=60, headers={"Authorization": f"Bearer {keys['fgw']}"})

    @SETTINGS
    @given(data=disclosure_input())
    def check(data):
        before = {t: count(demo_data, t) for t in TABLES}
        response = client.post(
            f"{base}/graphql", json={"query": MUTATION, "variables": {"i": data}}
        )
        assert response.status_code < 500, response.text[:300]
        body = response.json()
        payload = (body.get("data") or {}).get("publishDisclosure")
        if payload and payload["userErrors"] or "errors" in body:
            assert {t: count(demo_data, t) for t in TABLES} == before  # nothing half-written
            seen["refused"] += 1
        else:
            seen[payload["action"]] += 1

    check()
    client.close()
    print(f"\npublication fuzz: {dict(seen)}")
    assert seen["refused"] > 0


# --- map parameters -------------------------------------------------------------------

PATHS = ["/ogc/collections/projects/items", "/ogc/collections/land-parcels/items",
         "/ogc/collections/projects/items/2019-360100-48-01-100000", "/feeds/disclosures.atom",
         "/report", "/exports/oc4ids.json"]  # fmt: skip
NAMES = ["bbox", "limit", "offset", "crs", "f", "status", "region", "category", "item",
         "from", "to", "asOf", "project", "department", "x"]  # fmt: skip
values = st.one_of(
    st.integers(-(2**70), 2**70).map(str), st.floats().map(str),
    st.sampled_from(["", "nan", "1,2,3,4", "115,28,116,29", "gcj02", "1e400", "%", "\u0000"]),
    st.text(alphabet=string.printable + "中文", max_size=20),
)  # fmt: skip


@st.composite
def map_request(draw) -> str:
    if draw(st.booleans()):
        z = draw(st.integers(-1, 40))
        return f"/tiles/{z}/{draw(st.integers(-1, 2 ** min(max(z, 0), 30)))}/{draw(st.integers(0, 99))}.mvt"
    return draw(st.sampled_from(PATHS)), draw(st.dictionaries(st.sampled_from(NAMES), values, max_size=4))  # fmt: skip


def test_generated_map_parameters_never_break_the_server(base):
    seen: Counter = Counter()
    client = httpx.Client(timeout=60)

    @SETTINGS
    @given(req=map_request())
    def check(req):
        path, params = (req, {}) if isinstance(req, str) else req
        response = client.get(base + path, params=params)
        assert response.status_code < 500, (path, params, response.text[:300])
        seen[response.status_code] += 1
        if response.status_code >= 400:
            assert set(response.json()) == {"code", "description", "status", "problems"}

    check()
    client.close()
    print(f"\nmap fuzz: {dict(seen)}")

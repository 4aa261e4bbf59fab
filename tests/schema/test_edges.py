"""Every value at its edges, through every argument of the API: a clear 400 (or a request
error in the GraphQL answer) or a right answer, never a 500 or an internal error.

GraphQL: every argument of every root field and every field of every input object, from
the schema itself (a new argument is covered the day it is added), each given in turn the
edge values of its scalar — a type's minimum and maximum, an instant that overflows after
the shift to China time, 32- and 64-bit integers, ±1e308, the longest strings, empty and
long lists, a bad day of the calendar. HTTP: every query parameter and path segment of the
other routes likewise.
"""

from __future__ import annotations

import json

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
)

from schema import build_schema

pytestmark = pytest.mark.generated
SCHEMA = build_schema().graphql_schema
LONG = "长" * 20_000
EDGES = {
    "Int": [0, -1, 2147483647, -2147483648, 2147483648, 9223372036854775807],
    "Float": [0.0, -0.0, 1e308, -1e308, 5e-324, 1e309],
    "String": ["", " ", LONG, "🏗️" * 50, "%_\\", "9" * 400],
    "ID": ["0", "-1", "9223372036854775807", "9223372036854775808", "9" * 40, "", "1.5"],
    "Boolean": [True, False],
    "Timestamp": ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00+08:00", "0001-01-01T07:59:59Z",
                  "9999-12-31T23:59:59Z", "9999-12-31T16:00:00Z", "9999-12-31T23:59:59-08:00",
                  "10000-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "2024-02-30T00:00:00Z",
                  "2024-06-30T16:00:00Z", "2024-06-30", "tomorrow", ""],
    "Date": ["0001-01-01", "9999-12-31", "10000-01-01", "2024-02-30", "1900-01-01", ""],
    "GeoJSON": [{"type": "Point", "coordinates": [1e308, -1e308]},
                {"type": "Polygon", "coordinates": []},
                {"type": "LineString", "coordinates": [[0, 0]] * 3000},
                {"type": "Point", "coordinates": [180, 90]}, "{}", "not json"],
    "JSON": [{}, [], None, {"a": LONG}],
}  # fmt: skip


def _named(kind):
    while isinstance(kind, GraphQLNonNull | GraphQLList):
        kind = kind.of_type
    return kind


def _plain(kind, depth=0):
    """An ordinary value of a type, for the arguments not under test."""
    required = isinstance(kind, GraphQLNonNull)
    inner = kind.of_type if required else kind
    if isinstance(inner, GraphQLList):
        return [_plain(inner.of_type, depth + 1)]
    if isinstance(inner, GraphQLEnumType):
        return next(iter(inner.values))
    if isinstance(inner, GraphQLInputObjectType):
        return {name: _plain(field.type, depth + 1) for name, field in inner.fields.items()
                if isinstance(field.type, GraphQLNonNull)}  # fmt: skip
    return {"Int": 1, "Float": 1.0, "String": "2019-360100-48-01-100000", "ID": "1",
            "Boolean": True, "Timestamp": "2024-01-01T00:00:00Z", "Date": "2024-01-01",
            "GeoJSON": {"type": "Point", "coordinates": [115.9, 28.68]}, "JSON": {}}[inner.name]  # fmt: skip


def _edges_of(kind) -> list:
    """Edge values of a type (lists: empty, long, and the edges inside one)."""
    required = isinstance(kind, GraphQLNonNull)
    inner = kind.of_type if required else kind
    if isinstance(inner, GraphQLList):
        element = _edges_of(inner.of_type)
        return [[], [_plain(inner.of_type)] * 1000, *([e] for e in element[:6])]
    if isinstance(inner, GraphQLEnumType):
        return [next(iter(inner.values)), "NOT_A_VALUE"]
    if isinstance(inner, GraphQLInputObjectType):
        cases = [{}]
        for name, field in inner.fields.items():
            base = _plain(inner)
            for value in _edges_of(field.type)[:8]:
                cases.append({**base, name: value})
        return cases
    assert isinstance(inner, GraphQLScalarType)
    return EDGES[inner.name] + ([None] if not required else [])


def cases():
    query_type = SCHEMA.query_type
    for field_name, field in query_type.fields.items():
        for arg_name, arg in field.args.items():
            others = {n: _plain(a.type) for n, a in field.args.items()
                      if n != arg_name and isinstance(a.type, GraphQLNonNull)}  # fmt: skip
            for value in _edges_of(arg.type):
                yield field_name, arg_name, arg.type, others, value


def _selection(field) -> str:
    kind = _named(field.type)
    if isinstance(kind, GraphQLScalarType | GraphQLEnumType):
        return ""
    return "{ __typename }"


def test_every_graphql_argument_at_its_edges(gql):
    counted = {"requests": 0, "errors": 0}
    with httpx.Client(timeout=60) as client:
        for field_name, arg_name, _kind, others, value in cases():
            field = SCHEMA.query_type.fields[field_name]
            arguments = {**others, arg_name: value}
            declared = ", ".join(f"${n}: {SCHEMA.query_type.fields[field_name].args[n].type}"
                                 for n in arguments)  # fmt: skip
            passed = ", ".join(f"{n}: ${n}" for n in arguments)
            query = f"query({declared}) {{ {field_name}({passed}) {_selection(field)} }}"
            body = json.dumps({"query": query, "variables": arguments}, ensure_ascii=False)
            answer = client.post(gql.url, content=body.replace("Infinity", "1e309").encode(),
                                 headers={"content-type": "application/json"})  # fmt: skip
            counted["requests"] += 1
            assert answer.status_code in (200, 400, 413), (query, value, answer.text[:300])
            body = answer.json()
            codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
            assert "INTERNAL_SERVER_ERROR" not in codes, (field_name, arg_name, value, body)
            counted["errors"] += bool(codes)
    print(f"\nedges: {counted}")
    assert counted["requests"] > 300


def test_every_literal_edge_of_timestamps_and_numbers(gql):
    """The same edges written into the query text (literals are parsed apart from
    variables): asOf at the ends of time, 1e309, integers past 32 bits."""
    literals = [
        'projects(asOf: "9999-12-31T23:59:59Z") { totalCount }',
        'projects(asOf: "10000-01-01T00:00:00Z") { totalCount }',
        'projects(asOf: "0001-01-01T00:00:00+08:00") { totalCount }',
        'complianceScoreboard(asOf: "9999-12-31T23:59:59Z") { __typename }',
        'project(code: "2019-360100-48-01-100000", asOf: "9999-12-31T20:00:00Z") { name }',
        'disclosure(id: "1", asOf: "9999-12-31T23:59:59Z") { id }',
        "projects(bbox: [1e309, 0, 1, 1]) { totalCount }",
        "projects(near: {lon: 115.9, lat: 28.6, meters: 1e309}) { totalCount }",
        "projects(first: 2147483648) { totalCount }",
        'projects(after: "b2Zmc2V0Ojk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5") { totalCount }',
        'disclosure(id: "99999999999999999999") { id }',
    ]
    for text in literals:
        answer = httpx.post(gql.url, json={"query": "{ " + text + " }"}, timeout=60)
        assert answer.status_code in (200, 400), (text, answer.text[:300])
        codes = [e.get("extensions", {}).get("code") for e in answer.json().get("errors", [])]
        assert "INTERNAL_SERVER_ERROR" not in codes, (text, answer.json())


MOMENTS = EDGES["Timestamp"] + ["9999-12-31T23:59:59", "-1", "0"]
NUMBERS = ["0", "-1", "2147483648", "9223372036854775808", "99999999999999999999999", "1e309",
           "NaN", "inf", "-inf", "1.5", "", "٣"]  # fmt: skip
ROUTES = {
    "/projects": {"page": NUMBERS, "q": ["", LONG[:2000], "%"], "district": ["", "9" * 50],
                  "status": ["x"], "sort": ["x"], "has": ["x"], "department": [LONG[:500]]},
    "/report": {"asOf": MOMENTS, "from": EDGES["Date"], "to": EDGES["Date"], "body": ["x"],
                "category": ["x"]},
    "/report.csv": {"asOf": MOMENTS, "from": EDGES["Date"]},
    "/feeds/disclosures.atom": {"before": ["", "x", "9999-12-31T23:59:59+00:00~1",
                                           "0001-01-01T00:00:00+08:00~1",
                                           "2024-01-01T00:00:00+00:00~99999999999999999999"]},
    "/exports/oc4ids.json": {"asOf": MOMENTS, "project": ["", LONG[:300]]},
    "/ogc/collections/projects/items": {"limit": NUMBERS, "offset": NUMBERS,
                                        "bbox": ["1e309,0,1,1", "-180,-90,180,90", "1,2,3",
                                                 "NaN,0,1,1", ",,,", "1," * 4000],
                                        "crs": ["x", LONG[:300]], "f": ["x"],
                                        "datetime": MOMENTS},
    "/ogc/collections/projects/items/{id}": {},
    "/tiles/{z}/{x}/{y}.mvt": {},
    "/downloads/projects.csv": {},
    "/projects.csv": {"page": NUMBERS, "district": ["9" * 50]},
}  # fmt: skip
PATHS = [
    f"/ogc/collections/projects/items/{v}" for v in ["0", "-1", "9" * 30, "1.5", "x"]
] + [
    f"/tiles/{z}/{x}/{y}.mvt"
    for z, x, y in [(0, 0, 0), (31, 0, 0), (32, 0, 0), (30, 2**30 - 1, 2**30 - 1),
                    (2147483647, 0, 0), (99999999999999999999, 1, 1), (1, 2, 2)]
] + [
    "/projects/" + "9" * 500, "/disclosures/99999999999999999999", "/disclosures/-1",
    "/downloads/" + "x" * 300, "/ogc/crs/" + "x" * 300,
]  # fmt: skip


def test_every_parameter_of_every_route_at_its_edges(live_server, demo_data):
    base = f"http://127.0.0.1:{live_server}"
    seen = 0
    with httpx.Client(base_url=base, timeout=120) as client:
        for route, parameters in ROUTES.items():
            if "{" in route:
                continue
            for name, values in parameters.items():
                for value in values:
                    answer = client.get(route, params={name: value})
                    seen += 1
                    assert answer.status_code < 500, (route, name, value, answer.text[:300])
        for path in PATHS:
            answer = client.get(path)
            seen += 1
            assert answer.status_code < 500, (path, answer.text[:300])
    print(f"\nroutes at their edges: {seen} requests")
    json.dumps(seen)

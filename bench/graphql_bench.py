"""GraphQL API against raw SQL that answers the same bytes (one statement building the
JSON, written by hand for speed), through psycopg, on the same data in the same run.

    python -m bench.graphql_bench [--database registry_bench] [--concurrency 4]

Generate the data first: python -m bench.generate --projects 50000 --disclosures 500000
"""

from __future__ import annotations

import argparse

from bench.generate import psycopg_url
from bench.harness import api_server, compare, database_url, graphql_body, graphql_worker

CATEGORY_FIELDS = {
    "approval_service": ("approvalService", "processingTimeLimit", "processing_time_limit"),
    "approval_result": ("approvalResults", "approvalDocNo", "approval_doc_no"),
    "bidding": ("bidding", "winningBidder", "winning_bidder"),
    "land_acquisition": ("landAcquisition", "acquisitionScope", "acquisition_scope"),
    "design_change": ("designChanges", "changeReason", "change_reason"),
    "construction": ("construction", "drawingReviewAgency", "drawing_review_agency"),
    "quality_safety": ("qualitySafety", "supervisionAgency", "supervision_agency"),
    "completion": ("completion", "acceptanceDate", "acceptance_date"),
}

NESTED = (
    "query { projects(first: 100) { totalCount nodes { code name status "
    "sites { name geometry } responsibilities { category department { name } } "
    + " ".join(
        f"{field} {{ title formedOn publishedAt publisher {{ name }} {element} }}"
        for field, element, _ in CATEGORY_FIELDS.values()
    )
    + " } } }"
)

# --- the baselines: SQL written by hand that answers the same bytes -------------------
# JSON is built by concatenation, as compact as the API writes it (PostgreSQL's own json
# functions put spaces after colons): strings through to_json, floats through the
# json_number function of migration 0007, timestamps in UTC with a Z. Each statement is the
# shape a person would write for speed: one pass over a page's disclosures per project, the
# spatial hits found once.


def _str(expression: str) -> str:
    return f"coalesce(to_json({expression})::text, 'null')"


def _list(item: str, order: str, source: str) -> str:
    return f"(SELECT '[' || coalesce(string_agg({item}, ',' ORDER BY {order}), '') || ']' {source})"


STAMP = "to_char(x.published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"


def _disclosure(element: str, column: str) -> str:
    value = _str(f"x.elements ->> '{column}'")
    return (
        f"'{{\"title\":' || {_str('x.title')} || ',\"formedOn\":' || {_str('x.formed_on')}"
        f' || \',"publishedAt":\' || {_str(STAMP)} || \',"publisher":{{"name":\' || '
        f"{_str('d.name')} || '}},\"{element}\":' || {value} || '}}'"
    )


_CATEGORIES = ", ".join(
    f"string_agg({_disclosure(element, column)}, ',' ORDER BY x.formed_on, x.id) "
    f"FILTER (WHERE x.category = '{category}') AS {category}"
    for category, (_, element, column) in CATEGORY_FIELDS.items()
)
_PROJECT = (
    "'{\"code\":' || to_json(p.code)::text || ',\"name\":' || to_json(p.name)::text"
    " || ',\"status\":' || to_json(upper(p.status))::text"
    " || ',\"sites\":' || "
    + _list(
        "'{\"name\":' || coalesce(to_json(s.name)::text, 'null') || ',\"geometry\":' || "
        "coalesce(ST_AsGeoJSON(s.geom, 7), 'null') || '}'",
        "s.id",
        "FROM sites s WHERE s.project_id = p.id",
    )
    + " || ',\"responsibilities\":' || "
    + _list(
        '\'{"category":\' || to_json(upper(r.category))::text || \',"department":{"name":\''
        " || to_json(rd.name)::text || '}}'",
        "r.category, r.id",
        "FROM responsibilities r JOIN departments rd ON rd.id = r.department_id "
        "WHERE r.project_id = p.id",
    )
    + "".join(
        f" || ',\"{field}\":[' || coalesce(c.{category}, '') || ']'"
        for category, (field, _, _) in CATEGORY_FIELDS.items()
    )
    + " || '}'"
)
NESTED_SQL = f"""
SELECT '{{"projects":{{"totalCount":' || (SELECT count(*) FROM projects) || ',"nodes":['
       || coalesce(string_agg({_PROJECT}, ',' ORDER BY p.code), '') || ']}}}}'
FROM (SELECT * FROM projects ORDER BY code LIMIT 100) p
LEFT JOIN LATERAL (SELECT {_CATEGORIES} FROM public_disclosures x
                   JOIN departments d ON d.id = x.publisher_id WHERE x.project_id = p.id) c ON true
"""

BBOX = [115.85, 28.65, 115.95, 28.75]
BBOX_QUERY = f"query {{ projects(bbox: {BBOX}, first: 100) {{ totalCount nodes {{ code name status geometry }} }} }}"
_GEOMETRY = """(SELECT CASE WHEN count(*) = 1 THEN min(ST_AsGeoJSON(g.geom, 7))
  WHEN count(*) > 1 THEN '{"type":"GeometryCollection","geometries":['
       || string_agg(ST_AsGeoJSON(g.geom, 7), ',' ORDER BY g.id) || ']}' END
  FROM sites g WHERE g.project_id = h.id)"""
BBOX_SQL = f"""
WITH hits AS (SELECT p.id, p.code, p.name, p.status FROM projects p WHERE EXISTS (
                SELECT 1 FROM sites s WHERE s.project_id = p.id
                AND ST_Intersects(s.geom, ST_MakeEnvelope(115.85, 28.65, 115.95, 28.75, 4326))))
SELECT '{{"projects":{{"totalCount":' || (SELECT count(*) FROM hits) || ',"nodes":['
       || coalesce(string_agg('{{"code":' || to_json(h.code)::text || ',"name":'
          || to_json(h.name)::text || ',"status":' || to_json(upper(h.status))::text
          || ',"geometry":' || coalesce({_GEOMETRY}, 'null') || '}}', ',' ORDER BY h.code), '')
       || ']}}}}'
FROM (SELECT * FROM hits ORDER BY code LIMIT 100) h
"""

NEAR = {"lon": 115.9, "lat": 28.68, "meters": 2000}
NEAR_QUERY = (
    "query { projects(near: {lon: 115.9, lat: 28.68, meters: 2000}, first: 100) "
    "{ totalCount nodes { code name distance } } }"
)
NEAR_SQL = """
WITH pt AS (SELECT ST_SetSRID(ST_MakePoint(115.9, 28.68), 4326)::geography AS g),
hits AS (SELECT p.id, p.code, p.name, (SELECT min(ST_Distance(s.geom::geography, pt.g))
           FROM sites s WHERE s.project_id = p.id) AS distance
         FROM projects p, pt WHERE EXISTS (SELECT 1 FROM sites s WHERE s.project_id = p.id
           AND ST_DWithin(s.geom::geography, pt.g, 2000)))
SELECT '{"projects":{"totalCount":' || (SELECT count(*) FROM hits) || ',"nodes":['
       || coalesce(string_agg('{"code":' || to_json(h.code)::text || ',"name":'
          || to_json(h.name)::text || ',"distance":' || json_number(h.distance) || '}', ','
          ORDER BY h.distance, h.code), '') || ']}}'
FROM (SELECT * FROM hits ORDER BY distance, code LIMIT 100) h
"""

CASES = [
    ("nested page of 100 projects, 8 categories", NESTED, NESTED_SQL, 60),
    ("bbox, 100 projects with geometry", BBOX_QUERY, BBOX_SQL, 200),
    ("near 2 km, nearest 100", NEAR_QUERY, NEAR_SQL, 200),
]


def run(database: str, concurrency: int, resolvers_only: bool = False) -> list[dict]:
    url = database_url(database)
    dsn = psycopg_url(url)
    env = {
        "REGISTRY_STATEMENT_TIMEOUT_MS": "60000",
        "REGISTRY_API_COMPILE_QUERIES": "false" if resolvers_only else "true",
    }
    cases = [
        (
            name + (" (resolvers)" if resolvers_only else ""),
            query,
            sql,
            None,
            requests // 4 if resolvers_only else requests,
        )
        for name, query, sql, requests in CASES
    ]
    with api_server(url, env) as base:
        return compare(
            base,
            dsn,
            cases,
            concurrency,
            lambda base, query, n: graphql_worker(base, query, None, n),
            body=graphql_body,
            same=lambda answer, row: answer == b'{"data":' + row[0].encode() + b"}",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="registry_bench")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--resolvers",
        action="store_true",
        help="Run every query through the graphene resolvers (no compiled SQL).",
    )
    args = parser.parse_args()
    run(args.database, args.concurrency, args.resolvers)


if __name__ == "__main__":
    main()

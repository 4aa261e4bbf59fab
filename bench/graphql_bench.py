"""GraphQL API against the equivalent raw SQL (one statement building the JSON, as
PostGraphile compiles it) through psycopg, on the same data in the same run.

    python -m bench.graphql_bench [--database registry_bench] [--concurrency 4]

Generate the data first: python -m bench.generate --projects 50000 --disclosures 500000
"""

from __future__ import annotations

import argparse

from sqlalchemy.engine import make_url

from bench.generate import psycopg_url
from bench.harness import api_server, compare, graphql_worker
from registry.settings import get_settings

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

PUBLIC = "x.status = 'published' AND x.audience = 'public' AND x.mode = 'proactive'"


def _category_sql(category: str, field: str, element: str, column: str) -> str:
    return (
        f"'{field}', (SELECT coalesce(json_agg(json_build_object('title', x.title, 'formedOn', "
        f"x.formed_on, 'publishedAt', x.published_at, 'publisher', json_build_object('name', "
        f"d.name), '{element}', x.elements->'{column}') ORDER BY x.formed_on, x.id), '[]') "
        f"FROM disclosures x JOIN departments d ON d.id = x.publisher_id WHERE x.project_id = "
        f"p.id AND x.category = '{category}' AND {PUBLIC})"
    )


NESTED_SQL = f"""
SELECT json_build_object('data', json_build_object('projects', json_build_object(
  'totalCount', (SELECT count(*) FROM projects),
  'nodes', (SELECT json_agg(json_build_object(
      'code', p.code, 'name', p.name, 'status', upper(p.status),
      'sites', (SELECT coalesce(json_agg(json_build_object('name', s.name, 'geometry',
                ST_AsGeoJSON(s.geom, 7)::json) ORDER BY s.id), '[]') FROM sites s WHERE s.project_id = p.id),
      'responsibilities', (SELECT coalesce(json_agg(json_build_object('category', upper(r.category),
                'department', json_build_object('name', d.name)) ORDER BY r.category, r.id), '[]')
                FROM responsibilities r JOIN departments d ON d.id = r.department_id WHERE r.project_id = p.id),
      {", ".join(_category_sql(c, *f) for c, f in CATEGORY_FIELDS.items())}
    ) ORDER BY p.code) FROM (SELECT * FROM projects ORDER BY code LIMIT 100) p))))::text
"""

BBOX = [115.85, 28.65, 115.95, 28.75]
BBOX_QUERY = f"query {{ projects(bbox: {BBOX}, first: 100) {{ totalCount nodes {{ code name status geometry }} }} }}"
BBOX_SQL = """
WITH hits AS (SELECT p.* FROM projects p WHERE EXISTS (SELECT 1 FROM sites s WHERE s.project_id = p.id
              AND ST_Intersects(s.geom, ST_MakeEnvelope(115.85, 28.65, 115.95, 28.75, 4326))))
SELECT json_build_object('data', json_build_object('projects', json_build_object(
  'totalCount', (SELECT count(*) FROM hits),
  'nodes', (SELECT json_agg(json_build_object('code', h.code, 'name', h.name, 'status', upper(h.status),
     'geometry', (SELECT CASE WHEN count(*) = 1 THEN ST_AsGeoJSON(min(s.geom::text)::geometry, 7)::json
                  ELSE json_build_object('type', 'GeometryCollection', 'geometries',
                  json_agg(ST_AsGeoJSON(s.geom, 7)::json ORDER BY s.id)) END
                  FROM sites s WHERE s.project_id = h.id)) ORDER BY h.code)
     FROM (SELECT * FROM hits ORDER BY code LIMIT 100) h))))::text
"""

NEAR = {"lon": 115.9, "lat": 28.68, "meters": 2000}
NEAR_QUERY = (
    "query { projects(near: {lon: 115.9, lat: 28.68, meters: 2000}, first: 100) "
    "{ totalCount nodes { code name distance } } }"
)
NEAR_SQL = """
WITH pt AS (SELECT ST_SetSRID(ST_MakePoint(115.9, 28.68), 4326)::geography AS g),
hits AS (SELECT p.id, p.code, p.name, (SELECT min(ST_Distance(s.geom::geography, pt.g)) FROM sites s
           WHERE s.project_id = p.id) AS distance
         FROM projects p, pt WHERE EXISTS (SELECT 1 FROM sites s WHERE s.project_id = p.id
           AND ST_DWithin(s.geom::geography, pt.g, 2000)))
SELECT json_build_object('data', json_build_object('projects', json_build_object(
  'totalCount', (SELECT count(*) FROM hits),
  'nodes', (SELECT json_agg(json_build_object('code', code, 'name', name, 'distance', distance)
            ORDER BY distance, code) FROM (SELECT * FROM hits ORDER BY distance, code LIMIT 100) h))))::text
"""

CASES = [
    ("nested page of 100 projects, 8 categories", NESTED, NESTED_SQL, 60),
    ("bbox, 100 projects with geometry", BBOX_QUERY, BBOX_SQL, 200),
    ("near 2 km, nearest 100", NEAR_QUERY, NEAR_SQL, 200),
]


def run(database: str, concurrency: int, resolvers_only: bool = False) -> list[dict]:
    url = (
        make_url(get_settings().database.database_url)
        .set(database=database)
        .render_as_string(hide_password=False)
    )
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

"""Generate a large synthetic register for benchmarks: N projects, M disclosures.

    python -m bench.generate --projects 50000 --disclosures 500000

Creates (or recreates) the database named by --database (default registry_bench) next to
DATABASE_URL's, migrates it, loads the demo departments, then bulk-loads projects, sites,
responsibilities and disclosures with COPY. Element values are valid for their catalog
items; about 5% of disclosures are not public. This is benchmark data: it bypasses the
publishing rules on purpose (the loader benchmark measures those).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import time

import psycopg
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench.geometries import random_geometry
from bench.names import owner_names, project_names
from loaders.demo import load_demo
from registry.catalog import get_catalog
from registry.migrations import upgrade
from registry.settings import get_settings

DISTRICTS = [
    "360102",
    "360103",
    "360104",
    "360111",
    "360112",
    "360113",
    "360121",
    "360123",
    "360124",
]
KINDS = ["道路", "桥梁", "学校", "医院", "公园", "地铁", "污水处理厂", "安置房", "体育馆", "堤防"]
STATUSES = ["planning", "approved", "under_construction", "completed", "suspended"]
SAMPLE = {"text": "演示内容", "phone": "0791-86661234", "amount": 1234.5}


def psycopg_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def recreate(database: str) -> str:
    base = get_settings().database.database_url
    with psycopg.connect(psycopg_url(base), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}" TEMPLATE template1')
    return make_url(base).set(database=database).render_as_string(hide_password=False)


def element_values(item, day: dt.date, rng: random.Random) -> dict:
    values = {}
    for ie in item.elements:
        e = ie.element
        if not ie.required and rng.random() < 0.5:
            continue
        values[e.key] = day.isoformat() if e.type == "date" else SAMPLE[e.type]
    return values


def generate(url: str, projects: int, disclosures: int, seed: int = 1) -> dict[str, float]:
    rng = random.Random(seed)
    upgrade(url)
    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        load_demo(session)
    catalog = get_catalog()
    items = catalog.items()
    timings = {}
    with psycopg.connect(psycopg_url(url)) as conn:
        departments = dict(conn.execute("SELECT code, id FROM departments").fetchall())
        first_project = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM projects").fetchone()[0]
        regions = [rng.choice(DISTRICTS) for _ in range(projects)]
        names = project_names(rng, regions)  # a city's names: near twins among them
        owners = owner_names(rng)
        start = time.perf_counter()
        with conn.cursor().copy(
            "COPY projects (id, code, name, description, project_type, industry, "
            "region_code, owner, investment, status, approved_on, is_synthetic) "
            "FROM STDIN"
        ) as copy:
            for i in range(projects):
                region, kind = regions[i], rng.choice(KINDS)
                approved = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randint(0, 2000))
                copy.write_row(
                    (
                        first_project + i,
                        f"2301-{region}-48-01-{i:06d}",
                        names[i],
                        f"【演示数据】基准测试项目 {i}",
                        "approval",
                        kind,
                        region,
                        owners[i % len(owners)],
                        rng.randint(1000, 500000),
                        rng.choice(STATUSES),
                        approved,
                        True,
                    )
                )
        with conn.cursor().copy("COPY sites (project_id, name, geom) FROM STDIN") as copy:
            for i in range(projects):
                for _ in range(rng.choice([1, 1, 1, 2])):
                    copy.write_row(
                        (first_project + i, "位置", f"SRID=4326;{random_geometry(rng).wkt}")
                    )
        timings["projects_and_sites_s"] = time.perf_counter() - start
        start = time.perf_counter()
        conn.execute(
            """
            INSERT INTO responsibilities (project_id, category, department_id, source)
            SELECT p.id, c.category, d.id, 'catalog'
            FROM projects p
            CROSS JOIN (VALUES ('approval_service', 'NCXZSP'), ('approval_result', 'NCFGW'),
                               ('bidding', 'NCCT'), ('land_acquisition', 'NCGOV'),
                               ('design_change', 'NCFGW'), ('construction', 'NCJSJ'),
                               ('quality_safety', 'NCJSJ'), ('completion', 'NCJSJ')) AS c(category, code)
            JOIN departments d ON d.code = c.code
            WHERE p.id >= %s""",
            (first_project,),
        )
        publisher_by_category = {
            "approval_service": "NCXZSP",
            "approval_result": "NCFGW",
            "bidding": "NCCT",
            "land_acquisition": "NCGOV",
            "design_change": "NCFGW",
            "construction": "NCJSJ",
            "quality_safety": "NCJSJ",
            "completion": "NCJSJ",
        }
        first_disclosure = conn.execute(
            "SELECT coalesce(max(id), 0) + 1 FROM disclosures"
        ).fetchone()[0]
        with conn.cursor().copy(
            "COPY disclosures (id, lineage_id, revision, project_id, category, item_key, ref, "
            "publisher_id, title, elements, documents, formed_on, published_at, status, "
            "audience, mode, content_hash, is_synthetic, geom) FROM STDIN"
        ) as copy:
            for n in range(disclosures):
                project = first_project + n % projects
                item = rng.choice(items)
                day = dt.date(2019, 6, 1) + dt.timedelta(days=rng.randint(0, 2000))
                published = dt.datetime.combine(
                    day + dt.timedelta(days=rng.randint(0, 40)), dt.time(10), tzinfo=dt.UTC
                )
                geom = (
                    f"SRID=4326;{random_geometry(rng).wkt}"
                    if item.category.value == "land_acquisition"
                    else None
                )
                did = first_disclosure + n
                copy.write_row(
                    (
                        did,
                        did,
                        1,
                        project,
                        item.category.value,
                        item.key,
                        str(n),
                        departments[publisher_by_category[item.category.value]],
                        f"{item.name_zh} {n}",
                        json.dumps(element_values(item, day, rng), ensure_ascii=False),
                        "[]",
                        day,
                        published,
                        "published",
                        item.audience,
                        item.mode,
                        "bench",
                        True,
                        geom,
                    )
                )
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('projects', 'id'), (SELECT max(id) FROM projects))"
        )
        conn.execute(
            "SELECT setval(pg_get_serial_sequence('disclosures', 'id'), (SELECT max(id) FROM disclosures))"
        )
        conn.commit()
        timings["responsibilities_and_disclosures_s"] = time.perf_counter() - start
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    engine.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=50_000)
    parser.add_argument("--disclosures", type=int, default=500_000)
    parser.add_argument("--database", default="registry_bench")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    url = recreate(args.database)
    timings = generate(url, args.projects, args.disclosures, args.seed)
    print(
        json.dumps(
            {
                "database": args.database,
                "projects": args.projects,
                "disclosures": args.disclosures,
                **{k: round(v, 1) for k, v in timings.items()},
            }
        )
    )


if __name__ == "__main__":
    main()

"""The synthetic Nanchang data set: complete, well placed, marked, and idempotent."""

import pytest
from sqlalchemy import text

from loaders.demo import load_demo
from registry.catalog import Category
from registry.geometry import CHINA_BOUNDS  # noqa: F401  (documents where the bounds live)
from tests.conftest import count

TABLES = ("departments", "projects", "sites", "responsibilities", "disclosures")


@pytest.fixture(scope="module")
def demo_engine(engine):
    from tests.conftest import truncate

    truncate(engine)
    from sqlalchemy.orm import Session

    with Session(engine) as session, session.begin():
        first = load_demo(session)
    yield engine, first
    truncate(engine)


def test_loading_twice_adds_nothing(demo_engine):
    engine, first = demo_engine
    before = {t: count(engine, t) for t in TABLES}
    from sqlalchemy.orm import Session

    with Session(engine) as session, session.begin():
        second = load_demo(session)
    assert set(second) == {"unchanged"}
    assert sum(second.values()) == sum(first.values())
    assert {t: count(engine, t) for t in TABLES} == before


def test_at_least_thirty_projects_across_the_districts(demo_engine):
    engine, _ = demo_engine
    assert count(engine, "projects") >= 30
    with engine.connect() as conn:
        regions = set(conn.scalars(text("SELECT DISTINCT region_code FROM projects")))
    assert {
        "360102",
        "360103",
        "360104",
        "360111",
        "360112",
        "360113",
        "360121",
        "360123",
        "360124",
    } <= regions


def test_points_lines_and_polygons_lie_in_nanchang(demo_engine):
    engine, _ = demo_engine
    with engine.connect() as conn:
        kinds = set(conn.scalars(text("SELECT DISTINCT GeometryType(geom) FROM sites")))
        outside = conn.scalar(
            text(
                "SELECT count(*) FROM sites WHERE NOT ST_Within(geom, "
                "ST_MakeEnvelope(115.5, 28.2, 116.6, 29.2, 4326))"
            )
        )
    assert {"POINT", "LINESTRING", "POLYGON", "MULTIPOINT"} <= kinds
    assert outside == 0


def test_every_category_is_published_by_the_lead_departments(demo_engine):
    engine, _ = demo_engine
    with engine.connect() as conn:
        categories = set(
            conn.scalars(
                text("SELECT DISTINCT category FROM disclosures WHERE status = 'published'")
            )
        )
        publishers = set(
            conn.scalars(
                text(
                    "SELECT DISTINCT d.name FROM disclosures x JOIN departments d ON d.id = x.publisher_id"
                )
            )
        )
    assert categories == {c.value for c in Category}
    assert {
        "南昌市发展和改革委员会",
        "南昌市行政审批局",
        "南昌市建设局",
        "南昌市自然资源和规划局",
        "南昌市生态环境局",
        "南昌市水利局",
        "南昌市林业局",
        "南昌市住房保障和房产管理局",
        "南昌市城市管理局",
    } <= publishers


def test_everything_is_marked_synthetic(demo_engine):
    engine, _ = demo_engine
    for table in ("departments", "projects", "disclosures"):
        assert count(engine, table, "NOT is_synthetic") == 0, table
    assert count(engine, "projects", "description NOT LIKE '【演示数据】%'") == 0


def test_some_items_are_not_for_the_public(demo_engine):
    engine, _ = demo_engine
    assert count(engine, "disclosures", "audience = 'specific_groups'") > 0

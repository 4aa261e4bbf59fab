"""Migrations build the schema from an empty database, and take it down again."""

import uuid

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.pool import NullPool

from registry.migrations import downgrade, upgrade
from tests.conftest import create_database, drop_database

TABLES = {
    "departments",
    "projects",
    "sites",
    "responsibilities",
    "disclosures",
    "audit_log",
    "api_keys",
    "project_lists",
    "list_entries",
    "scope_designations",
    "declarations",
    "alembic_version",
}


@pytest.fixture
def empty_database():
    name = f"registry_t_empty_{uuid.uuid4().hex[:10]}"  # two runs at once never collide
    url = create_database(name)
    yield url
    drop_database(name)


def tables(url):
    eng = create_engine(url, poolclass=NullPool)
    with eng.connect() as conn:
        names = set(inspect(conn).get_table_names())
        gist = set(
            conn.scalars(
                text("SELECT indexname FROM pg_indexes WHERE indexdef LIKE '%USING gist%'")
            )
        )
    eng.dispose()
    return names, gist


def test_upgrade_from_empty_then_down_and_up_again(empty_database):
    assert not (tables(empty_database)[0] & TABLES)
    upgrade(empty_database)
    names, gist = tables(empty_database)
    assert names >= TABLES
    assert {"idx_sites_geom", "idx_disclosures_geom"} <= gist
    downgrade(empty_database)
    assert tables(empty_database)[0] & TABLES == {"alembic_version"}
    upgrade(empty_database)
    assert tables(empty_database)[0] >= TABLES


def test_the_views_of_public_and_current_exist_after_upgrade(engine):
    with engine.connect() as conn:
        views = set(conn.scalars(text("SELECT viewname FROM pg_views WHERE schemaname = 'public'")))
        functions = set(
            conn.scalars(text("SELECT proname FROM pg_proc WHERE proname LIKE 'public_%_at'"))
        )
    assert {"public_disclosures", "public_revisions", "current_disclosures"} <= views
    assert functions == {"public_disclosures_at", "public_revisions_at"}


def test_the_database_refuses_what_the_rules_refuse(engine):
    """Constraints back the publishing rules, for writes that bypass them."""
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError, match="completion_after_approval"), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO projects (code, name, project_type, region_code, "
                "approved_on, completed_on) VALUES ('2303-360111-48-01-999999', 'x', "
                "'approval', '360111', '2023-01-02', '2023-01-01')"
            )
        )

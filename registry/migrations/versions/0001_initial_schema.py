"""Initial schema: departments, projects, sites, responsibilities, disclosures, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 12:00:07.817691
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column(
            "detail", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.CheckConstraint("outcome IN ('ok', 'unchanged', 'refused')", name="outcome_known"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("uscc", sa.Text(), nullable=True),
        sa.Column("region_code", sa.Text(), nullable=True),
        sa.Column("roles", sa.ARRAY(sa.Text()), server_default="{}", nullable=False),
        sa.Column("is_synthetic", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('government_department', 'district_government', 'tenderer_agent', 'enterprise', 'other')",
            name="kind_known",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("uscc"),
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("project_type", sa.Text(), nullable=False),
        sa.Column("industry", sa.Text(), nullable=True),
        sa.Column("region_code", sa.Text(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=True),
        sa.Column("owner_department_id", sa.Integer(), nullable=True),
        sa.Column("investment", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("status", sa.Text(), server_default="planning", nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("is_synthetic", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "project_type IN ('approval', 'authorization', 'filing')", name="type_known"
        ),
        sa.CheckConstraint(
            "status IN ('planning', 'approved', 'under_construction', 'completed', 'suspended')",
            name="status_known",
        ),
        sa.CheckConstraint(
            "completed_on IS NULL OR approved_on IS NULL OR completed_on >= approved_on",
            name="completion_after_approval",
        ),
        sa.ForeignKeyConstraint(
            ["owner_department_id"],
            ["departments.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index(
        "ix_projects_region_code",
        "projects",
        ["region_code"],
        unique=False,
        postgresql_ops={"region_code": "text_pattern_ops"},
    )
    op.create_geospatial_table(
        "disclosures",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("lineage_id", sa.BigInteger(), nullable=True),
        sa.Column("revision", sa.Integer(), server_default="1", nullable=False),
        sa.Column("replaces_id", sa.BigInteger(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("item_key", sa.Text(), nullable=False),
        sa.Column("ref", sa.Text(), server_default="", nullable=False),
        sa.Column("publisher_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column(
            "elements", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column(
            "documents",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
        ),
        sa.Column(
            "geom",
            Geometry(
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("formed_on", sa.Date(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("audience", sa.Text(), nullable=False),
        sa.Column("mode", sa.Text(), nullable=False),
        sa.Column("correction_reason", sa.Text(), nullable=True),
        sa.Column("withdrawn_reason", sa.Text(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("is_synthetic", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("audience IN ('public', 'specific_groups')", name="audience_known"),
        sa.CheckConstraint(
            "category IN ('approval_service', 'approval_result', 'bidding', 'land_acquisition', "
            "'design_change', 'construction', 'quality_safety', 'completion')",
            name="category_known",
        ),
        sa.CheckConstraint("mode IN ('proactive', 'on_request')", name="mode_known"),
        sa.CheckConstraint(
            "status <> 'withdrawn' OR withdrawn_reason IS NOT NULL", name="withdrawal_has_reason"
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'superseded', 'withdrawn')", name="status_known"
        ),
        sa.CheckConstraint(
            "replaces_id IS NULL OR correction_reason IS NOT NULL", name="correction_has_reason"
        ),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["publisher_id"],
            ["departments.id"],
        ),
        sa.ForeignKeyConstraint(
            ["replaces_id"],
            ["disclosures.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_geospatial_index(
        "idx_disclosures_geom",
        "disclosures",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        "ix_disclosures_lineage", "disclosures", ["lineage_id", "revision"], unique=False
    )
    op.create_index(
        "ix_disclosures_project_category",
        "disclosures",
        ["project_id", "category"],
        unique=False,
        postgresql_where=sa.text("status = 'published'"),
    )
    op.create_index(
        op.f("ix_disclosures_publisher_id"), "disclosures", ["publisher_id"], unique=False
    )
    op.create_index(
        "uq_disclosures_current",
        "disclosures",
        ["project_id", "item_key", "ref"],
        unique=True,
        postgresql_where=sa.text("status IN ('draft', 'published')"),
    )
    op.create_table(
        "responsibilities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("item_keys", sa.ARRAY(sa.Text()), nullable=True),
        sa.Column("source", sa.Text(), server_default="catalog", nullable=False),
        sa.Column(
            "assigned_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "category IN ('approval_service', 'approval_result', 'bidding', 'land_acquisition', "
            "'design_change', 'construction', 'quality_safety', 'completion')",
            name="category_known",
        ),
        sa.CheckConstraint("source IN ('catalog', 'assigned')", name="source_known"),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
        ),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "category", "department_id"),
    )
    op.create_index(
        op.f("ix_responsibilities_department_id"),
        "responsibilities",
        ["department_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_responsibilities_project_id"), "responsibilities", ["project_id"], unique=False
    )
    op.create_geospatial_table(
        "sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "GeometryType(geom) IN ('POINT', 'LINESTRING', 'POLYGON', 'MULTIPOINT', 'MULTILINESTRING', 'MULTIPOLYGON')",
            name="geometry_type_allowed",
        ),
        sa.CheckConstraint("ST_IsValid(geom)", name="geometry_valid"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_geospatial_index(
        "idx_sites_geom",
        "sites",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_sites_project_id"), "sites", ["project_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_sites_project_id"), table_name="sites")
    op.drop_geospatial_index(
        "idx_sites_geom", table_name="sites", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("sites")
    op.drop_index(op.f("ix_responsibilities_project_id"), table_name="responsibilities")
    op.drop_index(op.f("ix_responsibilities_department_id"), table_name="responsibilities")
    op.drop_table("responsibilities")
    op.drop_index(
        "uq_disclosures_current",
        table_name="disclosures",
        postgresql_where=sa.text("status IN ('draft', 'published')"),
    )
    op.drop_index(op.f("ix_disclosures_publisher_id"), table_name="disclosures")
    op.drop_index(
        "ix_disclosures_project_category",
        table_name="disclosures",
        postgresql_where=sa.text("status = 'published'"),
    )
    op.drop_index("ix_disclosures_lineage", table_name="disclosures")
    op.drop_geospatial_index(
        "idx_disclosures_geom",
        table_name="disclosures",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_table("disclosures")
    op.drop_index(
        "ix_projects_region_code",
        table_name="projects",
        postgresql_ops={"region_code": "text_pattern_ops"},
    )
    op.drop_table("projects")
    op.drop_table("departments")
    op.drop_table("audit_log")

"""Replaced sites are kept (``site_history``), and refused attempts without a valid key are
counted in one audit row per hour instead of one row each.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "site_history",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column(
            "project_id",
            sa.Integer(),
            sa.ForeignKey("projects.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("name", sa.Text()),
        sa.Column("kind", sa.Text()),
        sa.Column("geom", Geometry(srid=4326, spatial_index=False), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "valid_to", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("replaced_by", sa.Text(), nullable=False),
    )
    op.create_index(
        "ix_audit_log_refusals",
        "audit_log",
        ["actor", "action", "at"],
        postgresql_where=sa.text("outcome = 'refused'"),
    )


def downgrade() -> None:
    op.drop_index("ix_audit_log_refusals", table_name="audit_log")
    op.drop_table("site_history")

"""Geography GiST index on site geometries, for `near` (geodesic ST_DWithin in metres).

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_sites_geography ON sites USING gist (geography(geom))"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_sites_geography")

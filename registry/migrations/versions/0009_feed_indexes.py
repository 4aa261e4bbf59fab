"""Indexes for the newest events first (the Atom feed): publications by ``published_at``
and withdrawals by ``withdrawn_at``, so the feed reads the top of two indexes instead of
sorting every revision. Built concurrently: the registry keeps serving meanwhile.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_disclosures_published_at": ("published_at DESC, id DESC", "published_at IS NOT NULL"),
    "ix_disclosures_withdrawn_at": ("withdrawn_at DESC, id DESC", "withdrawn_at IS NOT NULL"),
}


def upgrade() -> None:
    with op.get_context().autocommit_block():
        for name, (columns, where) in INDEXES.items():
            op.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON disclosures ({columns}) "
                f"WHERE {where}"
            )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        for name in INDEXES:
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")

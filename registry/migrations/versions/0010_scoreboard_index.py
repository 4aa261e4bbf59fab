"""A covering index of what is public, for the scoreboard: the columns timeliness needs
(publisher, category, item, day formed, first publication), restricted by the same
condition as the ``public_disclosures`` view, so the scoreboard's grouped statement reads
the index alone (an index-only scan) instead of every disclosure's row with its JSON.
Built concurrently: the registry keeps serving meanwhile.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

NAME = "ix_disclosures_public_scores"


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {NAME} ON disclosures "
            "(publisher_id, category, item_key, formed_on) INCLUDE (first_published_at) "
            "WHERE status = 'published' AND audience = 'public' AND mode = 'proactive'"
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}")

"""Index the foreign keys of disclosures that lacked one.

Without them, deleting a project (ON DELETE CASCADE) or any disclosure makes PostgreSQL
scan the whole disclosures table once per deleted row to check `replaces_id` and
`project_id`: deleting 100,000 rows took 161 s; with the indexes it is a matter of seconds.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_disclosures_project_id", "disclosures", ["project_id"])
    op.create_index(
        "ix_disclosures_replaces_id",
        "disclosures",
        ["replaces_id"],
        postgresql_where="replaces_id IS NOT NULL",
    )


def downgrade() -> None:
    op.drop_index("ix_disclosures_replaces_id", table_name="disclosures")
    op.drop_index("ix_disclosures_project_id", table_name="disclosures")

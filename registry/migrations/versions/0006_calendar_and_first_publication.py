"""Working days in the database, and each item's first publication on every revision.

- ``calendar_days``: one row per day with whether it is an official working day, the
  number of working days up to it (``workday_index``) and whether it is only provisional
  (no State Council notice known for its year). A deadline of N working days is then one
  lookup: the working day whose index is the formation day's plus N. The rows are written
  by ``registry.compliance.calendar.refresh`` (``registry db upgrade``,
  ``registry calendar update``), from chinese_calendar, the holiday-notice data file and the
  provisional rule.
- ``disclosures.first_published_at``: when the item (its lineage) was first published,
  carried by every later revision; an item is judged on time or late by it.

The views of migration 0005 list the columns of ``disclosures``, so they are re-created.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

PUBLIC = "audience = 'public' AND mode = 'proactive'"
VIEWS = f"""
CREATE VIEW public_disclosures AS
  SELECT * FROM disclosures WHERE status = 'published' AND {PUBLIC};
CREATE VIEW public_revisions AS
  SELECT * FROM disclosures
  WHERE status IN ('published', 'superseded', 'withdrawn') AND {PUBLIC}
    AND published_at IS NOT NULL;
CREATE VIEW current_disclosures AS
  SELECT * FROM disclosures WHERE status IN ('draft', 'published');
"""
DROP_VIEWS = """
DROP VIEW IF EXISTS current_disclosures;
DROP VIEW IF EXISTS public_revisions;
DROP VIEW IF EXISTS public_disclosures;
"""


def upgrade() -> None:
    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("workday_index", sa.Integer(), nullable=False),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
    )
    op.create_index(
        "ix_calendar_days_working_index",
        "calendar_days",
        ["workday_index"],
        unique=True,
        postgresql_where=sa.text("working"),
    )
    op.execute(DROP_VIEWS)
    op.add_column(
        "disclosures", sa.Column("first_published_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute(
        "UPDATE disclosures d SET first_published_at = f.first "
        "FROM (SELECT lineage_id, min(published_at) AS first FROM disclosures "
        "GROUP BY lineage_id) f WHERE f.lineage_id = d.lineage_id"
    )
    op.execute(VIEWS)


def downgrade() -> None:
    op.execute(DROP_VIEWS)
    op.drop_column("disclosures", "first_published_at")
    op.execute(VIEWS)
    op.drop_index("ix_calendar_days_working_index", table_name="calendar_days")
    op.drop_table("calendar_days")

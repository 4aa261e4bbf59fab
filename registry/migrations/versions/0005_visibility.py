"""One SQL meaning of "public" and "current", and what was public at any moment.

Every reader selects from these instead of repeating the conditions:

- ``public_disclosures``: what everyone may see now (published, for the public, proactive);
- ``public_revisions``: every revision the public may know of (published, superseded or
  withdrawn; never drafts, never items for specific groups);
- ``current_disclosures``: the revision a writer acts on (a draft or the published one);
- ``public_revisions_at(t)``: each item's latest public revision published by ``t``
  (withdrawn ones included, with their ``withdrawn_at``);
- ``public_disclosures_at(t)``: what everyone could see at ``t`` (the same, withdrawn by
  then left out). Both are SQL functions PostgreSQL inlines, so filters reach the indexes.

Also records who withdrew an item (``withdrawn_by_id``). The views list the columns of
``disclosures`` as they are now: a migration that adds a column re-creates them.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

PUBLIC = "audience = 'public' AND mode = 'proactive'"

CREATE = f"""
CREATE VIEW public_disclosures AS
  SELECT * FROM disclosures WHERE status = 'published' AND {PUBLIC};

CREATE VIEW public_revisions AS
  SELECT * FROM disclosures
  WHERE status IN ('published', 'superseded', 'withdrawn') AND {PUBLIC}
    AND published_at IS NOT NULL;

CREATE VIEW current_disclosures AS
  SELECT * FROM disclosures WHERE status IN ('draft', 'published');

CREATE FUNCTION public_revisions_at(moment timestamptz) RETURNS SETOF disclosures
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT d.* FROM disclosures d
  WHERE d.{PUBLIC.replace(" AND ", " AND d.")} AND d.published_at <= moment
    AND NOT EXISTS (SELECT 1 FROM disclosures n
                    WHERE n.lineage_id = d.lineage_id AND n.revision > d.revision
                      AND n.published_at <= moment)
$$;

CREATE FUNCTION public_disclosures_at(moment timestamptz) RETURNS SETOF disclosures
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT * FROM public_revisions_at(moment) d
  WHERE d.withdrawn_at IS NULL OR d.withdrawn_at > moment
$$;
"""

DROP = """
DROP FUNCTION IF EXISTS public_disclosures_at(timestamptz);
DROP FUNCTION IF EXISTS public_revisions_at(timestamptz);
DROP VIEW IF EXISTS current_disclosures;
DROP VIEW IF EXISTS public_revisions;
DROP VIEW IF EXISTS public_disclosures;
"""


def upgrade() -> None:
    op.add_column(
        "disclosures",
        sa.Column("withdrawn_by_id", sa.Integer(), sa.ForeignKey("departments.id"), nullable=True),
    )
    op.execute(CREATE)


def downgrade() -> None:
    op.execute(DROP)
    op.drop_column("disclosures", "withdrawn_by_id")

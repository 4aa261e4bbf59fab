"""Reader keys and quotas: free keys that raise a reader's limits, and the counters the
limits are kept with, shared by every API process.

- ``reader_keys``: like departments' keys (only a hash of the secret), but they write
  nothing: they name a reader for the quotas and for webhook subscriptions.
- ``quota_counts``: requests and query cost per subject (a key, or a client address) per
  minute. UNLOGGED: counters are worth no WAL, and a crash that empties them forgives a
  minute's use.

Revision ID: 0015
Revises: 0014
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
CREATE TABLE reader_keys (
  id text PRIMARY KEY,
  secret_hash text NOT NULL,
  label text NOT NULL,
  contact text,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);
CREATE UNLOGGED TABLE quota_counts (
  subject text NOT NULL,
  window_start timestamptz NOT NULL,
  requests integer NOT NULL DEFAULT 0,
  cost bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (subject, window_start)
);
"""
    )


def downgrade() -> None:
    op.execute("DROP TABLE quota_counts; DROP TABLE reader_keys;")

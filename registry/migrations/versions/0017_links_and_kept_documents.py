"""Links and kept documents: what the link checker found, and the copies it kept.

- ``kept_documents``: the first good fetch of each document, content-addressed (SHA-256);
  the bytes are in the document store (REGISTRY_DOCUMENT_DIR), this row says what they are,
  where and when they were taken, and what the attachment scan found.
- ``document_findings``: personal data the scan found in a kept document (page, kind, a
  masked match). Reported to the publishing department only, never on a public page.
- ``links``: one row per checked URL: its state (ok, moved, broken, wrong, changed), since
  when, why, the failures counted towards "broken", and the kept copy it is compared with.
- ``link_checks``: every check (when, status, final URL, redirect chain, type, size, hash,
  time taken): the evidence behind each state.

Revision ID: 0017
Revises: 0016
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
CREATE TABLE kept_documents (
  sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  content_type text NOT NULL,
  filename text NOT NULL,
  size bigint NOT NULL,
  url text NOT NULL,
  kept_at timestamptz NOT NULL,
  scan text NOT NULL DEFAULT 'pending'
    CHECK (scan IN ('pending', 'clean', 'found', 'not_scannable'))
);
CREATE TABLE document_findings (
  sha256 text NOT NULL REFERENCES kept_documents ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('resident_id', 'mobile')),
  page integer,
  masked text NOT NULL
);
CREATE INDEX document_findings_sha256 ON document_findings (sha256);
CREATE TABLE links (
  url text PRIMARY KEY,
  state text NOT NULL DEFAULT 'unchecked'
    CHECK (state IN ('unchecked', 'ok', 'moved', 'broken', 'wrong', 'changed')),
  state_since timestamptz,
  reason text,
  checked_at timestamptz,
  failures integer NOT NULL DEFAULT 0,
  failing_since timestamptz,
  last_failure text,
  moved_to text,
  kept_sha256 text REFERENCES kept_documents,
  validators jsonb NOT NULL DEFAULT '{}'
);
CREATE TABLE link_checks (
  id bigserial PRIMARY KEY,
  url text NOT NULL,
  checked_at timestamptz NOT NULL,
  outcome text NOT NULL,
  reason text,
  status integer,
  final_url text,
  chain jsonb NOT NULL DEFAULT '[]',
  content_type text,
  size bigint,
  sha256 text,
  elapsed_ms integer NOT NULL
);
CREATE INDEX link_checks_url ON link_checks (url, checked_at DESC);
-- which public items link to a URL (the kept copy served only while one does)
CREATE INDEX disclosures_documents ON disclosures USING gin (documents jsonb_path_ops);
"""
    )


def downgrade() -> None:
    op.execute(
        "DROP INDEX IF EXISTS disclosures_documents; "
        "DROP TABLE IF EXISTS link_checks, links, document_findings, kept_documents CASCADE"
    )

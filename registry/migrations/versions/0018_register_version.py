"""The register's version beyond the audit log: one number bumped by every statement that
changes what readers see without going through the write path — the calendar table
(``registry calendar update``, ``db upgrade``) and the link checker's tables. With the last
audited write it is the state every public answer is cached by (registry/web/cache.py).

Revision ID: 0018
Revises: 0017
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

TABLES = ("calendar_days", "links", "kept_documents", "document_findings")


def upgrade() -> None:
    op.execute(
        """
CREATE TABLE register_version (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  n bigint NOT NULL
);
INSERT INTO register_version VALUES (true, 1);
CREATE FUNCTION bump_register_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE register_version SET n = n + 1;
  RETURN NULL;
END $$;
"""
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_register_version()"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_version ON {table}")
    op.execute(
        "DROP FUNCTION IF EXISTS bump_register_version(); DROP TABLE IF EXISTS register_version"
    )

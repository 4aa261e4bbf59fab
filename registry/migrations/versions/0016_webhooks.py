"""Webhooks: readers' subscriptions to the change stream, their deliveries, and the job
queue that runs them (procrastinate's tables, as its version in uv.lock defines them).

- ``webhook_subscriptions``: a reader key's URL, filter (as ``changes`` takes it) and
  signing secret (kept in clear: signing needs it); the cursor delivered up to; active, or
  disabled with the reason.
- ``webhook_deliveries``: every attempt — event, attempt number, outcome, response code,
  latency, error — readable by the subscription's owner.
- The commit seal of the change stream (migration 0014) now notifies ``registry_changes``
  as it commits, so workers deliver at once instead of at their next poll.

Upgrading procrastinate: apply its own migrations for the versions in between (see
docs/operations.md).

Revision ID: 0016
Revises: 0015
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

SEAL = """
CREATE OR REPLACE FUNCTION change_seal_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(73600014);
  UPDATE change_commits SET seq = nextval('change_seq'), committed_at = clock_timestamp()
   WHERE txid = NEW.txid;
  -- a test's way to stretch the moment between the number and the commit
  PERFORM pg_sleep(coalesce(nullif(current_setting('registry.seal_pause', true), ''), '0')::float8);
  PERFORM pg_notify('registry_changes', '');  -- delivered at commit
  RETURN NULL;
END $$;
"""

TABLES = """
CREATE TABLE webhook_subscriptions (
  id serial PRIMARY KEY,
  reader_key_id text NOT NULL REFERENCES reader_keys(id),
  url text NOT NULL,
  secret text NOT NULL,
  filter jsonb NOT NULL DEFAULT '{}',
  last_seq bigint NOT NULL DEFAULT 0,
  last_id bigint NOT NULL DEFAULT 0,
  status text NOT NULL DEFAULT 'active' CONSTRAINT status_known
    CHECK (status IN ('active', 'disabled')),
  disabled_reason text,
  disabled_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_webhook_subscriptions_reader ON webhook_subscriptions (reader_key_id);
CREATE TABLE webhook_deliveries (
  id bigserial PRIMARY KEY,
  subscription_id integer NOT NULL REFERENCES webhook_subscriptions(id) ON DELETE CASCADE,
  event_cursor text NOT NULL,
  attempt integer NOT NULL,
  outcome text NOT NULL CONSTRAINT outcome_known CHECK (outcome IN ('delivered', 'failed')),
  response_code integer,
  latency_ms integer,
  error text,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_webhook_deliveries_subscription ON webhook_deliveries (subscription_id, id);
"""


def upgrade() -> None:
    op.execute(SEAL)
    op.execute(TABLES)
    # procrastinate's schema as its own SQL file has it (no bind parameters in it); imported
    # here, not above: every alembic command loads every migration, and this costs 0.4 s
    from procrastinate.schema import SchemaManager

    op.get_bind().connection.driver_connection.execute(SchemaManager.get_schema())


def downgrade() -> None:
    op.execute("DROP TABLE webhook_deliveries; DROP TABLE webhook_subscriptions;")
    op.execute(
        """
DROP TABLE procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
  procrastinate_workers CASCADE;
DO $$ DECLARE t regtype; f regprocedure; BEGIN
  FOR t IN SELECT oid::regtype FROM pg_type
            WHERE typname LIKE 'procrastinate%' AND typtype IN ('c', 'e') LOOP
    EXECUTE 'DROP TYPE IF EXISTS ' || t || ' CASCADE';
  END LOOP;
  FOR f IN SELECT oid::regprocedure FROM pg_proc WHERE proname LIKE 'procrastinate%' LOOP
    EXECUTE 'DROP FUNCTION ' || f || ' CASCADE';
  END LOOP;
END $$;
"""
    )
    op.execute(
        SEAL.replace("  PERFORM pg_notify('registry_changes', '');  -- delivered at commit\n", "")
    )

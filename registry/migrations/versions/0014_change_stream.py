"""The change stream: every public change as an event, in commit order, resumable.

Triggers write the events, so every writer (the mutations, the loaders' batches, the
upload page, a migration) produces them in the same transaction as the change; nothing
that commits is missed and nothing rolled back appears.

- ``change_events``: one row per public change (a project registered or changed, its sites
  replaced, an item published, corrected or withdrawn, a responsibility assigned or
  removed, a list issued, a project added to or removed from one, a designation, a
  declaration made or withdrawn), written by statement triggers from the transition tables
  (a batch of 100,000 rows is one INSERT ... SELECT, not 100,000 trigger calls). Drafts and
  items for specific groups never produce one.
- ``change_commits``: one row per writing transaction, sealed at commit by a deferred
  constraint trigger that takes a number from ``change_seq`` under a transaction-level
  advisory lock. The lock is released only after the transaction's commit is visible, so
  numbers are handed out in commit order: a reader that sees number N sees every number
  below it (or it was rolled back). A number taken inside the transaction at the write
  would not do: a transaction that took a lower number can commit after a reader passed it.
  The cost is that writing transactions seal one at a time (the lock covers the commit
  itself, about a WAL flush), which a register's write rate allows; see
  docs/architecture.md.

A reader's cursor is (seq, event id); it asks for events after it among sealed commits.

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

PUBLIC = "{t}.status = 'published' AND {t}.audience = 'public' AND {t}.mode = 'proactive'"
SEAL_LOCK = 73_600_014  # the advisory lock key that orders the seals

CREATE = f"""
CREATE TABLE change_events (
  id bigserial NOT NULL,
  txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  at timestamptz NOT NULL DEFAULT now(),
  kind text NOT NULL,
  project_id integer,
  department_id integer,
  category text,
  item_key text,
  disclosure_id bigint,
  lineage_id bigint,
  list_id integer,
  body jsonb NOT NULL DEFAULT '{{}}',
  -- the only index that orders events: a reader walks one transaction's events by it (an
  -- index on id alone would tempt the planner to scan every transaction's events in id
  -- order looking for one transaction's)
  PRIMARY KEY (txid, id)
);
CREATE UNIQUE INDEX uq_change_events_sites ON change_events (txid, project_id)
  WHERE kind = 'project.sites_replaced';

CREATE SEQUENCE change_seq;
CREATE TABLE change_commits (
  txid xid8 PRIMARY KEY,
  seq bigint UNIQUE,
  committed_at timestamptz
);

-- every statement that wrote events notes its transaction once
CREATE FUNCTION change_note_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_commits (txid) VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER change_events_note AFTER INSERT ON change_events
  FOR EACH STATEMENT EXECUTE FUNCTION change_note_commit();

-- at commit: a number in commit order (the lock is held until the commit is visible)
CREATE FUNCTION change_seal_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock({SEAL_LOCK});
  UPDATE change_commits SET seq = nextval('change_seq'), committed_at = clock_timestamp()
   WHERE txid = NEW.txid;
  -- a test's way to stretch the moment between the number and the commit
  PERFORM pg_sleep(coalesce(nullif(current_setting('registry.seal_pause', true), ''), '0')::float8);
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER change_commits_seal AFTER INSERT ON change_commits
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION change_seal_commit();

-- projects ------------------------------------------------------------------------------
CREATE FUNCTION change_project_fields(p projects) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'code', p.code, 'name', p.name, 'description', p.description,
    'project_type', p.project_type, 'industry', p.industry, 'region_code', p.region_code,
    'owner', p.owner,
    'owner_department', (SELECT d.code FROM departments d WHERE d.id = p.owner_department_id),
    'investment', p.investment, 'status', p.status, 'approved_on', p.approved_on,
    'started_on', p.started_on, 'completed_on', p.completed_on)
$$;

CREATE FUNCTION change_projects_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_events (kind, project_id, department_id, body)
  SELECT 'project.registered', n.id, n.owner_department_id, change_project_fields(n)
    FROM new_rows n ORDER BY n.id;
  RETURN NULL;
END $$;
CREATE TRIGGER change_projects_inserted AFTER INSERT ON projects
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION change_projects_inserted();

CREATE FUNCTION change_projects_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_events (kind, project_id, department_id, body)
  SELECT 'project.changed', n.id, n.owner_department_id,
         jsonb_build_object('code', n.code, 'changes', f.changes)
    FROM old_rows o JOIN new_rows n ON n.id = o.id
   CROSS JOIN LATERAL (
     SELECT jsonb_agg(jsonb_build_object('field', a.key, 'before', b.value, 'after', a.value)
                      ORDER BY a.key) AS changes
       FROM jsonb_each(change_project_fields(n)) a
       JOIN jsonb_each(change_project_fields(o)) b ON b.key = a.key
      WHERE a.value IS DISTINCT FROM b.value) f
   WHERE f.changes IS NOT NULL
   ORDER BY n.id;
  RETURN NULL;
END $$;
CREATE TRIGGER change_projects_updated AFTER UPDATE ON projects
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION change_projects_updated();

-- sites: one event per project and transaction (not when the project was just registered)
CREATE FUNCTION change_sites() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_events (kind, project_id)
  SELECT DISTINCT 'project.sites_replaced', t.project_id
    FROM changed_rows t
   WHERE NOT EXISTS (
     SELECT FROM change_events e
      WHERE e.txid = pg_current_xact_id() AND e.kind = 'project.registered'
        AND e.project_id = t.project_id)
  ON CONFLICT (txid, project_id) WHERE kind = 'project.sites_replaced' DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER change_sites_inserted AFTER INSERT ON sites
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION change_sites();
CREATE TRIGGER change_sites_deleted AFTER DELETE ON sites
  REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION change_sites();

-- disclosures: only what the public sees --------------------------------------------------
CREATE FUNCTION change_item(d disclosures) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object(
    'id', d.id, 'lineage_id', d.lineage_id, 'revision', d.revision, 'title', d.title,
    'formed_on', d.formed_on, 'published_at', d.published_at,
    'replaces_id', d.replaces_id, 'correction_reason', d.correction_reason)
$$;

CREATE FUNCTION change_disclosures_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_events
    (kind, project_id, department_id, category, item_key, disclosure_id, lineage_id, body)
  SELECT CASE WHEN n.replaces_id IS NULL THEN 'item.published' ELSE 'item.corrected' END,
         n.project_id, n.publisher_id, n.category, n.item_key, n.id, n.lineage_id,
         change_item(n)
    FROM new_rows n WHERE {PUBLIC.format(t="n")} ORDER BY n.id;
  RETURN NULL;
END $$;
CREATE TRIGGER change_disclosures_inserted AFTER INSERT ON disclosures
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION change_disclosures_inserted();

CREATE FUNCTION change_disclosures_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_events
    (kind, project_id, department_id, category, item_key, disclosure_id, lineage_id, body)
  SELECT CASE WHEN {PUBLIC.format(t="n")}
              THEN CASE WHEN n.replaces_id IS NULL THEN 'item.published'
                        ELSE 'item.corrected' END
              ELSE 'item.withdrawn' END,
         n.project_id, n.publisher_id, n.category, n.item_key, n.id, n.lineage_id,
         CASE WHEN {PUBLIC.format(t="n")} THEN change_item(n)
              ELSE jsonb_build_object('id', n.id, 'lineage_id', n.lineage_id,
                     'revision', n.revision, 'reason', n.withdrawn_reason,
                     'withdrawn_at', n.withdrawn_at,
                     'withdrawn_by', (SELECT d.code FROM departments d
                                       WHERE d.id = n.withdrawn_by_id)) END
    FROM old_rows o JOIN new_rows n ON n.id = o.id
   WHERE ({PUBLIC.format(t="n")}) IS DISTINCT FROM ({PUBLIC.format(t="o")})
     AND n.status <> 'superseded'  -- the correction that superseded it is the event
   ORDER BY n.id;
  RETURN NULL;
END $$;
CREATE TRIGGER change_disclosures_updated AFTER UPDATE ON disclosures
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION change_disclosures_updated();

-- responsibilities ----------------------------------------------------------------------
CREATE FUNCTION change_responsibilities() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_events (kind, project_id, department_id, category, body)
  SELECT CASE TG_OP WHEN 'INSERT' THEN 'responsibility.assigned' WHEN 'DELETE'
              THEN 'responsibility.removed' ELSE 'responsibility.changed' END,
         r.project_id, r.department_id, r.category,
         jsonb_build_object(
           'department', (SELECT d.code FROM departments d WHERE d.id = r.department_id),
           'items', to_jsonb(r.item_keys), 'source', r.source)
    FROM changed_rows r ORDER BY r.id;
  RETURN NULL;
END $$;
CREATE TRIGGER change_responsibilities_inserted AFTER INSERT ON responsibilities
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT
  EXECUTE FUNCTION change_responsibilities();
CREATE TRIGGER change_responsibilities_updated AFTER UPDATE ON responsibilities
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT
  EXECUTE FUNCTION change_responsibilities();
CREATE TRIGGER change_responsibilities_deleted AFTER DELETE ON responsibilities
  REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT
  EXECUTE FUNCTION change_responsibilities();

-- lists, entries, designations, declarations ---------------------------------------------
CREATE FUNCTION change_lists() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_events (kind, department_id, list_id, body)
  SELECT CASE TG_OP WHEN 'INSERT' THEN 'list.issued' ELSE 'list.changed' END,
         l.issuer_id, l.id,
         jsonb_build_object('name', l.name, 'level', l.level, 'year', l.year,
           'region_code', l.region_code, 'doc_no', l.doc_no, 'issued_on', l.issued_on,
           'in_force_until', l.in_force_until)
    FROM changed_rows l ORDER BY l.id;
  RETURN NULL;
END $$;
CREATE TRIGGER change_lists_inserted AFTER INSERT ON project_lists
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION change_lists();
CREATE TRIGGER change_lists_updated AFTER UPDATE ON project_lists
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION change_lists();

CREATE FUNCTION change_list_entries_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_events (kind, project_id, list_id, body)
  SELECT 'list.entry_added', n.project_id, n.list_id,
         jsonb_build_object('row_no', n.row_no, 'added_on', n.added_on)
    FROM new_rows n ORDER BY n.id;
  RETURN NULL;
END $$;
CREATE FUNCTION change_list_entries_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_events (kind, project_id, list_id, body)
  SELECT 'list.entry_removed', n.project_id, n.list_id,
         jsonb_build_object('removed_on', n.removed_on, 'reason', n.removed_reason)
    FROM old_rows o JOIN new_rows n ON n.id = o.id
   WHERE n.removed_on IS NOT NULL AND o.removed_on IS NULL
   ORDER BY n.id;
  RETURN NULL;
END $$;
CREATE TRIGGER change_list_entries_inserted AFTER INSERT ON list_entries
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION change_list_entries_inserted();
CREATE TRIGGER change_list_entries_updated AFTER UPDATE ON list_entries
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION change_list_entries_updated();

CREATE FUNCTION change_designations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_events (kind, project_id, body)
  SELECT 'scope.designated', n.project_id,
         jsonb_build_object('reason', n.reason, 'from_on', n.from_on, 'until_on', n.until_on)
    FROM new_rows n ORDER BY n.id;
  RETURN NULL;
END $$;
CREATE TRIGGER change_designations_inserted AFTER INSERT ON scope_designations
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION change_designations();

CREATE FUNCTION change_declarations_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_events (kind, project_id, department_id, category, item_key, body)
  SELECT 'declaration.made', n.project_id, n.department_id, n.category, n.item_key,
         jsonb_build_object('id', n.id, 'kind', n.kind, 'reason', n.reason,
           'expected_stage', n.expected_stage, 'declared_at', n.declared_at)
    FROM new_rows n ORDER BY n.id;
  RETURN NULL;
END $$;
CREATE FUNCTION change_declarations_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO change_events (kind, project_id, department_id, category, item_key, body)
  SELECT 'declaration.withdrawn', n.project_id, n.department_id, n.category, n.item_key,
         jsonb_build_object('id', n.id, 'kind', n.kind, 'reason', n.withdrawn_reason,
           'withdrawn_at', n.withdrawn_at)
    FROM old_rows o JOIN new_rows n ON n.id = o.id
   WHERE n.withdrawn_at IS NOT NULL AND o.withdrawn_at IS NULL
   ORDER BY n.id;
  RETURN NULL;
END $$;
CREATE TRIGGER change_declarations_inserted AFTER INSERT ON declarations
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION change_declarations_inserted();
CREATE TRIGGER change_declarations_updated AFTER UPDATE ON declarations
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION change_declarations_updated();
"""

DROP = """
DROP TRIGGER change_declarations_updated ON declarations;
DROP TRIGGER change_declarations_inserted ON declarations;
DROP TRIGGER change_designations_inserted ON scope_designations;
DROP TRIGGER change_list_entries_updated ON list_entries;
DROP TRIGGER change_list_entries_inserted ON list_entries;
DROP TRIGGER change_lists_updated ON project_lists;
DROP TRIGGER change_lists_inserted ON project_lists;
DROP TRIGGER change_responsibilities_deleted ON responsibilities;
DROP TRIGGER change_responsibilities_updated ON responsibilities;
DROP TRIGGER change_responsibilities_inserted ON responsibilities;
DROP TRIGGER change_disclosures_updated ON disclosures;
DROP TRIGGER change_disclosures_inserted ON disclosures;
DROP TRIGGER change_sites_deleted ON sites;
DROP TRIGGER change_sites_inserted ON sites;
DROP TRIGGER change_projects_updated ON projects;
DROP TRIGGER change_projects_inserted ON projects;
DROP FUNCTION change_declarations_updated(), change_declarations_inserted(),
  change_designations(), change_list_entries_updated(), change_list_entries_inserted(),
  change_lists(), change_responsibilities(), change_disclosures_updated(),
  change_disclosures_inserted(), change_item(disclosures), change_sites(),
  change_projects_updated(), change_projects_inserted(), change_project_fields(projects);
DROP TABLE change_events;
DROP TABLE change_commits;
DROP FUNCTION change_seal_commit(), change_note_commit();
DROP SEQUENCE change_seq;
"""


def upgrade() -> None:
    op.execute(CREATE)


def downgrade() -> None:
    op.execute(DROP)

"""The list and scope of major projects (重大建设项目名单和范围): lists as issued and the
projects on them (added, and after a mid-year adjustment removed, each from a day), projects
an administrator designated, and "not applicable" / "not yet formed" declarations.

Revision ID: 0013
Revises: 0012
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

CATEGORIES = (
    "'approval_service', 'approval_result', 'bidding', 'land_acquisition', 'design_change', "
    "'construction', 'quality_safety', 'completion'"
)

CREATE = f"""
CREATE TABLE project_lists (
  id serial PRIMARY KEY,
  name text NOT NULL,
  level text NOT NULL CONSTRAINT level_known
    CHECK (level IN ('national', 'provincial', 'municipal', 'district')),
  year integer NOT NULL,
  region_code text NOT NULL,
  issuer_id integer NOT NULL REFERENCES departments(id),
  doc_no text NOT NULL DEFAULT '',
  issued_on date NOT NULL,
  in_force_until date,
  scope_note text NOT NULL DEFAULT '',
  source_url text,
  is_synthetic boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_project_lists_issuer_id ON project_lists (issuer_id);

CREATE TABLE list_entries (
  id serial PRIMARY KEY,
  list_id integer NOT NULL REFERENCES project_lists(id) ON DELETE CASCADE,
  project_id integer NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  row_no text NOT NULL DEFAULT '',
  section text NOT NULL DEFAULT '',
  nature text CONSTRAINT nature_known CHECK (nature IN ('new', 'continuing', 'preparatory')),
  scale_content text NOT NULL DEFAULT '',
  period text NOT NULL DEFAULT '',
  total_investment numeric(14, 2),
  annual_investment numeric(14, 2),
  responsible_unit text NOT NULL DEFAULT '',
  added_on date NOT NULL,
  added_by_adjustment boolean NOT NULL DEFAULT false,
  removed_on date,
  removed_reason text,
  removed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT removed_after_added CHECK (removed_on IS NULL OR removed_on >= added_on),
  CONSTRAINT removal_has_reason CHECK (removed_on IS NULL OR removed_reason IS NOT NULL)
);
CREATE UNIQUE INDEX uq_list_entries_current ON list_entries (list_id, project_id)
  WHERE removed_on IS NULL;
CREATE INDEX ix_list_entries_project ON list_entries (project_id);
CREATE INDEX ix_list_entries_created ON list_entries (created_at, id);
CREATE INDEX ix_list_entries_removed ON list_entries (removed_at, id) WHERE removed_at IS NOT NULL;

CREATE TABLE scope_designations (
  id serial PRIMARY KEY,
  project_id integer NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  reason text NOT NULL,
  from_on date NOT NULL,
  until_on date,
  designated_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_scope_designations_project ON scope_designations (project_id);

CREATE TABLE declarations (
  id serial PRIMARY KEY,
  project_id integer NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  category text NOT NULL CONSTRAINT category_known CHECK (category IN ({CATEGORIES})),
  item_key text,
  kind text NOT NULL CONSTRAINT kind_known CHECK (kind IN ('not_applicable', 'not_yet_formed')),
  reason text NOT NULL,
  expected_stage text,
  department_id integer NOT NULL REFERENCES departments(id),
  declared_at timestamptz NOT NULL DEFAULT now(),
  withdrawn_at timestamptz,
  withdrawn_reason text,
  CONSTRAINT withdrawal_has_reason CHECK (withdrawn_at IS NULL OR withdrawn_reason IS NOT NULL)
);
CREATE UNIQUE INDEX uq_declarations_current
  ON declarations (project_id, category, coalesce(item_key, '')) WHERE withdrawn_at IS NULL;
CREATE INDEX ix_declarations_project ON declarations (project_id);
"""


def upgrade() -> None:
    op.execute(CREATE)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS declarations, scope_designations, list_entries, project_lists")

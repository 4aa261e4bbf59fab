"""Tables of the registry (SQLAlchemy 2, typed; geometry through GeoAlchemy2).

Enumerations are TEXT with CHECK constraints rather than PostgreSQL enum types, so a
migration that adds a value is one constraint swap. The eight categories are checked
against ``Category``; catalog item keys are data and are checked by the publishing rules.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from registry.catalog import Category
from registry.geometry import SITE_TYPES, STORAGE_SRID

DEPARTMENT_KINDS = (
    "government_department",
    "district_government",
    "tenderer_agent",
    "enterprise",
    "other",
)
PROJECT_TYPES = {"approval": "审批", "authorization": "核准", "filing": "备案"}
PROJECT_STATUSES = {
    "planning": "前期",
    "approved": "已批复",
    "under_construction": "在建",
    "completed": "已竣工",
    "suspended": "停缓建",
}
DISCLOSURE_STATUSES = ("draft", "published", "superseded", "withdrawn")


def _one_of(column: str, values: Any) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSONB, list[Any]: JSONB}


def _now() -> Mapped[dt.datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class Department(Base):
    """A publishing body (公开主体)."""

    __tablename__ = "departments"
    __table_args__ = (CheckConstraint(_one_of("kind", DEPARTMENT_KINDS), name="kind_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    uscc: Mapped[str | None] = mapped_column(Text, unique=True)
    region_code: Mapped[str | None] = mapped_column(Text)
    roles: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    is_synthetic: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_at: Mapped[dt.datetime] = _now()


class Project(Base):
    """A major construction project, keyed by its national project code (项目统一代码)."""

    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint(_one_of("project_type", PROJECT_TYPES), name="type_known"),
        CheckConstraint(_one_of("status", PROJECT_STATUSES), name="status_known"),
        CheckConstraint(
            "completed_on IS NULL OR approved_on IS NULL OR completed_on >= approved_on",
            name="completion_after_approval",
        ),
        Index("ix_projects_search_grams", "search_grams", postgresql_using="gin"),
        Index(
            "ix_projects_region_code",
            "region_code",
            postgresql_ops={"region_code": "text_pattern_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    project_type: Mapped[str] = mapped_column(Text)
    industry: Mapped[str | None] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(Text)
    owner_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    investment: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    status: Mapped[str] = mapped_column(Text, server_default="planning")
    approved_on: Mapped[dt.date | None] = mapped_column(Date)
    started_on: Mapped[dt.date | None] = mapped_column(Date)
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    is_synthetic: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # every character and pair of adjacent characters of name and description, for
    # Chinese substring search (migration 0011); PostgreSQL keeps it, nobody writes it
    search_grams: Mapped[list[str]] = mapped_column(
        ARRAY(Text), Computed("text_grams(name, description)", persisted=True), deferred=True
    )
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _now()

    sites: Mapped[list[Site]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="Site.id"
    )
    owner_department: Mapped[Department | None] = relationship()


class Site(Base):
    """One geometry of a project (a line, a station, a parcel...)."""

    __tablename__ = "sites"
    __table_args__ = (
        CheckConstraint(
            f"GeometryType(geom) IN ({', '.join(repr(t.upper()) for t in SITE_TYPES)})",
            name="geometry_type_allowed",
        ),
        CheckConstraint("ST_IsValid(geom)", name="geometry_valid"),
        Index("ix_sites_geography", text("geography(geom)"), postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[Any] = mapped_column(Geometry(srid=STORAGE_SRID, spatial_index=True))
    created_at: Mapped[dt.datetime] = _now()

    project: Mapped[Project] = relationship(back_populates="sites")


class SiteHistory(Base):
    """A site as it was before the project's sites were replaced."""

    __tablename__ = "site_history"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[Any] = mapped_column(Geometry(srid=STORAGE_SRID, spatial_index=False))
    valid_from: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    valid_to: Mapped[dt.datetime] = _now()
    replaced_by: Mapped[str] = mapped_column(Text)


class Responsibility(Base):
    """Which department must publish a category of a project (谁公开，谁负责).

    ``item_keys`` NULL means every item of the category; otherwise only those items
    (approval results of one project come from several approving bodies).
    """

    __tablename__ = "responsibilities"
    __table_args__ = (
        UniqueConstraint("project_id", "category", "department_id"),
        CheckConstraint(_one_of("category", [c.value for c in Category]), name="category_known"),
        CheckConstraint("source IN ('catalog', 'assigned')", name="source_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(Text)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    item_keys: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    source: Mapped[str] = mapped_column(Text, server_default="catalog")
    assigned_at: Mapped[dt.datetime] = _now()

    department: Mapped[Department] = relationship()

    def covers(self, item_key: str) -> bool:
        return self.item_keys is None or item_key in self.item_keys


class Disclosure(Base):
    """One revision of a published item. Rows are never overwritten in substance: a
    correction inserts a new revision (``replaces_id``) and marks the old one superseded;
    a withdrawal sets the state and the reason. ``lineage_id`` groups every revision."""

    __tablename__ = "disclosures"
    __table_args__ = (
        CheckConstraint(_one_of("category", [c.value for c in Category]), name="category_known"),
        CheckConstraint(_one_of("status", DISCLOSURE_STATUSES), name="status_known"),
        CheckConstraint("audience IN ('public', 'specific_groups')", name="audience_known"),
        CheckConstraint("mode IN ('proactive', 'on_request')", name="mode_known"),
        CheckConstraint(
            "status <> 'withdrawn' OR withdrawn_reason IS NOT NULL", name="withdrawal_has_reason"
        ),
        CheckConstraint(
            "replaces_id IS NULL OR correction_reason IS NOT NULL", name="correction_has_reason"
        ),
        Index(
            "uq_disclosures_current",
            "project_id",
            "item_key",
            "ref",
            unique=True,
            postgresql_where=text("status IN ('draft', 'published')"),
        ),
        Index(
            "ix_disclosures_project_category",
            "project_id",
            "category",
            postgresql_where=text("status = 'published'"),
        ),
        Index("ix_disclosures_lineage", "lineage_id", "revision"),
        Index("ix_disclosures_project_id", "project_id"),
        Index(
            "ix_disclosures_replaces_id",
            "replaces_id",
            postgresql_where=text("replaces_id IS NOT NULL"),
        ),
        # newest first, for the feed
        Index(
            "ix_disclosures_published_at",
            text("published_at DESC"),
            text("id DESC"),
            postgresql_where=text("published_at IS NOT NULL"),
        ),
        Index(
            "ix_disclosures_withdrawn_at",
            text("withdrawn_at DESC"),
            text("id DESC"),
            postgresql_where=text("withdrawn_at IS NOT NULL"),
        ),
        # the scoreboard over what is public, read from the index alone
        Index(
            "ix_disclosures_public_scores",
            "publisher_id",
            "category",
            "item_key",
            "formed_on",
            postgresql_include=["first_published_at"],
            postgresql_where=text(
                "status = 'published' AND audience = 'public' AND mode = 'proactive'"
            ),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    lineage_id: Mapped[int | None] = mapped_column(BigInteger)
    revision: Mapped[int] = mapped_column(Integer, server_default="1")
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("disclosures.id"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(Text)
    item_key: Mapped[str] = mapped_column(Text)
    ref: Mapped[str] = mapped_column(Text, server_default="")
    publisher_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    title: Mapped[str] = mapped_column(Text)
    elements: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    documents: Mapped[list[Any]] = mapped_column(JSONB, server_default="[]")
    geom: Mapped[Any | None] = mapped_column(Geometry(srid=STORAGE_SRID, spatial_index=True))
    formed_on: Mapped[dt.date] = mapped_column(Date)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # when the item (every revision of the lineage) was first published: timeliness uses it
    first_published_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(Text)
    audience: Mapped[str] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(Text)
    correction_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    content_hash: Mapped[str] = mapped_column(Text)
    is_synthetic: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_at: Mapped[dt.datetime] = _now()

    project: Mapped[Project] = relationship()
    publisher: Mapped[Department] = relationship(foreign_keys=[publisher_id])


class CalendarDay(Base):
    """One day of the working-day calendar (registry.compliance.calendar writes them)."""

    __tablename__ = "calendar_days"
    __table_args__ = (
        Index(
            "ix_calendar_days_working_index",
            "workday_index",
            unique=True,
            postgresql_where=text("working"),
        ),
    )

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    workday_index: Mapped[int] = mapped_column(Integer)
    provisional: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(Text)


class ApiKey(Base):
    """A department's key for the API. Only a hash of the secret is kept."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    secret_hash: Mapped[str] = mapped_column(Text)
    label: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _now()
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    department: Mapped[Department] = relationship()


class AuditEntry(Base):
    """Every write and every refused write: who, through which path, on what, the outcome."""

    __tablename__ = "audit_log"
    __table_args__ = (
        CheckConstraint("outcome IN ('ok', 'unchanged', 'refused')", name="outcome_known"),
        Index("ix_audit_log_at", "at"),
        Index(
            "ix_audit_log_refusals",
            "actor",
            "action",
            "at",
            postgresql_where=text("outcome = 'refused'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[dt.datetime] = _now()
    actor: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")


# --- the list and scope of major projects (重大建设项目名单和范围) -------------------------------

LIST_LEVELS = {"national": "国家", "provincial": "省级", "municipal": "市级", "district": "县区级"}
LIST_NATURES = {"new": "新开工", "continuing": "续建", "preparatory": "预备"}
DECLARATION_KINDS = {"not_applicable": "不涉及", "not_yet_formed": "尚未形成"}


class ProjectList(Base):
    """A list of major projects as issued: by which body, under which document, for which
    year, in force from when to when (a list is annual unless it says otherwise)."""

    __tablename__ = "project_lists"
    __table_args__ = (CheckConstraint(_one_of("level", LIST_LEVELS), name="level_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(Text)
    year: Mapped[int] = mapped_column(Integer)
    region_code: Mapped[str] = mapped_column(Text)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    doc_no: Mapped[str] = mapped_column(Text, server_default="")
    issued_on: Mapped[dt.date] = mapped_column(Date)
    in_force_until: Mapped[dt.date | None] = mapped_column(Date)
    scope_note: Mapped[str] = mapped_column(Text, server_default="")
    source_url: Mapped[str | None] = mapped_column(Text)
    is_synthetic: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_at: Mapped[dt.datetime] = _now()

    issuer: Mapped[Department] = relationship()


class ListEntry(Base):
    """A project on a list: what the list says of it, from which day, and (after a
    mid-year adjustment, 调出) until which day and why. Re-added later is a new entry."""

    __tablename__ = "list_entries"
    __table_args__ = (
        CheckConstraint(_one_of("nature", LIST_NATURES), name="nature_known"),
        CheckConstraint("removed_on IS NULL OR removed_on >= added_on", name="removed_after_added"),
        CheckConstraint(
            "removed_on IS NULL OR removed_reason IS NOT NULL", name="removal_has_reason"
        ),
        Index(
            "uq_list_entries_current",
            "list_id",
            "project_id",
            unique=True,
            postgresql_where=text("removed_on IS NULL"),
        ),
        Index("ix_list_entries_project", "project_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("project_lists.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    row_no: Mapped[str] = mapped_column(Text, server_default="")
    section: Mapped[str] = mapped_column(Text, server_default="")
    nature: Mapped[str | None] = mapped_column(Text)
    scale_content: Mapped[str] = mapped_column(Text, server_default="")
    period: Mapped[str] = mapped_column(Text, server_default="")
    total_investment: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    annual_investment: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    responsible_unit: Mapped[str] = mapped_column(Text, server_default="")
    added_on: Mapped[dt.date] = mapped_column(Date)
    added_by_adjustment: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    removed_on: Mapped[dt.date | None] = mapped_column(Date)
    removed_reason: Mapped[str | None] = mapped_column(Text)
    removed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))  # recorded
    created_at: Mapped[dt.datetime] = _now()

    list: Mapped[ProjectList] = relationship()
    project: Mapped[Project] = relationship()


class ScopeDesignation(Base):
    """A project an administrator declared major (in scope) without a list, and why."""

    __tablename__ = "scope_designations"
    __table_args__ = (Index("ix_scope_designations_project", "project_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    from_on: Mapped[dt.date] = mapped_column(Date)
    until_on: Mapped[dt.date | None] = mapped_column(Date)
    designated_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _now()


class Declaration(Base):
    """ "Not applicable" (不涉及) or "not yet formed" (尚未形成) for a category or one item of
    a project, by the body responsible for it: public, audited, withdrawable."""

    __tablename__ = "declarations"
    __table_args__ = (
        CheckConstraint(_one_of("kind", DECLARATION_KINDS), name="kind_known"),
        CheckConstraint(_one_of("category", [c.value for c in Category]), name="category_known"),
        CheckConstraint(
            "withdrawn_at IS NULL OR withdrawn_reason IS NOT NULL", name="withdrawal_has_reason"
        ),
        Index(
            "uq_declarations_current",
            "project_id",
            "category",
            text("coalesce(item_key, '')"),
            unique=True,
            postgresql_where=text("withdrawn_at IS NULL"),
        ),
        Index("ix_declarations_project", "project_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(Text)
    item_key: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    expected_stage: Mapped[str | None] = mapped_column(Text)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    declared_at: Mapped[dt.datetime] = _now()
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)

    department: Mapped[Department] = relationship()


class ChangeEvent(Base):
    """One public change, written by the triggers of migration 0014 (never by Python):
    what happened (``kind``), to what, and what the public may see of it (``body``)."""

    __tablename__ = "change_events"

    txid: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # xid8 in the database
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[dt.datetime] = _now()
    kind: Mapped[str] = mapped_column(Text)
    project_id: Mapped[int | None] = mapped_column(Integer)
    department_id: Mapped[int | None] = mapped_column(Integer)
    category: Mapped[str | None] = mapped_column(Text)
    item_key: Mapped[str | None] = mapped_column(Text)
    disclosure_id: Mapped[int | None] = mapped_column(BigInteger)
    lineage_id: Mapped[int | None] = mapped_column(BigInteger)
    list_id: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSONB)


class ChangeCommit(Base):
    """A transaction that wrote events, numbered in commit order when it committed."""

    __tablename__ = "change_commits"

    txid: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # xid8
    seq: Mapped[int | None] = mapped_column(BigInteger)
    committed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ReaderKey(Base):
    """A reader's free key: it raises the reader's quotas and names their subscriptions;
    it writes nothing. Only a hash of the secret is kept."""

    __tablename__ = "reader_keys"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    secret_hash: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _now()
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

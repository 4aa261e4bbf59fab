"""What the write path takes and gives back: inputs for departments, projects, sites and
disclosures, and the outcome of each write."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shapely.geometry.base import BaseGeometry

from registry.geometry import STORAGE_SRID


@dataclass
class DepartmentInput:
    code: str
    name: str
    kind: str
    uscc: str | None = None
    region_code: str | None = None
    roles: list[str] = field(default_factory=list)
    name_en: str | None = None
    is_synthetic: bool = False


@dataclass
class SiteInput:
    geometry: BaseGeometry | dict | str
    name: str | None = None
    kind: str | None = None
    crs: str | int = STORAGE_SRID


class Unset:
    """A field left out of a write: the stored value stays (None would clear it)."""

    _instance: Unset | None = None

    def __new__(cls) -> Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = Unset()


@dataclass
class ProjectInput:
    """A project to register, or the fields of one to change: fields left UNSET keep their
    stored values (a new project needs name, project_type and region_code)."""

    code: str
    name: str = UNSET
    project_type: str = UNSET
    region_code: str = UNSET
    industry: str | None = UNSET
    description: str | None = UNSET
    owner: str | None = UNSET
    owner_department: str | None = UNSET
    investment: Decimal | float | str | None = UNSET
    status: str = UNSET
    approved_on: dt.date | str | None = UNSET
    started_on: dt.date | str | None = UNSET
    completed_on: dt.date | str | None = UNSET
    sites: list[SiteInput] | None = None  # None: leave the sites as they are
    is_synthetic: bool = UNSET

    def given(self, name: str) -> bool:
        return getattr(self, name) is not UNSET


@dataclass
class DisclosureInput:
    project_code: str
    item: str
    formed_on: dt.date | str
    elements: dict[str, Any]
    title: str | None = None
    ref: str = ""
    publisher: str | None = None  # defaults to the acting department
    documents: list[dict[str, str]] = field(default_factory=list)
    geometry: BaseGeometry | dict | str | None = None
    crs: str | int = STORAGE_SRID
    draft: bool = False
    # When the item was actually published, for records migrated from an earlier platform;
    # only the system and administrators may set it (departments publish "now").
    published_at: dt.datetime | None = None
    is_synthetic: bool = False


@dataclass
class Outcome:
    """What a write did: 'added', 'updated', 'revised', 'withdrawn' or 'unchanged'."""

    action: str
    record: Any
    warnings: list[str] = field(default_factory=list)
    before: dict[str, Any] | None = None
    changes: dict[str, dict[str, Any]] | None = None  # field -> {"before": …, "after": …}
    extra: dict[str, Any] = field(default_factory=dict)  # more for the audit log

    @property
    def changed(self) -> bool:
        return self.action != "unchanged"

    def summary(self) -> dict[str, Any]:
        """What the audit log keeps: the action, the record, what changed from what."""
        summary: dict[str, Any] = {"action": self.action, "id": getattr(self.record, "id", None)}
        if self.before is not None:
            summary["before"] = self.before
        if self.changes:
            summary["changes"] = self.changes
        if self.warnings:
            summary["warnings"] = self.warnings
        return {**summary, **self.extra}


@dataclass
class BatchResult:
    outcomes: list[Outcome]

    def counts(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for outcome in self.outcomes:
            counted[outcome.action] = counted.get(outcome.action, 0) + 1
        return counted


@dataclass
class ListInput:
    """A list of major projects as issued (名单): by which department, under which document."""

    name: str
    level: str  # national | provincial | municipal | district
    year: int | str
    region_code: str
    issuer: str  # the issuing department's code
    issued_on: dt.date | str
    doc_no: str = ""
    in_force_until: dt.date | str | None = None  # default: the end of its year
    scope_note: str = ""
    source_url: str | None = None
    is_synthetic: bool = False


@dataclass
class EntryInput:
    """A project on a list, as the list gives it."""

    project_code: str
    row_no: str = ""
    section: str = ""
    nature: str | None = None  # new | continuing | preparatory (新开工 续建 预备)
    scale_content: str = ""
    period: str = ""
    total_investment: Decimal | float | str | None = None  # 万元
    annual_investment: Decimal | float | str | None = None  # 万元
    responsible_unit: str = ""
    added_on: dt.date | str | None = None  # default: the list's issue date
    by_adjustment: bool = False  # 增补: added by a mid-year adjustment


@dataclass
class DeclarationInput:
    """不涉及 / 尚未形成 for a category (or one item) of a project."""

    project_code: str
    category: str
    kind: str  # not_applicable | not_yet_formed
    reason: str
    item: str | None = None
    expected_stage: str | None = None
    department: str | None = None  # defaults to the acting department

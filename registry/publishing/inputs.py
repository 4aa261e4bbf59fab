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


@dataclass
class ProjectInput:
    code: str
    name: str
    project_type: str
    region_code: str
    industry: str | None = None
    description: str | None = None
    owner: str | None = None
    owner_department: str | None = None
    investment: Decimal | float | str | None = None
    status: str = "planning"
    approved_on: dt.date | str | None = None
    started_on: dt.date | str | None = None
    completed_on: dt.date | str | None = None
    sites: list[SiteInput] | None = None  # None: leave the sites as they are
    is_synthetic: bool = False


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

    @property
    def changed(self) -> bool:
        return self.action != "unchanged"

    def summary(self) -> dict[str, Any]:
        after = getattr(self.record, "id", None)
        return {
            "action": self.action,
            "id": after,
            "before": self.before,
            "warnings": self.warnings,
        }


@dataclass
class BatchResult:
    outcomes: list[Outcome]

    def counts(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for outcome in self.outcomes:
            counted[outcome.action] = counted.get(outcome.action, 0) + 1
        return counted

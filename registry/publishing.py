"""The one write path. Loaders, GraphQL mutations and the demo data all call these.

Each function takes ``(session, actor, input)``, checks every rule it can before writing,
raises a ``RegistryError`` listing all problems (nothing written: each call runs in a
savepoint), and returns an ``Outcome``. The caller owns the transaction: a loader rolls
back a whole file when one row is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

import orjson
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import disclosure_batch, responsibility, rules
from registry.audit import Actor, audited, record_refusal
from registry.catalog import Category, Item, get_catalog
from registry.disclosure_batch import RowsRefused
from registry.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    NotResponsible,
    Problem,
    RegistryError,
)
from registry.geometry import STORAGE_SRID, geometry_problems, parse_geojson, to_storage
from registry.identifiers import project_code_problem, region_code_problem, uscc_problem
from registry.models import (
    CURRENT_STATUSES,
    DEPARTMENT_KINDS,
    PROJECT_STATUSES,
    PROJECT_TYPES,
    Department,
    Disclosure,
    Project,
    Site,
)

# Departments holding one of these roles may register and update projects.
PROJECT_REGISTRAR_ROLES = frozenset({"development_reform", "administrative_approval"})


# --- inputs and outcomes ----------------------------------------------------------------


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


def _raise_if(problems: list[Problem]) -> None:
    if problems:
        raise InvalidInput(problems)


def _date_field(value: Any, path: str, problems: list[Problem]) -> dt.date | None:
    if rules.is_blank(value):
        return None
    parsed = rules.parse_date(value)
    if parsed is None:
        problems.append(Problem(path, "not_a_date", f"{value!r} is not a date (use YYYY-MM-DD)"))
    return parsed


def _department(session: Session, code: str, path: str) -> Department:
    department = session.scalar(select(Department).where(Department.code == code))
    if department is None:
        raise NotFound.one(path, "unknown_department", f"no department has the code {code!r}")
    return department


def _project(session: Session, code: str, path: str = "project_code") -> Project:
    project = session.scalar(select(Project).where(Project.code == code))
    if project is None:
        raise NotFound.one(path, "unknown_project", f"no project has the code {code!r}")
    return project


# --- departments ------------------------------------------------------------------------


def department_problems(data: DepartmentInput) -> list[Problem]:
    problems = []
    if rules.is_blank(data.code):
        problems.append(Problem("code", "required", "a department code is required"))
    if rules.is_blank(data.name):
        problems.append(Problem("name", "required", "a department name is required"))
    if data.kind not in DEPARTMENT_KINDS:
        problems.append(
            Problem(
                "kind", "unknown_kind", f"{data.kind!r} is not one of {', '.join(DEPARTMENT_KINDS)}"
            )
        )
    if data.uscc:
        if problem := uscc_problem(data.uscc):
            problems.append(Problem("uscc", "invalid_uscc", f"{data.uscc!r} {problem}"))
        elif data.kind in (
            "government_department",
            "district_government",
        ) and not data.uscc.startswith("11"):
            problems.append(
                Problem(
                    "uscc",
                    "invalid_uscc",
                    f"{data.uscc!r} does not start with 11, as a government "
                    f"body's unified social credit code does (GB 32100-2015)",
                )
            )
    if data.region_code and (problem := region_code_problem(data.region_code)):
        problems.append(Problem("region_code", "invalid_region", f"{data.region_code!r} {problem}"))
    known_roles = get_catalog().roles
    for role in data.roles:
        if role not in known_roles:
            problems.append(
                Problem(
                    "roles",
                    "unknown_role",
                    f"{role!r} is not a catalog role ({', '.join(known_roles)})",
                )
            )
    return problems


@audited("upsert_department", target=lambda data: f"department:{data.code}")
def upsert_department(session: Session, actor: Actor, data: DepartmentInput) -> Outcome:
    if not actor.is_privileged:
        raise Forbidden.one("", "admin_only", "only an administrator manages departments")
    _raise_if(department_problems(data))
    values = {
        "name": data.name,
        "name_en": data.name_en,
        "kind": data.kind,
        "uscc": data.uscc,
        "region_code": data.region_code,
        "roles": sorted(set(data.roles)),
        "is_synthetic": data.is_synthetic,
    }
    existing = session.scalar(select(Department).where(Department.code == data.code))
    if existing is None:
        department = Department(code=data.code, **values)
        session.add(department)
        session.flush()
        return Outcome("added", department)
    before = {k: getattr(existing, k) for k in values}
    if before == values:
        return Outcome("unchanged", existing)
    for key, value in values.items():
        setattr(existing, key, value)
    return Outcome("updated", existing, before={k: v for k, v in before.items() if v != values[k]})


# --- projects and sites -----------------------------------------------------------------


def project_problems(data: ProjectInput) -> tuple[dict[str, Any], list[Problem]]:
    problems: list[Problem] = []
    if problem := project_code_problem(data.code or ""):
        problems.append(Problem("code", "invalid_project_code", f'"{data.code}" {problem}'))
    if rules.is_blank(data.name):
        problems.append(Problem("name", "required", "a project name is required"))
    if data.project_type not in PROJECT_TYPES:
        problems.append(
            Problem(
                "project_type",
                "unknown_type",
                f"{data.project_type!r} is not one of {', '.join(PROJECT_TYPES)}",
            )
        )
    if data.status not in PROJECT_STATUSES:
        problems.append(
            Problem(
                "status",
                "unknown_status",
                f"{data.status!r} is not one of {', '.join(PROJECT_STATUSES)}",
            )
        )
    if problem := region_code_problem(data.region_code or ""):
        problems.append(Problem("region_code", "invalid_region", f"{data.region_code!r} {problem}"))
    investment = None
    if not rules.is_blank(data.investment):
        investment = rules.parse_amount(data.investment)
        if investment is None or investment < 0:
            problems.append(
                Problem(
                    "investment",
                    "not_a_number",
                    f"{data.investment!r} is not a non-negative amount (万元)",
                )
            )
    dates = {
        name: _date_field(getattr(data, name), name, problems)
        for name in ("approved_on", "started_on", "completed_on")
    }
    for name, value in dates.items():
        problems += rules.not_in_future(value, name, "it records what has happened")
    approved, started, completed = dates["approved_on"], dates["started_on"], dates["completed_on"]
    if approved and completed and completed < approved:
        problems.append(
            Problem(
                "completed_on",
                "completion_before_approval",
                f"completion {completed} is before approval {approved}",
            )
        )
    if approved and started and started < approved:
        problems.append(
            Problem(
                "started_on",
                "start_before_approval",
                f"start {started} is before approval {approved}",
            )
        )
    if data.status == "completed" and completed is None:
        problems.append(
            Problem("completed_on", "required", "a completed project needs completed_on")
        )
    problems += rules.privacy_problems(
        [("name", data.name), ("description", data.description), ("owner", data.owner)]
    )
    values = {
        "name": (data.name or "").strip(),
        "description": data.description,
        "project_type": data.project_type,
        "industry": data.industry,
        "region_code": data.region_code,
        "owner": data.owner,
        "investment": investment,
        "status": data.status,
        "is_synthetic": data.is_synthetic,
        **dates,
    }
    return values, problems


def site_geometries(sites: list[SiteInput]) -> tuple[list[BaseGeometry], list[Problem]]:
    problems: list[Problem] = []
    geometries = []
    for index, site in enumerate(sites):
        path = f"sites[{index}].geometry"
        try:
            geom = (
                site.geometry
                if isinstance(site.geometry, BaseGeometry)
                else parse_geojson(site.geometry, path)
            )
            geom = to_storage(geom, site.crs)
        except InvalidInput as exc:
            problems += [
                p if p.path.startswith("sites") else p.at(f"sites[{index}]") for p in exc.problems
            ]
            continue
        problems += geometry_problems(geom, path)
        geometries.append(geom)
    return geometries, problems


def _may_register_projects(session: Session, actor: Actor) -> bool:
    if actor.is_privileged:
        return True
    department = session.scalar(select(Department).where(Department.code == actor.department))
    return department is not None and bool(PROJECT_REGISTRAR_ROLES & set(department.roles or []))


@audited("upsert_project", target=lambda data: f"project:{data.code}")
def upsert_project(session: Session, actor: Actor, data: ProjectInput) -> Outcome:
    if not _may_register_projects(session, actor):
        raise Forbidden.one(
            "",
            "not_registrar",
            "only an administrator or a development-and-reform or "
            "administrative-approval department registers projects",
        )
    values, problems = project_problems(data)
    geometries, site_problems = site_geometries(data.sites or [])
    _raise_if(problems + site_problems)
    values["owner_department_id"] = (
        _department(session, data.owner_department, "owner_department").id
        if data.owner_department
        else None
    )

    project = session.scalar(select(Project).where(Project.code == data.code))
    action, before = "added", None
    if project is None:
        project = Project(code=data.code, **values)
        session.add(project)
        session.flush()
    else:
        before = {k: getattr(project, k) for k in values if getattr(project, k) != values[k]}
        for key, value in values.items():
            setattr(project, key, value)
        action = "updated" if before else "unchanged"
        if before:
            project.updated_at = dt.datetime.now(dt.UTC)
    if data.sites is not None and _replace_sites(session, project, data.sites, geometries):
        action = "updated" if action == "unchanged" else action
    session.flush()
    unassigned = responsibility.add_defaults(session, get_catalog(), project)
    warnings = [
        f"no department holds the role for category {c}; an administrator must assign it"
        for c in unassigned
    ]
    return Outcome(action, project, warnings=warnings, before=_jsonable(before))


@audited("set_sites", target=lambda project_code, sites: f"project:{project_code}/sites")
def set_sites(session: Session, actor: Actor, project_code: str, sites: list[SiteInput]) -> Outcome:
    """Replace the sites of a project (unchanged when they are the same)."""
    if not _may_register_projects(session, actor):
        raise Forbidden.one(
            "",
            "not_registrar",
            "only an administrator or a development-and-reform or "
            "administrative-approval department changes project sites",
        )
    geometries, problems = site_geometries(sites)
    _raise_if(problems)
    project = _project(session, project_code)
    changed = _replace_sites(session, project, sites, geometries)
    return Outcome("updated" if changed else "unchanged", project)


def _replace_sites(
    session: Session, project: Project, sites: list[SiteInput], geometries: list[BaseGeometry]
) -> bool:
    wanted = [(s.name, s.kind, g.wkb_hex) for s, g in zip(sites, geometries, strict=True)]
    current = [(s.name, s.kind, to_shape(s.geom).wkb_hex) for s in project.sites]
    if sorted(wanted, key=str) == sorted(current, key=str):
        return False
    project.sites.clear()
    session.flush()
    for site, geom in zip(sites, geometries, strict=True):
        project.sites.append(
            Site(name=site.name, kind=site.kind, geom=from_shape(geom, srid=STORAGE_SRID))
        )
    return True


def _jsonable(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return json.loads(json.dumps(values, default=str))


# --- responsibility ---------------------------------------------------------------------


@audited(
    "assign_responsibility",
    target=lambda project_code, category, department_code, items=None: (
        f"project:{project_code}/{category}"
    ),
)
def assign_responsibility(
    session: Session,
    actor: Actor,
    project_code: str,
    category: str,
    department_code: str,
    items: list[str] | None = None,
) -> Outcome:
    if not actor.is_privileged:
        raise Forbidden.one("", "admin_only", "only an administrator assigns responsibility")
    try:
        cat = Category(category)
    except ValueError as exc:
        raise InvalidInput.one(
            "category", "unknown_category", f"{category!r} is not one of {', '.join(Category)}"
        ) from exc
    catalog = get_catalog()
    known = {i.key for i in catalog.category(cat).items}
    if bad := [k for k in items or [] if k not in known]:
        raise InvalidInput.one(
            "items",
            "unknown_item",
            f"{', '.join(bad)} not in category {cat} ({', '.join(sorted(known))})",
        )
    project = _project(session, project_code)
    department = _department(session, department_code, "department")
    changed = responsibility.reassign(session, catalog, project, cat, department, items)
    return Outcome("updated" if changed else "unchanged", project)


# --- disclosures ------------------------------------------------------------------------


def _catalog_item(key: str) -> Item:
    item = get_catalog().item(key)
    if item is None:
        raise InvalidInput.one(
            "item", "unknown_item", f"{key!r} is not a catalog item (see `registry catalog`)"
        )
    return item


def _publisher(session: Session, actor: Actor, code: str | None) -> Department:
    if actor.department and code and code != actor.department:
        raise Forbidden.one(
            "publisher",
            "publish_as_other",
            f"department {actor.department} cannot publish as {code}",
        )
    code = code or actor.department
    if code is None:
        raise InvalidInput.one("publisher", "required", "name the publishing department")
    return _department(session, code, "publisher")


def _check_responsible(
    session: Session, project: Project, item: Item, publisher: Department
) -> None:
    holders = responsibility.responsible_for(session, project.id, item.category.value, item.key)
    if publisher not in holders:
        names = ", ".join(f"{d.code} ({d.name})" for d in holders) or "no department yet"
        raise NotResponsible.one(
            "publisher",
            "not_responsible",
            f"{publisher.code} ({publisher.name}) is not the responsible body for "
            f"{get_catalog().category_name_zh(item.category)}/{item.name_zh} of project {project.code}; "
            f"responsible: {names} (谁公开，谁负责)",
        )


@dataclass
class _Content:
    title: str
    elements: dict[str, Any]
    documents: list[dict[str, str]]
    formed_on: dt.date
    geometry: BaseGeometry | None
    draft: bool

    def digest(self) -> str:
        """The content's fingerprint: the same content always gives the same digest, so
        loading the same row again is recognised as unchanged."""
        payload = {
            "title": self.title,
            "elements": self.elements,
            "documents": self.documents,
            "formed_on": self.formed_on.isoformat(),
            "draft": self.draft,
            "geometry": self.geometry.wkb_hex if self.geometry is not None else None,
        }
        return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


@cache
def _official_numbers(item_key: str) -> frozenset[str]:
    item = get_catalog().item(item_key)
    return frozenset(f"elements.{ie.element.key}" for ie in item.elements if ie.element.code)


def _content(project: Project, item: Item, data: DisclosureInput) -> _Content:
    elements, problems = rules.elements_problems(item, data.elements or {})
    formed_on = _date_field(data.formed_on, "formed_on", problems)
    if formed_on is None and not any(p.path == "formed_on" for p in problems):
        problems.append(
            Problem(
                "formed_on",
                "required",
                "the date the information was formed or changed is required",
            )
        )
    problems += rules.not_in_future(formed_on, "formed_on", "information not yet formed")
    if item.category == Category.COMPLETION and project.approved_on:
        for key, value in elements.items():
            if item.element(key).element.type == "date" and value < project.approved_on.isoformat():
                problems.append(
                    Problem(
                        f"elements.{key}",
                        "completion_before_approval",
                        f"{value} is before the project's approval {project.approved_on}",
                    )
                )
    documents = [dict(d) for d in data.documents or []]
    for index, doc in enumerate(documents):
        if rules.is_blank(doc.get("title")) or rules.is_blank(doc.get("url")):
            problems.append(
                Problem(f"documents[{index}]", "required", "a document needs a title and a url")
            )
    title = (data.title or f"{project.name} {item.name_zh}").strip()
    official = _official_numbers(item.key)
    problems += rules.privacy_problems(
        [
            ("title", title),
            *((f"elements.{k}", v) for k, v in elements.items()),
            *((f"documents[{i}].title", d.get("title")) for i, d in enumerate(documents)),
        ],
        official_numbers=official,
    )
    geometry = None
    if data.geometry is not None:
        try:
            geometry = (
                data.geometry
                if isinstance(data.geometry, BaseGeometry)
                else parse_geojson(data.geometry)
            )
            geometry = to_storage(geometry, data.crs)
            problems += geometry_problems(geometry)
        except InvalidInput as exc:
            problems += exc.problems
    _raise_if(problems)
    return _Content(title, elements, documents, formed_on, geometry, data.draft)


def _disclosure_target(data: DisclosureInput) -> str:
    return f"project:{data.project_code}/{data.item}/{data.ref or '-'}"


def publish_disclosure(
    session: Session, actor: Actor, data: DisclosureInput, reason: str | None = None
) -> Outcome:
    """Publish an item; publishing the same content again changes nothing, and changed
    content for the same (project, item, ref) becomes a new revision of it."""
    try:
        result = publish_disclosures(
            session, actor, [data], reason=reason, target=_disclosure_target(data)
        )
    except RowsRefused as exc:
        raise exc.by_row[0] from None
    return result.outcomes[0]


@dataclass
class BatchResult:
    outcomes: list[Outcome]

    def counts(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for outcome in self.outcomes:
            counted[outcome.action] = counted.get(outcome.action, 0) + 1
        return counted


def publish_disclosures(
    session: Session,
    actor: Actor,
    inputs: list[DisclosureInput],
    reason: str | None = None,
    target: str = "batch",
) -> BatchResult:
    """Publish many items under the same rules as one: all of them, or (RowsRefused,
    naming every refused row) none. A single publication is audited as such, a batch as one
    entry with its counts and ids; a refused batch is audited once, apart, so the record
    survives the rollback."""
    try:
        with session.begin_nested():
            planned = disclosure_batch.plan(session, actor, inputs)
            disclosure_batch.write(session, actor, planned, reason)
            disclosure_batch.audit_rows(session, actor, planned, target)
        session.expire_all()  # rows changed behind the ORM's back (UPDATE, COPY)
    except RegistryError as exc:
        refusal = exc.by_row[0] if isinstance(exc, RowsRefused) and len(inputs) == 1 else exc
        record_refusal(session, actor, "publish_disclosure", target, refusal)
        raise
    single = len(planned) == 1
    return BatchResult(
        [
            Outcome(
                p.action,
                session.get(Disclosure, p.disclosure_id) if single else p.disclosure_id,
                before={"id": p.previous["id"]} if p.previous else None,
            )
            for p in planned
        ]
    )


def _current_by_id(session: Session, disclosure_id: int) -> Disclosure:
    row = session.get(Disclosure, disclosure_id, with_for_update=True)
    if row is None:
        raise NotFound.one("id", "unknown_disclosure", f"no disclosure has the id {disclosure_id}")
    if row.status not in CURRENT_STATUSES:
        raise InvalidInput.one(
            "id",
            "not_current",
            f"disclosure {disclosure_id} is {row.status}; act on the current "
            f"revision of its lineage {row.lineage_id}",
        )
    return row


def _require_reason(reason: str | None) -> str:
    if rules.is_blank(reason):
        raise InvalidInput.one("reason", "required", "a reason is required")
    _raise_if(rules.privacy_problems([("reason", reason)]))
    return reason.strip()


def correct_disclosure(
    session: Session,
    actor: Actor,
    disclosure_id: int,
    reason: str,
    title: str | None = None,
    elements: dict[str, Any] | None = None,
    formed_on: dt.date | str | None = None,
    documents: list[dict[str, str]] | None = None,
    geometry: BaseGeometry | dict | str | None = None,
    crs: str | int = STORAGE_SRID,
) -> Outcome:
    """A new revision of a current disclosure with the given changes; the reason is kept.

    It is a publication of the changed content under the same (project, item, ref), so the
    same rules and the same write path apply."""
    target = f"disclosure:{disclosure_id}"
    try:
        reason = _require_reason(reason)
        old = _current_by_id(session, disclosure_id)
    except RegistryError as exc:
        record_refusal(session, actor, "correct_disclosure", target, exc)
        raise
    data = DisclosureInput(
        project_code=old.project.code,
        item=old.item_key,
        ref=old.ref,
        publisher=old.publisher.code if actor.is_privileged else None,
        title=title if title is not None else old.title,
        elements={**old.elements, **(elements or {})},
        formed_on=formed_on or old.formed_on,
        documents=documents if documents is not None else old.documents,
        geometry=geometry
        if geometry is not None
        else (to_shape(old.geom) if old.geom is not None else None),
        crs=crs if geometry is not None else STORAGE_SRID,
        draft=old.status == "draft",
        is_synthetic=old.is_synthetic,
    )
    try:
        result = publish_disclosures(session, actor, [data], reason=reason, target=target)
    except RowsRefused as exc:
        raise exc.by_row[0] from None
    return result.outcomes[0]


@audited("withdraw_disclosure", target=lambda disclosure_id, *a, **k: f"disclosure:{disclosure_id}")
def withdraw_disclosure(session: Session, actor: Actor, disclosure_id: int, reason: str) -> Outcome:
    """Withdraw a current disclosure; it stays in its history with the reason."""
    reason = _require_reason(reason)
    row = _current_by_id(session, disclosure_id)
    item = _catalog_item(row.item_key)
    publisher = _publisher(session, actor, row.publisher.code if actor.is_privileged else None)
    _check_responsible(session, row.project, item, publisher)
    row.status, row.withdrawn_reason = "withdrawn", reason
    row.withdrawn_at = dt.datetime.now(dt.UTC)
    return Outcome("withdrawn", row, before={"status": "published"})

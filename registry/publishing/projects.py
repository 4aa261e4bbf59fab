"""Projects and their sites: registered by registrars (发改/审批 departments) and
administrators; each new project gets its catalog-default responsibilities."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.catalog import get_catalog
from registry.errors import InvalidInput, Problem, not_one_of
from registry.geometry import (
    HEIGHTS_DROPPED,
    STORAGE_SRID,
    geometry_problems,
    parse_geojson,
    to_storage,
)
from registry.identifiers import project_code_problem, region_code_problem
from registry.language import phrase, say
from registry.models import (
    PROJECT_STATUSES,
    PROJECT_TYPES,
    Department,
    Project,
    Site,
    SiteHistory,
)
from registry.publishing import responsibility
from registry.publishing.audit import audited
from registry.publishing.authority import Actor, check_owner, check_region, check_registrar
from registry.publishing.content import (
    date_field,
    is_blank,
    not_in_future,
    parse_amount,
    raise_if,
    text_problems,
)
from registry.publishing.inputs import Outcome, ProjectInput, SiteInput
from registry.publishing.lookups import department_by_code, project_by_code

FIELDS = ("name", "description", "project_type", "industry", "region_code", "owner",
          "investment", "status", "approved_on", "started_on", "completed_on", "is_synthetic")  # fmt: skip
REQUIRED_FOR_NEW = ("name", "project_type", "region_code")
DEFAULTS = {"status": "planning", "is_synthetic": False}


def project_changes(
    data: ProjectInput, existing: Project | None
) -> tuple[dict[str, Any], list[Problem]]:
    """The values the write sets (only the fields given), checked, and every problem. The
    rules that span fields (dates in order, a completed project's date) are checked on the
    project as it would be."""
    problems: list[Problem] = []
    if existing is None and (problem := project_code_problem(data.code or "")):
        problems.append(Problem("code", "invalid_project_code", problem))
    values: dict[str, Any] = {}
    for name in FIELDS:
        if data.given(name):
            values[name] = getattr(data, name)
        elif existing is None and name in REQUIRED_FOR_NEW:
            problems.append(Problem(name, "required", say("a new project needs {name}", name=name)))
        elif existing is None and name in DEFAULTS:
            values[name] = DEFAULTS[name]
    if "name" in values:
        if is_blank(values["name"]):
            problems.append(Problem("name", "required", say("a project name is required")))
        else:
            values["name"] = values["name"].strip()
    if "project_type" in values and values["project_type"] not in PROJECT_TYPES:
        problems.append(
            not_one_of("project_type", values["project_type"], PROJECT_TYPES, "unknown_type")
        )
    if "status" in values and values["status"] not in PROJECT_STATUSES:
        problems.append(not_one_of("status", values["status"], PROJECT_STATUSES, "unknown_status"))
    if "region_code" in values and (problem := region_code_problem(values["region_code"] or "")):
        problems.append(Problem("region_code", "invalid_region", problem))
    if "investment" in values and not is_blank(values["investment"]):
        amount = parse_amount(values["investment"])
        if amount is None or amount < 0:
            problems.append(
                Problem(
                    "investment",
                    "not_a_number",
                    say(
                        "{value!r} is not a non-negative amount (万元)", value=values["investment"]
                    ),
                )
            )
        values["investment"] = amount
    elif "investment" in values:
        values["investment"] = None
    for name in ("approved_on", "started_on", "completed_on"):
        if name in values:
            values[name] = date_field(values[name], name, problems)
            problems += not_in_future(values[name], name, phrase("it records what has happened"))
    problems += text_problems(
        [(k, values.get(k)) for k in ("name", "description", "owner", "industry")]
    )

    def final(name: str) -> Any:
        return values[name] if name in values else getattr(existing, name, None)

    approved, started, completed = final("approved_on"), final("started_on"), final("completed_on")
    if approved and completed and completed < approved:
        problems.append(
            Problem(
                "completed_on",
                "completion_before_approval",
                say(
                    "completion {completed} is before approval {approved}",
                    completed=completed,
                    approved=approved,
                ),
            )
        )
    if approved and started and started < approved:
        problems.append(
            Problem(
                "started_on",
                "start_before_approval",
                say(
                    "start {started} is before approval {approved}",
                    started=started,
                    approved=approved,
                ),
            )
        )
    if final("status") == "completed" and completed is None:
        problems.append(
            Problem("completed_on", "required", say("a completed project needs completed_on"))
        )
    return values, problems  # fmt: skip


def site_geometries(sites: list[SiteInput]) -> tuple[list[BaseGeometry], list[Problem]]:
    """The sites' geometries in storage form (2D, WGS 84), and every problem."""
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


def _department_of(session: Session, actor: Actor) -> Department | None:
    if actor.department is None:
        return None
    return session.scalar(select(Department).where(Department.code == actor.department))


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


@audited("upsert_project", target=lambda data: f"project:{data.code}")
def upsert_project(session: Session, actor: Actor, data: ProjectInput) -> Outcome:
    """Register a project, or change the fields of one that are given (the others keep
    their values). Registrars act within their region; the audit log keeps each changed
    field's value before and after, and replaced sites are kept in ``site_history``."""
    acting = _department_of(session, actor)
    check_registrar(actor, acting, phrase("registers projects"))
    project = session.scalar(select(Project).where(Project.code == data.code))
    values, problems = project_changes(data, project)
    check_region(actor, acting, [project.region_code if project else None,
                                 values.get("region_code")], phrase("registers projects"))  # fmt: skip
    geometries, site_problems = site_geometries(data.sites or [])
    raise_if(problems + site_problems)
    dropped = _heights(data.sites or [])
    if data.given("owner_department"):
        owner = (
            department_by_code(session, data.owner_department, "owner_department")
            if data.owner_department
            else None
        )
        check_owner(actor, owner)
        values["owner_department_id"] = owner.id if owner else None

    changes: dict[str, dict[str, Any]] = {}
    if project is None:
        project = Project(code=data.code, **values)
        session.add(project)
        session.flush()
        action = "added"
    else:
        for key, value in values.items():
            if getattr(project, key) != value:
                changes[key] = _json({"before": getattr(project, key), "after": value})
                setattr(project, key, value)
        action = "updated" if changes else "unchanged"
    if data.sites is not None:
        replaced = _replace_sites(session, actor, project, data.sites, geometries)
        if replaced is not None:
            changes["sites"] = replaced
            action = "updated" if action == "unchanged" else action
    if changes:
        project.updated_at = dt.datetime.now(dt.UTC)
    session.flush()
    unassigned = responsibility.add_defaults(session, get_catalog(), project)
    warnings = dropped + [
        f"no department holds the role for category {c}; an administrator must assign it"
        for c in unassigned
    ]
    return Outcome(action, project, warnings=warnings, changes=changes or None)


def _heights(sites: list[SiteInput]) -> list[str]:
    """HEIGHTS_DROPPED when a site came with heights (they are not kept)."""
    for site in sites:
        geometry = site.geometry
        if isinstance(geometry, BaseGeometry) and geometry.has_z:
            return [HEIGHTS_DROPPED]
        if not isinstance(geometry, BaseGeometry):
            try:
                if parse_geojson(geometry).has_z:
                    return [HEIGHTS_DROPPED]
            except InvalidInput:
                continue
    return []


@audited("set_sites", target=lambda project_code, sites: f"project:{project_code}/sites")
def set_sites(session: Session, actor: Actor, project_code: str, sites: list[SiteInput]) -> Outcome:
    """Replace the sites of a project (unchanged when they are the same); the replaced ones
    are kept in ``site_history``."""
    acting = _department_of(session, actor)
    check_registrar(actor, acting, phrase("changes project sites"))
    geometries, problems = site_geometries(sites)
    raise_if(problems)
    project = project_by_code(session, project_code)
    check_region(actor, acting, [project.region_code], phrase("changes project sites"))
    replaced = _replace_sites(session, actor, project, sites, geometries)
    if replaced is None:
        return Outcome("unchanged", project, warnings=_heights(sites))
    project.updated_at = dt.datetime.now(dt.UTC)
    return Outcome("updated", project, changes={"sites": replaced}, warnings=_heights(sites))


def _replace_sites(
    session: Session,
    actor: Actor,
    project: Project,
    sites: list[SiteInput],
    geometries: list[BaseGeometry],
) -> dict[str, Any] | None:
    """Replace the project's sites, keeping the old ones in ``site_history``; what changed
    (counts), or None when the sites are the same."""
    wanted = [(s.name, s.kind, g.wkb_hex) for s, g in zip(sites, geometries, strict=True)]
    current = [(s.name, s.kind, to_shape(s.geom).wkb_hex) for s in project.sites]
    if sorted(wanted, key=str) == sorted(current, key=str):
        return None
    for old in project.sites:
        session.add(SiteHistory(project_id=project.id, name=old.name, kind=old.kind,
                                geom=old.geom, valid_from=old.created_at,
                                replaced_by=actor.name))  # fmt: skip
    project.sites.clear()
    session.flush()
    for site, geom in zip(sites, geometries, strict=True):
        project.sites.append(
            Site(name=site.name, kind=site.kind, geom=from_shape(geom, srid=STORAGE_SRID))
        )
    return {"before": len(current), "after": len(wanted), "kept_in": "site_history"}

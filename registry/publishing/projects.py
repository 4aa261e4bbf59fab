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
from registry.errors import InvalidInput, Problem
from registry.geometry import STORAGE_SRID, geometry_problems, parse_geojson, to_storage
from registry.identifiers import project_code_problem, region_code_problem
from registry.models import PROJECT_STATUSES, PROJECT_TYPES, Department, Project, Site
from registry.publishing import responsibility
from registry.publishing.audit import audited
from registry.publishing.authority import Actor, check_registrar
from registry.publishing.content import (
    date_field,
    is_blank,
    not_in_future,
    parse_amount,
    privacy_problems,
    raise_if,
)
from registry.publishing.inputs import Outcome, ProjectInput, SiteInput
from registry.publishing.lookups import department_by_code, project_by_code


def project_problems(data: ProjectInput) -> tuple[dict[str, Any], list[Problem]]:
    problems: list[Problem] = []
    if problem := project_code_problem(data.code or ""):
        problems.append(Problem("code", "invalid_project_code", f'"{data.code}" {problem}'))
    if is_blank(data.name):
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
    if not is_blank(data.investment):
        investment = parse_amount(data.investment)
        if investment is None or investment < 0:
            problems.append(
                Problem(
                    "investment",
                    "not_a_number",
                    f"{data.investment!r} is not a non-negative amount (万元)",
                )
            )
    dates = {
        name: date_field(getattr(data, name), name, problems)
        for name in ("approved_on", "started_on", "completed_on")
    }
    for name, value in dates.items():
        problems += not_in_future(value, name, "it records what has happened")
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
    problems += privacy_problems(
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


def _department_of(session: Session, actor: Actor) -> Department | None:
    if actor.department is None:
        return None
    return session.scalar(select(Department).where(Department.code == actor.department))


@audited("upsert_project", target=lambda data: f"project:{data.code}")
def upsert_project(session: Session, actor: Actor, data: ProjectInput) -> Outcome:
    check_registrar(actor, _department_of(session, actor), "registers projects")
    values, problems = project_problems(data)
    geometries, site_problems = site_geometries(data.sites or [])
    raise_if(problems + site_problems)
    values["owner_department_id"] = (
        department_by_code(session, data.owner_department, "owner_department").id
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
    check_registrar(actor, _department_of(session, actor), "changes project sites")
    geometries, problems = site_geometries(sites)
    raise_if(problems)
    project = project_by_code(session, project_code)
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

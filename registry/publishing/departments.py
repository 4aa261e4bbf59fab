"""Publishing bodies: departments and their roles (administrators only)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.catalog import get_catalog
from registry.errors import Problem, not_one_of
from registry.identifiers import region_code_problem, uscc_problem
from registry.language import phrase, say
from registry.models import DEPARTMENT_KINDS, Department
from registry.publishing.audit import audited
from registry.publishing.authority import Actor, check_admin
from registry.publishing.content import is_blank, raise_if, text_problems
from registry.publishing.inputs import DepartmentInput, Outcome


def department_problems(data: DepartmentInput) -> list[Problem]:
    problems = []
    if is_blank(data.code):
        problems.append(Problem("code", "required", say("a department code is required")))
    if is_blank(data.name):
        problems.append(Problem("name", "required", say("a department name is required")))
    if data.kind not in DEPARTMENT_KINDS:
        problems.append(not_one_of("kind", data.kind, DEPARTMENT_KINDS, "unknown_kind"))
    if data.uscc:
        if problem := uscc_problem(data.uscc):
            problems.append(Problem("uscc", "invalid_uscc", problem))
        elif data.kind in (
            "government_department",
            "district_government",
        ) and not data.uscc.startswith("11"):
            problems.append(
                Problem(
                    "uscc",
                    "invalid_uscc",
                    say(
                        "{code!r} does not start with 11, as a government body's unified "
                        "social credit code does (GB 32100-2015)",
                        code=data.uscc,
                    ),
                )
            )
    if data.region_code and (problem := region_code_problem(data.region_code)):
        problems.append(Problem("region_code", "invalid_region", problem))
    problems += text_problems([("code", data.code), ("name", data.name), ("name_en", data.name_en)])
    known_roles = get_catalog().roles
    for role in data.roles:
        if role not in known_roles:
            problems.append(
                Problem(
                    "roles",
                    "unknown_role",
                    say(
                        "{role!r} is not a catalog role ({roles})",
                        role=role,
                        roles=", ".join(known_roles),
                    ),
                )
            )
    return problems


@audited("upsert_department", target=lambda data: f"department:{data.code}")
def upsert_department(session: Session, actor: Actor, data: DepartmentInput) -> Outcome:
    check_admin(actor, phrase("manages departments"))
    raise_if(department_problems(data))
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
    changes = {
        key: {"before": getattr(existing, key), "after": value}
        for key, value in values.items()
        if getattr(existing, key) != value
    }
    if not changes:
        return Outcome("unchanged", existing)
    for key, value in values.items():
        setattr(existing, key, value)
    return Outcome("updated", existing, changes=changes)

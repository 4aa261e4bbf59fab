"""Who must publish what (谁公开，谁负责): catalog defaults and reassignment.

Each catalog item names a publisher role; a department holds roles for a region. The
default responsible body for an item of a project is the department holding the item's
role whose region contains the project's region, the most local one first. Bidding goes
to the project's owner (the tenderer) when it is a registered department.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.catalog import Catalog, Category, get_catalog
from registry.errors import InvalidInput, not_one_of
from registry.identifiers import region_prefix
from registry.language import phrase, say
from registry.models import Department, Project, Responsibility
from registry.publishing.audit import audited
from registry.publishing.authority import Actor, check_admin
from registry.publishing.inputs import Outcome
from registry.publishing.lookups import department_by_code, project_by_code

TENDERING_KINDS = frozenset({"enterprise", "tenderer_agent"})


def owner_tenders(owner: Department) -> bool:
    """An owner is the tenderer (招标人) the catalog makes responsible for bidding when it is
    an enterprise or a tendering agent, or holds the tenderer role itself; a government
    department named as owner gets no responsibility by it (an administrator assigns one)."""
    return owner.kind in TENDERING_KINDS or "tenderer" in (owner.roles or [])


def department_for_role(
    departments: list[Department], role: str, project: Project
) -> Department | None:
    owner = project.owner_department
    if role == "tenderer" and owner is not None and owner_tenders(owner):
        return owner
    holders = [
        d
        for d in departments
        if role in (d.roles or [])
        and project.region_code.startswith(region_prefix(d.region_code or ""))
    ]
    if holders:
        return max(holders, key=lambda d: len(region_prefix(d.region_code or "")))
    entry = get_catalog().roles.get(role)
    fallback = entry.fallback if entry is not None else None
    return department_for_role(departments, fallback, project) if fallback else None


def default_assignments(
    catalog: Catalog, departments: list[Department], project: Project
) -> dict[Category, dict[int, list[str] | None]]:
    """category -> department id -> item keys (None: the whole category)."""
    result: dict[Category, dict[int, list[str] | None]] = {}
    for entry in catalog.categories:
        by_department: dict[int, list[str]] = defaultdict(list)
        for item in entry.items:
            department = department_for_role(departments, item.publisher_role, project)
            if department is not None:
                by_department[department.id].append(item.key)
        all_items = [i.key for i in entry.items]
        result[entry.category] = {
            dep: (None if keys == all_items else keys) for dep, keys in by_department.items()
        }
    return result


def add_defaults(session: Session, catalog: Catalog, project: Project) -> list[str]:
    """Create catalog-default responsibilities for categories that have none yet.

    Returns the categories left without any responsible body (an admin must assign them).
    """
    assigned = set(
        session.scalars(
            select(Responsibility.category).where(Responsibility.project_id == project.id)
        )
    )
    departments = list(session.scalars(select(Department)))
    unassigned = []
    for category, by_department in default_assignments(catalog, departments, project).items():
        if category.value in assigned:
            continue
        if not by_department:
            unassigned.append(category.value)
        for department_id, item_keys in by_department.items():
            session.add(
                Responsibility(
                    project_id=project.id,
                    category=category.value,
                    department_id=department_id,
                    item_keys=item_keys,
                    source="catalog",
                )
            )
    return unassigned


def responsible_for(
    session: Session, project_id: int, category: str, item_key: str
) -> list[Department]:
    rows = session.scalars(
        select(Responsibility).where(
            Responsibility.project_id == project_id, Responsibility.category == category
        )
    )
    return [r.department for r in rows if r.covers(item_key)]


def reassign(
    session: Session,
    catalog: Catalog,
    project: Project,
    category: Category,
    department: Department,
    item_keys: list[str] | None,
) -> bool:
    """Make ``department`` responsible for the category (or just ``item_keys`` of it).

    The items move away from whichever department held them. Returns whether anything changed.
    """
    all_items = [i.key for i in catalog.category(category).items]
    moving = set(all_items if item_keys is None else item_keys)
    rows = list(
        session.scalars(
            select(Responsibility).where(
                Responsibility.project_id == project.id, Responsibility.category == category.value
            )
        )
    )
    mine = next((r for r in rows if r.department_id == department.id), None)
    held = set(
        all_items if mine and mine.item_keys is None else (mine.item_keys or []) if mine else []
    )
    if (
        mine is not None
        and moving <= held
        and (item_keys is not None or mine.item_keys is None)
        and all(not (set(r.item_keys or all_items) & moving) for r in rows if r is not mine)
    ):
        return False
    for row in rows:
        if row is mine:
            continue
        remaining = [k for k in (row.item_keys or all_items) if k not in moving]
        if remaining:
            row.item_keys = remaining
        else:
            session.delete(row)
    keys = sorted(held | moving, key=all_items.index)
    if mine is None:
        mine = Responsibility(
            project_id=project.id, category=category.value, department_id=department.id
        )
        session.add(mine)
    mine.item_keys = None if keys == all_items else keys
    mine.source = "assigned"
    return True


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
    check_admin(actor, phrase("assigns responsibility"))
    try:
        cat = Category(category)
    except ValueError as exc:
        raise InvalidInput(
            [not_one_of("category", category, [c.value for c in Category], "unknown_category")]
        ) from exc
    catalog = get_catalog()
    known = {i.key for i in catalog.category(cat).items}
    if bad := [k for k in items or [] if k not in known]:
        raise InvalidInput.one(
            "items",
            "unknown_item",
            say(
                "{items} not in category {category} ({known})",
                items=", ".join(bad),
                category=catalog.category(cat).phrase,
                known=", ".join(sorted(known)),
            ),
        )
    project = project_by_code(session, project_code)
    department = department_by_code(session, department_code, "department")
    changed = reassign(session, catalog, project, cat, department, items)
    return Outcome("updated" if changed else "unchanged", project)

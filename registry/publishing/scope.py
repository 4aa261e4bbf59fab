"""The list and scope of major projects, through the one write path: lists as issued and
the projects on them (added, and after a mid-year adjustment removed, each from a day),
projects an administrator designated, and "not applicable" / "not yet formed"
declarations. Every write asks ``authority`` and is audited like any other.

- a list is written by a department holding one of the catalog's ``list_roles`` (the 重大项目
  office), within its region, or by an administrator;
- a declaration by the body responsible for that category (or item) of the project — the
  same rule as publishing it (谁公开，谁负责) — or by an administrator on its behalf;
- a designation by an administrator only.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from registry.catalog import Category, get_catalog
from registry.clock import EARLIEST_YEAR, today
from registry.errors import InvalidInput, NotFound, Problem, not_one_of
from registry.identifiers import digits
from registry.language import phrase, say
from registry.links import safe_url
from registry.models import (
    DECLARATION_KINDS,
    LIST_LEVELS,
    LIST_NATURES,
    Declaration,
    Department,
    ListEntry,
    Project,
    ProjectList,
    ScopeDesignation,
)
from registry.publishing.audit import audited
from registry.publishing.authority import (
    Actor,
    check_admin,
    check_list_office,
    check_region,
    check_responsible,
    on_behalf_of,
    publisher_code,
)
from registry.publishing.content import (
    date_field,
    is_blank,
    not_in_future,
    parse_wan,
    raise_if,
    text_problems,
)
from registry.publishing.inputs import DeclarationInput, EntryInput, ListInput, Outcome
from registry.publishing.lookups import department_by_code, project_by_code
from registry.publishing.responsibility import responsible_for

REGION = re.compile(r"^\d{6}$")
# what clerks write in a list's 建设性质 column
NATURE_WORDS = {"新开工": "new", "新建": "new", "续建": "continuing", "预备": "preparatory",
                "前期": "preparatory", "储备": "preparatory"}  # fmt: skip
KIND_WORDS = {"不涉及": "not_applicable", "尚未形成": "not_yet_formed"}


# --- lists ----------------------------------------------------------------------------------


def _list_values(session: Session, data: ListInput) -> tuple[dict[str, Any], Any]:
    problems: list[Problem] = []
    if is_blank(data.name):
        problems.append(Problem("name", "required", say("a list needs its name")))
    if data.level not in LIST_LEVELS:
        problems.append(not_one_of("level", data.level, list(LIST_LEVELS)))
    year = int(data.year) if digits(str(data.year).strip()) else None
    if year is None or not EARLIEST_YEAR <= year <= today().year + 1:
        problems.append(Problem("year", "out_of_range", say(
            "must be a year from {first} to {last}", first=EARLIEST_YEAR,
            last=today().year + 1)))  # fmt: skip
    if not REGION.match(str(data.region_code or "")):
        problems.append(Problem("region_code", "invalid_region",
                                say("must be a 6-digit division code")))  # fmt: skip
    issued = date_field(data.issued_on, "issued_on", problems)
    if issued is None and not any(p.path == "issued_on" for p in problems):
        problems.append(Problem("issued_on", "required", say("the day the list was issued")))
    problems += not_in_future(issued, "issued_on", phrase("a list not yet issued"))
    until = date_field(data.in_force_until, "in_force_until", problems)
    if until is None and issued is not None and year is not None:
        until = dt.date(year, 12, 31)
    if until is not None and issued is not None and until < issued:
        problems.append(Problem("in_force_until", "before_issue",
                                say("a list cannot end before it is issued")))  # fmt: skip
    if data.source_url and not safe_url(data.source_url):
        problems.append(Problem("source_url", "unsafe_url", say(
            "{url!r} is not a web address: a document link starts with https:// or http:// "
            "(at most {most} characters)", url=str(data.source_url)[:80], most=2000)))  # fmt: skip
    problems += text_problems([("name", data.name), ("doc_no", data.doc_no),
                               ("scope_note", data.scope_note)], frozenset({"doc_no"}))  # fmt: skip
    raise_if(problems)
    issuer = department_by_code(session, data.issuer, "issuer")
    values = {
        "name": data.name.strip(), "level": data.level, "year": year,
        "region_code": data.region_code, "issuer_id": issuer.id,
        "doc_no": (data.doc_no or "").strip(), "issued_on": issued, "in_force_until": until,
        "scope_note": (data.scope_note or "").strip(), "source_url": data.source_url or None,
        "is_synthetic": data.is_synthetic,
    }  # fmt: skip
    return values, issuer


def _list_target(data: ListInput) -> str:
    return f"list:{data.issuer}:{data.doc_no or data.name}"


@audited("save_list", _list_target)
def save_list(session: Session, actor: Actor, data: ListInput) -> Outcome:
    """Register a list, or change one already registered (the same issuer and document
    number, or the same name and year where it has none)."""
    values, issuer = _list_values(session, data)
    acting = department_by_code(session, actor.department, "actor") if actor.department else None
    check_list_office(actor, acting, phrase("keeps the lists of major projects"))
    check_region(
        actor, acting, [values["region_code"]], phrase("keeps the lists of major projects")
    )
    if not actor.is_privileged and acting is not None and acting.id != issuer.id:
        check_admin(actor, phrase("registers a list issued by another department"))
    found = session.scalar(
        select(ProjectList).where(
            ProjectList.issuer_id == issuer.id,
            ProjectList.doc_no == values["doc_no"] if values["doc_no"] else (
                (ProjectList.name == values["name"]) & (ProjectList.year == values["year"])),
        )
    )  # fmt: skip
    if found is None:
        row = ProjectList(**values)
        session.add(row)
        session.flush()
        return Outcome("added", row, extra={"list": row.id})
    changes = {k: {"before": str(getattr(found, k)), "after": str(v)}
               for k, v in values.items() if getattr(found, k) != v}  # fmt: skip
    if not changes:
        return Outcome("unchanged", found)
    for key in changes:
        setattr(found, key, values[key])
    return Outcome("updated", found, changes=changes, extra={"list": found.id})


def _list(session: Session, list_id: int) -> ProjectList:
    found = session.get(ProjectList, list_id)
    if found is None:
        raise NotFound.one("list", "unknown_list", say("there is no list {id}", id=list_id))
    return found


def _check_keeper(session: Session, actor: Actor, found: ProjectList) -> None:
    acting = department_by_code(session, actor.department, "actor") if actor.department else None
    check_list_office(actor, acting, phrase("keeps the lists of major projects"))
    check_region(actor, acting, [found.region_code], phrase("keeps the lists of major projects"))


def _entry_values(data: EntryInput, found: ProjectList) -> dict[str, Any]:
    problems: list[Problem] = []
    nature = data.nature
    if nature is not None and not is_blank(nature):
        nature = NATURE_WORDS.get(str(nature).strip(), str(nature).strip())
        if nature not in LIST_NATURES:
            problems.append(not_one_of("nature", data.nature or "", [*LIST_NATURES, *NATURE_WORDS]))
    else:
        nature = None
    amounts: dict[str, Any] = {}
    for name in ("total_investment", "annual_investment"):
        value = getattr(data, name)
        if value is None or is_blank(value):
            amounts[name] = None
            continue
        amount = parse_wan(value)
        if amount is None or amount < 0:
            problems.append(Problem(name, "not_an_amount", say(
                "{value!r} is not an amount in 万元 (a number of 0 or more, or with its unit: "
                "5.2亿元)", value=value)))  # fmt: skip
        amounts[name] = amount
    added = date_field(data.added_on, "added_on", problems) or found.issued_on
    problems += not_in_future(added, "added_on", phrase("a project not yet added"))
    problems += text_problems([(k, getattr(data, k)) for k in (
        "row_no", "section", "scale_content", "period", "responsible_unit")])  # fmt: skip
    raise_if(problems)
    return {
        "row_no": (data.row_no or "").strip(), "section": (data.section or "").strip(),
        "nature": nature, "scale_content": (data.scale_content or "").strip(),
        "period": (data.period or "").strip(), **amounts,
        "responsible_unit": (data.responsible_unit or "").strip(), "added_on": added,
        "added_by_adjustment": data.by_adjustment,
    }  # fmt: skip


def _entry(session: Session, list_id: int, project_id: int, condition: Any) -> ListEntry | None:
    """The project's entry on the list that meets ``condition`` (current, added or removed
    on a day)."""
    return session.scalar(
        select(ListEntry).where(
            ListEntry.list_id == list_id, ListEntry.project_id == project_id, condition
        )
    )


@audited("add_to_list", lambda list_id, data: f"list:{list_id}:{data.project_code}")
def add_to_list(session: Session, actor: Actor, list_id: int, data: EntryInput) -> Outcome:
    """Put a registered project on a list (or change what the list says of it)."""
    found = _list(session, list_id)
    _check_keeper(session, actor, found)
    project = project_by_code(session, data.project_code)
    values = _entry_values(data, found)
    current = _entry(session, list_id, project.id, ListEntry.removed_on.is_(None))
    if current is None:
        # added that day and taken off since: already recorded (a file loaded again)
        recorded = _entry(session, list_id, project.id, ListEntry.added_on == values["added_on"])
        if recorded is not None:
            return Outcome("unchanged", recorded)
        entry = ListEntry(list_id=list_id, project_id=project.id, **values)
        session.add(entry)
        session.flush()
        return Outcome("added", entry, extra={"project": project.code, "list": list_id})
    changes = {k: {"before": str(getattr(current, k)), "after": str(v)}
               for k, v in values.items() if getattr(current, k) != v}  # fmt: skip
    if not changes:
        return Outcome("unchanged", current)
    for key in changes:
        setattr(current, key, values[key])
    return Outcome("updated", current, changes=changes, extra={"project": project.code})


@audited("remove_from_list", lambda list_id, code, *a, **k: f"list:{list_id}:{code}")
def remove_from_list(
    session: Session,
    actor: Actor,
    list_id: int,
    project_code: str,
    removed_on: dt.date | str,
    reason: str,
) -> Outcome:
    """Take a project off a list from a day (调出, a mid-year adjustment), with the reason;
    the entry stays, so the list as it stood before that day can still be asked."""
    found = _list(session, list_id)
    _check_keeper(session, actor, found)
    project = project_by_code(session, project_code)
    problems: list[Problem] = []
    day = date_field(removed_on, "removed_on", problems)
    if is_blank(reason):
        problems.append(Problem("reason", "required", say("a reason is required")))
    problems += text_problems([("reason", reason)])
    raise_if(problems)
    current = _entry(session, list_id, project.id, ListEntry.removed_on.is_(None))
    if current is None:
        recorded = _entry(session, list_id, project.id, ListEntry.removed_on == day)
        if recorded is not None:  # already taken off that day (a file loaded again)
            return Outcome("unchanged", recorded)
        raise NotFound.one("project_code", "not_on_list", say(
            "project {code} is not on this list", code=project.code))  # fmt: skip
    if day is None or day < current.added_on:
        raise InvalidInput.one("removed_on", "before_added", say(
            "a project cannot leave a list before it was added ({added})",
            added=current.added_on))  # fmt: skip
    current.removed_on, current.removed_reason = day, reason.strip()
    current.removed_at = dt.datetime.now(dt.UTC)
    return Outcome("removed", current, extra={"project": project.code, "reason": reason.strip()})


@audited("designate", lambda code, *a, **k: f"project:{code}")
def designate(
    session: Session,
    actor: Actor,
    project_code: str,
    reason: str,
    from_on: dt.date | str,
    until_on: dt.date | str | None = None,
) -> Outcome:
    """An administrator declares a project major (in scope) from a day, with the reason."""
    check_admin(actor, phrase("designates a project as major"))
    project = project_by_code(session, project_code)
    problems: list[Problem] = []
    start = date_field(from_on, "from_on", problems)
    end = date_field(until_on, "until_on", problems)
    if is_blank(reason):
        problems.append(Problem("reason", "required", say("a reason is required")))
    problems += text_problems([("reason", reason)])
    if start is not None and end is not None and end <= start:
        problems.append(Problem("until_on", "before_start", say("must be after from_on")))
    raise_if(problems)
    assert start is not None
    row = ScopeDesignation(project_id=project.id, reason=reason.strip(), from_on=start,
                           until_on=end, designated_by=actor.name)  # fmt: skip
    session.add(row)
    session.flush()
    return Outcome("added", row, extra={"project": project.code, "reason": reason.strip()})


# --- declarations ---------------------------------------------------------------------------


def _declaration_target(data: DeclarationInput) -> str:
    return f"project:{data.project_code}:{data.category}:{data.item or '*'}"


@audited("declare", _declaration_target)
def declare(session: Session, actor: Actor, data: DeclarationInput) -> Outcome:
    """不涉及 / 尚未形成 for a category (or one item) of a project, by its responsible body."""
    catalog = get_catalog()
    problems: list[Problem] = []
    category = data.category if data.category in {c.value for c in Category} else None
    if category is None:
        problems.append(not_one_of("category", data.category, [c.value for c in Category]))
    kind = KIND_WORDS.get(data.kind, data.kind)
    if kind not in DECLARATION_KINDS:
        problems.append(not_one_of("kind", data.kind, [*DECLARATION_KINDS, *KIND_WORDS]))
    item = catalog.item(data.item) if data.item else None
    if data.item and (item is None or item.category.value != category):
        problems.append(Problem("item", "unknown_item", say(
            "{item!r} is not an item of this category (see `registry catalog show`)",
            item=data.item)))  # fmt: skip
    if is_blank(data.reason):
        problems.append(Problem("reason", "required", say(
            "say why, e.g. 使用存量建设用地，不涉及征收土地")))  # fmt: skip
    problems += text_problems([("reason", data.reason), ("expected_stage", data.expected_stage)])
    raise_if(problems)
    assert category is not None
    project = project_by_code(session, data.project_code)
    code = publisher_code(actor, data.department)
    department = department_by_code(session, code, "department")
    items = [item] if item else list(catalog.category(category).items)
    holders = {
        d.id: d for i in items for d in responsible_for(session, project.id, category, i.key)
    }
    if not actor.is_privileged:
        check_responsible(department, holders.values(), items[0], project.code)
    current = session.scalar(
        select(Declaration).where(
            Declaration.project_id == project.id,
            Declaration.category == category,
            Declaration.item_key.is_(None) if item is None else Declaration.item_key == item.key,
            Declaration.withdrawn_at.is_(None),
        )
    )
    values = {"kind": kind, "reason": data.reason.strip(),
              "expected_stage": (data.expected_stage or "").strip() or None,
              "department_id": department.id}  # fmt: skip
    extra = {"project": project.code, "kind": kind, **on_behalf_of(actor, department.code)}
    moment = dt.datetime.now(dt.UTC)  # the old one ends as the new one begins
    if current is not None:
        changes = {k: {"before": str(getattr(current, k)), "after": str(v)}
                   for k, v in values.items() if getattr(current, k) != v}  # fmt: skip
        if not changes:
            return Outcome("unchanged", current)
        current.withdrawn_at = moment
        current.withdrawn_reason = say("replaced by a new declaration")
        session.flush()
    row = Declaration(project_id=project.id, category=category,
                      item_key=item.key if item else None, declared_at=moment,
                      **values)  # fmt: skip
    session.add(row)
    session.flush()
    return Outcome("revised" if current is not None else "added", row, extra=extra)


@audited("withdraw_declaration", lambda declaration_id, reason: f"declaration:{declaration_id}")
def withdraw_declaration(
    session: Session, actor: Actor, declaration_id: int, reason: str
) -> Outcome:
    """Withdraw a declaration (the category turned out to apply after all), with a reason."""
    row = session.get(Declaration, declaration_id)
    if row is None or row.withdrawn_at is not None:
        raise NotFound.one("declaration", "unknown_declaration", say(
            "there is no declaration {id} in force", id=declaration_id))  # fmt: skip
    if is_blank(reason):
        raise InvalidInput.one("reason", "required", say("a reason is required"))
    raise_if(text_problems([("reason", reason)]))
    if not actor.is_privileged:
        department = department_by_code(session, str(actor.department), "actor")
        if department.id != row.department_id:
            check_admin(actor, phrase("withdraws another department's declaration"))
    row.withdrawn_at, row.withdrawn_reason = dt.datetime.now(dt.UTC), reason.strip()
    return Outcome("withdrawn", row, extra={"reason": reason.strip()})


def district_governments(session: Session) -> list[tuple[str, str]]:
    """The district governments' names and division codes (the places a list names)."""
    rows = session.execute(
        select(Department.name, Department.region_code).where(
            Department.kind == "district_government", Department.region_code.is_not(None)
        )
    )
    return [(name, region or "") for name, region in rows]


def match_candidates(session: Session) -> list[Any]:
    """Every registered project as the list matcher sees it: id, code, name, region and
    owner (the owner's text, else the owning department's name)."""
    owner = aliased(Department)
    return list(
        session.execute(
            select(
                Project.id,
                Project.code,
                Project.name,
                Project.region_code,
                func.coalesce(func.nullif(Project.owner, ""), owner.name).label("owner"),
            ).outerjoin(owner, owner.id == Project.owner_department_id)
        )
    )

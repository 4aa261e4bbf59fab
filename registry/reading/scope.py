"""Which projects are major, by which list, from when (名单和范围), as of a day; what their
responsible bodies declared (不涉及, 尚未形成); and each list's accountability — one SQL
definition of each, which GraphQL, the pages, the downloads and the scoreboard share.

A project is in scope on a day when it is on a list in force that day (issued by then, not
past its end; the entry added by then and not yet removed), when an administrator
designated it for that day, or when it meets a scope rule (registry/data/scope.yaml).
A day is China's; a declaration counts at a moment when it was made by then and not yet
withdrawn.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Text,
    and_,
    any_,
    case,
    column,
    exists,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    values,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncConnection

from registry.catalog import get_catalog
from registry.catalog.scope import ScopeRule, get_scope_rules
from registry.clock import CST, today
from registry.compliance import timeliness
from registry.reading import visibility
from registry.reading.binds import _grouped
from registry.reading.tables import DEC, DEP, DES, E, L, P, R


def in_force(day: Any) -> Any:
    """A list in force on ``day``."""
    return and_(L.c.issued_on <= day, or_(L.c.in_force_until.is_(None), day <= L.c.in_force_until))


def on_list(entry: Any, day: Any) -> Any:
    """An entry current on ``day`` (added by then, not removed by then)."""
    return and_(
        entry.c.added_on <= day, or_(entry.c.removed_on.is_(None), entry.c.removed_on > day)
    )


def rule_condition(rule: ScopeRule, project: Any = P) -> Any:
    """A rule as SQL; plain comparisons (no expanding IN): compiled statements keep them."""
    conditions = []
    if rule.project_types:
        conditions.append(or_(*(project.c.project_type == t for t in rule.project_types)))
    if rule.industries:
        conditions.append(or_(*(project.c.industry == i for i in rule.industries)))
    if rule.min_investment is not None:
        conditions.append(project.c.investment >= rule.min_investment)
    return and_(true(), *conditions)


def in_scope(day: Any, project: Any = P) -> Any:
    """The one SQL meaning of "a major project on ``day``"."""
    entry = E.alias("scope_e")
    listed = exists(
        select(literal(1))
        .select_from(entry.join(L, L.c.id == entry.c.list_id))
        .where(entry.c.project_id == project.c.id, on_list(entry, day), in_force(day))
    )
    designated = exists(
        select(literal(1)).where(
            DES.c.project_id == project.c.id,
            DES.c.from_on <= day,
            or_(DES.c.until_on.is_(None), DES.c.until_on > day),
        )
    )
    by_rule = or_(false(), *(rule_condition(r, project) for r in get_scope_rules()))
    return or_(listed, designated, by_rule)


def scope_day(as_of: dt.datetime | None) -> dt.date:
    return as_of.astimezone(CST).date() if as_of is not None else today()


def declared_at(as_of: dt.datetime | None) -> Any:
    """Declarations in force at a moment (now by default)."""
    moment = func.now() if as_of is None else literal(as_of)
    return and_(DEC.c.declared_at <= moment,
                or_(DEC.c.withdrawn_at.is_(None), DEC.c.withdrawn_at > moment))  # fmt: skip


# --- a project's scope and declarations --------------------------------------------------------


async def scope_reasons(
    conn: AsyncConnection, project_ids: list[int], day: dt.date
) -> dict[int, list[dict]]:
    """Why each project is major on ``day`` (empty: it is not): the lists (name, number,
    row, since), designations (reason, since) and rules that bring it in scope."""
    if not project_ids:
        return {}
    found: dict[int, list[dict]] = {pid: [] for pid in project_ids}
    lists = await conn.execute(
        select(
            E.c.project_id, L.c.id, L.c.name, L.c.doc_no, L.c.level, E.c.row_no, E.c.added_on
        )  # fmt: skip
        .select_from(E.join(L, L.c.id == E.c.list_id))
        .where(E.c.project_id.in_(project_ids), on_list(E, day), in_force(day))
        .order_by(E.c.project_id, L.c.issued_on, L.c.id)
    )
    for r in lists:
        found[r.project_id].append({"kind": "list", "list_id": r.id, "name": r.name,
                                    "doc_no": r.doc_no, "level": r.level, "row_no": r.row_no,
                                    "since": r.added_on})  # fmt: skip
    designations = await conn.execute(
        select(DES.c.project_id, DES.c.reason, DES.c.from_on).where(
            DES.c.project_id.in_(project_ids),
            DES.c.from_on <= day,
            or_(DES.c.until_on.is_(None), DES.c.until_on > day),
        )
    )
    for d in designations:
        found[d.project_id].append({"kind": "designation", "name": d.reason, "since": d.from_on})
    rules = get_scope_rules()
    if rules:
        matched = await conn.execute(
            select(
                P.c.id,
                *(
                    case((rule_condition(rule), True), else_=False).label(rule.key)
                    for rule in rules
                ),
            ).where(P.c.id.in_(project_ids))  # fmt: skip
        )
        names = {rule.key: rule for rule in rules}
        for row in matched:
            for key, rule in names.items():
                if row._mapping[key]:
                    found[row.id].append({"kind": "rule", "name": rule.name_zh, "rule": key,
                                          "since": None})  # fmt: skip
    return found


async def declarations_by_project(
    conn: AsyncConnection, project_ids: list[int], as_of: dt.datetime | None = None
) -> dict[int, list[dict]]:
    """Each project's declarations in force at the moment, with who declared them."""
    if not project_ids:
        return {}
    rows = await conn.execute(
        select(
            DEC.c.id,
            DEC.c.project_id,
            DEC.c.category,
            DEC.c.item_key,
            DEC.c.kind,
            DEC.c.reason,
            DEC.c.expected_stage,
            DEC.c.declared_at,
            DEP.c.code.label("department_code"),
            DEP.c.name.label("department_name"),
        )  # fmt: skip
        .select_from(DEC.join(DEP, DEP.c.id == DEC.c.department_id))
        .where(DEC.c.project_id.in_(project_ids), declared_at(as_of))
        .order_by(DEC.c.project_id, DEC.c.category, DEC.c.item_key.nulls_first(), DEC.c.id)
    )
    return _grouped([dict(r._mapping) for r in rows], "project_id")


# --- lists ------------------------------------------------------------------------------------

LIST_COLUMNS = (
    L.c.id, L.c.name, L.c.level, L.c.year, L.c.region_code, L.c.doc_no, L.c.issued_on,
    L.c.in_force_until, L.c.scope_note, L.c.source_url, L.c.is_synthetic,
    DEP.c.code.label("issuer_code"), DEP.c.name.label("issuer_name"),
)  # fmt: skip


def _members(list_id: Any, day: Any) -> Any:
    return func.count(E.c.id).filter(E.c.list_id == list_id, on_list(E, day))


async def lists(
    conn: AsyncConnection,
    day: dt.date | None = None,
    in_force_only: bool = False,
    year: int | None = None,
    level: str | None = None,
) -> list[dict]:
    """The lists, newest first, with how many projects each holds on ``day``."""
    day = day or today()
    members = (
        select(func.count())
        .select_from(E)
        .where(E.c.list_id == L.c.id, on_list(E, day))
        .scalar_subquery()
    )
    query = (
        select(*LIST_COLUMNS, members.label("members"), in_force(day).label("in_force"))
        .select_from(L.join(DEP, DEP.c.id == L.c.issuer_id))
        .order_by(L.c.year.desc(), L.c.issued_on.desc(), L.c.id)
    )
    if in_force_only:
        query = query.where(in_force(day))
    if year is not None:
        query = query.where(L.c.year == year)
    if level is not None:
        query = query.where(L.c.level == level)
    return [dict(r._mapping) for r in await conn.execute(query)]


async def one_list(conn: AsyncConnection, list_id: int, day: dt.date | None = None) -> dict | None:
    found = [r for r in await lists(conn, day) if r["id"] == list_id]
    return found[0] if found else None


async def entries(
    conn: AsyncConnection, list_id: int, day: dt.date | None = None, removed: bool = True
) -> list[dict]:
    """A list's entries with their projects: current on ``day`` first (in the list's own
    order), then (``removed``) those taken off by then."""
    day = day or today()
    current = on_list(E, day)
    query = (
        select(
            E,
            P.c.code.label("project_code"),
            P.c.name.label("project_name"),
            P.c.region_code.label("project_region"),
            P.c.status.label("project_status"),
            current.label("current"),
        )  # fmt: skip
        .select_from(E.join(P, P.c.id == E.c.project_id))
        .where(E.c.list_id == list_id, E.c.added_on <= day)
        .order_by(current.desc(), E.c.id)
    )
    if not removed:
        query = query.where(current)
    return [dict(r._mapping) for r in await conn.execute(query)]


async def lists_of_projects(
    conn: AsyncConnection, project_ids: list[int], day: dt.date | None = None
) -> dict[int, list[dict]]:
    """The lists each project is on (current entries of lists in force on ``day``)."""
    reasons = await scope_reasons(conn, project_ids, day or today())
    return {pid: [r for r in found if r["kind"] == "list"] for pid, found in reasons.items()}


# --- accountability of a list --------------------------------------------------------------------


@dataclass
class Figures:
    """A list's accountability for one category and one responsible body on a day."""

    category: str
    department: str
    department_name: str
    projects: int = 0
    due: int = 0
    published: int = 0
    on_time: int = 0
    late: int = 0
    not_applicable: int = 0
    not_yet_formed: int = 0
    missing: int = 0
    missing_items: list[dict] = field(default_factory=list)


def expected_items() -> Any:
    """(status, project type, item, category) of every item a project is expected to have
    published at its stage: compliance.scores.completeness's rule, as a VALUES list."""
    catalog = get_catalog()
    rows = []
    for status, listed in catalog.expected_by_status.items():
        for project_type, approvals in catalog.expected_approvals.items():
            keys = set(listed) | (set(approvals) if status != "planning" else set())
            rows += [(status, project_type, k, catalog.known_item(k).category.value)
                     for k in sorted(keys)]  # fmt: skip
    names = ("status", "project_type", "item_key", "category")
    return values(*(column(n, Text) for n in names), name="expected").data(rows)


def figures_select(list_id: Any, day: Any, moment: Any) -> Any:
    """The accountability of a list on ``day``: per category and responsible body, the
    projects on the list, the items due at their stage, published (on time, late),
    declared not applicable or not yet formed, and missing (with which). The one SQL
    definition; ``moment`` is the end of ``day`` in China (what was public by then)."""
    members = (
        select(E.c.project_id).where(E.c.list_id == list_id, on_list(E, day)).distinct()
    ).cte("members")
    expected = expected_items()
    due = (
        select(P.c.id.label("project_id"), P.c.code, expected.c.item_key, expected.c.category)
        .select_from(
            members.join(P, P.c.id == members.c.project_id).join(
                expected,
                and_(expected.c.status == P.c.status, expected.c.project_type == P.c.project_type),
            )
        )
        .cte("due")
    )
    x = visibility.public(moment, name="x")
    judged = timeliness.judged(x, x, day)
    published = (
        select(x.c.project_id, x.c.item_key, func.bool_or(judged.status == "late").label("late"))
        .select_from(judged.source)
        .where(x.c.project_id.in_(select(members.c.project_id)))
        .group_by(x.c.project_id, x.c.item_key)
        .cte("published")
    )
    declared = (
        select(DEC.c.project_id, DEC.c.category, DEC.c.item_key, DEC.c.kind)
        .where(DEC.c.project_id.in_(select(members.c.project_id)), declared_at(moment))
        .cte("declared")
    )
    by_item, by_category = declared.alias("by_item"), declared.alias("by_category")
    rows = (
        select(
            due.c.project_id,
            due.c.code,
            due.c.item_key,
            due.c.category,
            R.c.department_id,
            published.c.project_id.is_not(None).label("published"),
            func.coalesce(published.c.late, False).label("late"),
            func.coalesce(by_item.c.kind, by_category.c.kind).label("declared"),
        )  # fmt: skip
        .select_from(
            due.join(
                R,
                and_(
                    R.c.project_id == due.c.project_id,
                    R.c.category == due.c.category,
                    or_(R.c.item_keys.is_(None), due.c.item_key == any_(R.c.item_keys)),
                ),
            )
            .outerjoin(
                published,
                and_(
                    published.c.project_id == due.c.project_id,
                    published.c.item_key == due.c.item_key,
                ),
            )
            .outerjoin(
                by_item,
                and_(
                    by_item.c.project_id == due.c.project_id, by_item.c.item_key == due.c.item_key
                ),
            )
            .outerjoin(
                by_category,
                and_(
                    by_category.c.project_id == due.c.project_id,
                    by_category.c.category == due.c.category,
                    by_category.c.item_key.is_(None),
                ),
            )
        )  # fmt: skip
        .cte("rows")
    )
    done, late = rows.c.published, rows.c.late
    missing = and_(~done, rows.c.declared.is_(None))
    return (
        select(
            rows.c.category,
            DEP.c.code.label("department"),
            DEP.c.name.label("department_name"),
            func.count(rows.c.project_id.distinct()).label("projects"),
            func.count().label("due"),
            func.count().filter(done).label("published"),
            func.count().filter(and_(done, ~late)).label("on_time"),
            func.count().filter(and_(done, late)).label("late"),
            func.count()
            .filter(and_(~done, rows.c.declared == "not_applicable"))
            .label("not_applicable"),
            func.count()
            .filter(and_(~done, rows.c.declared == "not_yet_formed"))
            .label("not_yet_formed"),
            func.count().filter(missing).label("missing"),
            func.coalesce(
                func.json_agg(
                    aggregate_order_by(
                        func.json_build_object(
                            literal_column("'project'"),
                            rows.c.code,
                            literal_column("'item'"),
                            rows.c.item_key,
                        ),
                        rows.c.code,
                        rows.c.item_key,
                    )
                ).filter(missing),
                literal_column("'[]'::json"),
            ).label("missing_items"),
        )  # fmt: skip
        .select_from(rows.join(DEP, DEP.c.id == rows.c.department_id))
        .group_by(rows.c.category, DEP.c.code, DEP.c.name)
    )


def end_of(day: dt.date) -> dt.datetime:
    """The moment a day ends in China: what was public that day."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=CST)


async def figures(conn: AsyncConnection, list_id: int, day: dt.date | None = None) -> list[Figures]:
    """A list's accountability on ``day`` (``figures_select``), in catalog order."""
    day = day or today()
    rows = await conn.execute(figures_select(list_id, day, end_of(day)))
    order = {c.category.value: i for i, c in enumerate(get_catalog().categories)}
    found = [Figures(**dict(r._mapping)) for r in rows]
    return sorted(found, key=lambda f: (order[f.category], f.department))


__all__ = ["Figures", "declarations_by_project", "entries", "figures", "figures_select",
           "in_scope", "lists", "one_list", "scope_reasons"]  # fmt: skip

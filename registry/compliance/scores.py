"""The scoreboard (考核) and completeness: how each department publishes, and what each
project at its stage should have published.

Timeliness is judged by ``registry.compliance.timeliness`` (one rule, in SQL); the
scoreboard is one grouped statement over whichever disclosures the caller counts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from registry.catalog import Catalog, Category, get_catalog
from registry.compliance import timeliness
from registry.models import Department, Project

DEPARTMENTS, PROJECTS = Department.__table__, Project.__table__


@dataclass
class Score:
    department: str
    department_name: str
    category: str
    published: int = 0
    on_time: int = 0
    late: int = 0
    no_deadline: int = 0
    overdue: int = 0
    working_days_late: int = 0
    overdue_items: list[dict] = field(default_factory=list)
    out_of_scope: int = 0  # of the published: on projects not in scope (no obligation)

    @property
    def on_time_rate(self) -> float | None:
        counted = self.on_time + self.late
        return round(self.on_time / counted, 4) if counted else None


async def scoreboard(
    conn: AsyncConnection,
    source: Any,
    on: dt.date,
    start: dt.date | None = None,
    end: dt.date | None = None,
    overdue_limit: int = 1000,
    in_scope: Any = None,
    only: Any = None,
) -> list[Score]:
    """Per publishing department and category, the items of ``source`` (a disclosure
    selectable: the public ones, now or as of a moment, or every current one) counted by
    their timeliness on day ``on``: one grouped statement. Each item counts once, by its
    current revision; items count by the day their information was formed, within
    [start, end]. Overdue items (drafts past their deadline, only in a source that has
    drafts) are listed, at most ``overdue_limit`` of them.

    ``in_scope``: a selectable of the ids (``id``) of the projects in scope that day; the
    obligations (overdue) count for them only, and what others published is counted apart
    (``out_of_scope``). ``only``: a selectable of project ids to count (a list's)."""
    x = source
    judged = timeliness.judged(x, x, on)
    dep, project = DEPARTMENTS.alias("sd"), PROJECTS.alias("sp")
    joined = judged.source.join(dep, dep.c.id == x.c.publisher_id)
    conditions = []
    obliged: Any = true()
    if in_scope is not None:
        scoped = in_scope.alias("scoped")
        joined = joined.outerjoin(scoped, scoped.c.id == x.c.project_id)
        obliged = scoped.c.id.is_not(None)
    if only is not None:
        conditions.append(x.c.project_id.in_(only))
    if start is not None:
        conditions.append(x.c.formed_on >= start)
    if end is not None:
        conditions.append(x.c.formed_on <= end)
    status, published = judged.status, x.c.first_published_at.is_not(None)
    counted = {
        name: func.count().filter(status == name) for name in ("on_time", "late", "no_deadline")
    }
    counted["overdue"] = func.count().filter(status == "overdue", obliged)
    counted["out_of_scope"] = func.count().filter(published, ~obliged)
    rows = await conn.execute(
        select(
            dep.c.code,
            dep.c.name,
            x.c.category,
            func.count().filter(published).label("published"),
            *(value.label(name) for name, value in counted.items()),
            func.coalesce(func.sum(judged.working_days_late).filter(status == "late"), 0).label(
                "working_days_late"
            ),
        )  # fmt: skip
        .select_from(joined)
        .where(*conditions)
        .group_by(dep.c.code, dep.c.name, x.c.category)
    )
    scores = {
        (r.code, r.category): Score(
            r.code,
            r.name,
            r.category,
            r.published,
            r.on_time,
            r.late,
            r.no_deadline,
            r.overdue,
            int(r.working_days_late),
            out_of_scope=r.out_of_scope,
        )  # fmt: skip
        for r in rows
    }
    if not any(score.overdue for score in scores.values()):
        return _ordered(scores)
    overdue = await conn.execute(
        select(
            dep.c.code,
            x.c.category,
            x.c.id,
            project.c.code.label("project"),
            x.c.item_key,
            judged.deadline,
            judged.working_days_late,
        )  # fmt: skip
        .select_from(joined.join(project, project.c.id == x.c.project_id))
        .where(*conditions, status == "overdue", obliged)
        .order_by(judged.working_days_late.desc(), x.c.id)
        .limit(overdue_limit)
    )
    for r in overdue:
        scores[(r[0], r.category)].overdue_items.append(
            {"id": r.id, "project": r.project, "item": r.item_key, "deadline": str(r[5]),
             "working_days_overdue": r[6]}
        )  # fmt: skip
    return _ordered(scores)


def _ordered(scores: dict[tuple[str, str], Score]) -> list[Score]:
    order = {c.value: i for i, c in enumerate(Category)}
    return sorted(scores.values(), key=lambda s: (s.department, order[s.category]))


@dataclass(frozen=True)
class Completeness:
    expected: tuple[str, ...]
    missing: tuple[str, ...]  # neither published nor declared
    declared: tuple[str, ...] = ()  # not published: declared not applicable or not yet formed

    @property
    def missing_categories(self) -> tuple[str, ...]:
        catalog = get_catalog()
        seen: dict[str, None] = {}
        for key in self.missing:
            seen.setdefault(catalog.known_item(key).category.value, None)
        return tuple(seen)


def completeness(
    status: str,
    project_type: str,
    published_items: set[str],
    catalog: Catalog | None = None,
    declared: set[tuple[str, str | None]] = frozenset(),  # type: ignore[assignment]
) -> Completeness:
    """Which items a project at this stage should have published, which are missing, and
    which its responsible bodies declared not applicable or not yet formed instead
    (``declared``: (category, item) pairs, item None for the whole category)."""
    catalog = catalog or get_catalog()
    listed = list(catalog.expected_by_status.get(status, ()))
    if status not in ("planning",):
        listed[2:2] = catalog.expected_approvals.get(project_type, ())
    expected = tuple(dict.fromkeys(listed))
    unpublished = [k for k in expected if k not in published_items]

    def said(key: str) -> bool:
        category = catalog.known_item(key).category.value
        return (category, key) in declared or (category, None) in declared

    return Completeness(
        expected,
        tuple(k for k in unpublished if not said(k)),
        tuple(k for k in unpublished if said(k)),
    )


def score_rows(scores: list[Score]) -> list[dict]:
    """Flat rows for CSV, XLSX and HTML."""
    names = {c.category.value: c.name_zh for c in get_catalog().categories}
    return [
        {
            "department": s.department,
            "department_name": s.department_name,
            "category": s.category,
            "category_name": names[s.category],
            "published": s.published,
            "on_time": s.on_time,
            "late": s.late,
            "no_deadline": s.no_deadline,
            "overdue": s.overdue,
            "on_time_rate": s.on_time_rate,
            "working_days_late": s.working_days_late,
            "out_of_scope": s.out_of_scope,
        }
        for s in scores
    ]


def by_department(scores: list[Score]) -> list[dict]:
    totals: dict[str, dict] = defaultdict(
        lambda: {"on_time": 0, "late": 0, "overdue": 0, "published": 0, "no_deadline": 0}
    )
    names = {}
    for s in scores:
        names[s.department] = s.department_name
        for key in ("on_time", "late", "overdue", "published", "no_deadline"):
            totals[s.department][key] += getattr(s, key)
    result = []
    for code, t in sorted(totals.items()):
        counted = t["on_time"] + t["late"]
        result.append(
            {
                "department": code,
                "department_name": names[code],
                **t,
                "on_time_rate": round(t["on_time"] / counted, 4) if counted else None,
            }
        )
    return result

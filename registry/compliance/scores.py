"""Is each item published on time, and is each project's disclosure complete?

Deadlines count official working days (registry.compliance.deadlines). A published item is on time
or late by N working days; an item formed but still unpublished (a draft) is pending or,
past its deadline, overdue. Real-time, prompt and event-driven items have no day count.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from registry.catalog import Catalog, Category, get_catalog
from registry.clock import CST, today
from registry.compliance.deadlines import deadline, is_working_day


@dataclass(frozen=True)
class Timeliness:
    status: str  # on_time | late | pending | overdue | no_deadline
    deadline: dt.date | None
    working_days_late: int = 0


def working_days_after(start: dt.date, end: dt.date) -> int:
    """Working days in (start, end]: how many working days ``end`` lies past ``start``."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += is_working_day(day)
    return count


def timeliness(
    item_key: str,
    formed_on: dt.date,
    published_at: dt.datetime | None,
    on: dt.date | None = None,
    catalog: Catalog | None = None,
) -> Timeliness:
    item = (catalog or get_catalog()).known_item(item_key)
    last_day = deadline(item.time_limit, formed_on)
    if last_day is None:
        return Timeliness("no_deadline", None)
    if published_at is None:
        current = on or today()
        if current <= last_day:
            return Timeliness("pending", last_day)
        return Timeliness("overdue", last_day, working_days_after(last_day, current))
    published = published_at.astimezone(CST).date()
    if published <= last_day:
        return Timeliness("on_time", last_day)
    return Timeliness("late", last_day, working_days_after(last_day, published))


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

    @property
    def on_time_rate(self) -> float | None:
        counted = self.on_time + self.late
        return round(self.on_time / counted, 4) if counted else None


async def scoreboard(
    conn: AsyncConnection,
    start: dt.date | None = None,
    end: dt.date | None = None,
    on: dt.date | None = None,
) -> list[Score]:
    """Per department and category: published, on time, late, and overdue drafts.

    Each item counts once, by its current revision, and is judged by when it was *first*
    published against the date its information was first formed (a later correction does
    not make an item late, nor a late one on time). Items count by that date, within
    [start, end]."""
    rows = await conn.execute(
        text(
            "SELECT d.code, d.name, x.category, x.item_key, first.formed_on, "
            "(SELECT min(r.published_at) FROM disclosures r WHERE r.lineage_id = x.lineage_id) AS published_at, "
            "x.status, x.id, p.code AS project "
            "FROM current_disclosures x "
            "JOIN disclosures first ON first.lineage_id = x.lineage_id AND first.revision = 1 "
            "JOIN departments d ON d.id = x.publisher_id JOIN projects p ON p.id = x.project_id "
            "WHERE (CAST(:start AS date) IS NULL OR first.formed_on >= :start) "
            "AND (CAST(:end AS date) IS NULL OR first.formed_on <= :end)"
        ),
        {"start": start, "end": end},
    )
    catalog = get_catalog()
    scores: dict[tuple[str, str], Score] = {}
    for (
        code,
        name,
        category,
        item_key,
        formed_on,
        published_at,
        status,
        disclosure_id,
        project,
    ) in rows:
        score = scores.setdefault((code, category), Score(code, name, category))
        result = timeliness(item_key, formed_on, published_at, on, catalog)
        if status == "published":
            score.published += 1
        if result.status in ("on_time", "late", "no_deadline", "overdue"):
            setattr(score, result.status, getattr(score, result.status) + 1)
        score.working_days_late += result.working_days_late if result.status == "late" else 0
        if result.status == "overdue":
            score.overdue_items.append(
                {
                    "id": disclosure_id,
                    "project": project,
                    "item": item_key,
                    "deadline": str(result.deadline),
                    "working_days_overdue": result.working_days_late,
                }
            )
    order = {c.value: i for i, c in enumerate(Category)}
    return sorted(scores.values(), key=lambda s: (s.department, order[s.category]))


@dataclass(frozen=True)
class Completeness:
    expected: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def missing_categories(self) -> tuple[str, ...]:
        catalog = get_catalog()
        seen: dict[str, None] = {}
        for key in self.missing:
            seen.setdefault(catalog.known_item(key).category.value, None)
        return tuple(seen)


def completeness(
    status: str, project_type: str, published_items: set[str], catalog: Catalog | None = None
) -> Completeness:
    """Which items a project at this stage should have published, and which are missing."""
    catalog = catalog or get_catalog()
    listed = list(catalog.expected_by_status.get(status, ()))
    if status not in ("planning",):
        listed[2:2] = catalog.expected_approvals.get(project_type, ())
    expected = tuple(dict.fromkeys(listed))
    return Completeness(expected, tuple(k for k in expected if k not in published_items))


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
        }
        for s in scores
    ]


def by_department(scores: list[Score]) -> list[dict]:
    totals: dict[str, dict] = defaultdict(
        lambda: {"on_time": 0, "late": 0, "overdue": 0, "published": 0}
    )
    names = {}
    for s in scores:
        names[s.department] = s.department_name
        for key in ("on_time", "late", "overdue", "published"):
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

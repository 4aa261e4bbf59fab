"""Was an item published on time? One rule, computed in one place (SQL), shown everywhere.

The rule (docs/compliance.md):

- An item's deadline is the working day ``N`` working days after the day its information
  was formed (``formed_on`` of its current revision: a correction of that date corrects the
  deadline); the day of formation itself is not counted. Items whose time limit is not a
  day count (实时, 及时, on an event) have no deadline.
- An item is judged by its **first** publication (``first_published_at``, carried by every
  revision): a later correction neither makes it late nor makes a late one on time.
- It is late when at least one working day has passed between the deadline and the day
  (China time) of its first publication; published on the weekend after a Friday deadline
  is on time. ``working_days_late`` counts those working days.
- An item formed but not yet published (a draft) is pending until a working day has passed
  after its deadline, then overdue by that many working days.
- A deadline that depends on a year without official calendar data is provisional.

``judged`` builds those values in SQL over any disclosure selectable, joining the
``calendar_days`` table; ``judge`` is the same rule in Python, the reference the SQL is
tested against.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    FromClause,
    Integer,
    Text,
    and_,
    case,
    cast,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    values,
)

from registry.catalog import Catalog, Item, get_catalog
from registry.clock import china_date
from registry.compliance.calendar import Calendar, get_calendar
from registry.compliance.deadlines import deadline, working_days_between
from registry.models import CalendarDay

STATUSES = ("on_time", "late", "pending", "overdue", "no_deadline")
# registry.clock.CST: UTC+8 always (a zone name would bring back China's 1986-1991 summer time)
CHINA_OFFSET: Any = literal_column("INTERVAL '+08:00'")


@dataclass(frozen=True)
class Timeliness:
    status: str  # on_time | late | pending | overdue | no_deadline
    deadline: dt.date | None
    working_days_late: int = 0
    provisional: bool = False


def judge(
    item: Item,
    formed_on: dt.date,
    first_published_at: dt.datetime | None,
    on: dt.date,
    calendar: Calendar | None = None,
) -> Timeliness:
    """The rule in Python: the reference for ``judged``."""
    calendar = calendar or get_calendar()
    last_day = deadline(item.time_limit, formed_on, calendar)
    if last_day is None:
        return Timeliness("no_deadline", None)
    day, provisional = last_day.day, last_day.provisional
    if first_published_at is None:
        late = working_days_between(day, on, calendar) if on > day else 0
        return Timeliness("overdue" if late else "pending", day, late, provisional)
    published = china_date(first_published_at)
    late = working_days_between(day, published, calendar) if published > day else 0
    return Timeliness("late" if late else "on_time", day, late, provisional)


def _limits(catalog: Catalog) -> Any:
    """(item_key, days) of every item with a working-day limit, as a VALUES list."""
    rows = tuple(
        (item.key, item.time_limit.days)
        for item in catalog.items()
        if item.time_limit.kind == "working_days" and item.time_limit.days is not None
    )
    return _values(rows)


@cache
def _values(rows: tuple[tuple[str, int | None], ...]) -> Any:
    return values(column("item_key", Text), column("days", Integer), name="limits").data(list(rows))


CALENDAR = CalendarDay.__table__


@dataclass(frozen=True)
class Judged:
    """A FROM clause with the calendar joined, and the timeliness columns over it."""

    source: FromClause
    status: ColumnElement[str]
    deadline: ColumnElement[dt.date]
    working_days_late: ColumnElement[int]
    provisional: ColumnElement[bool]

    def columns(self, prefix: str = "t_") -> list:
        return [
            self.status.label(f"{prefix}status"),
            self.deadline.label(f"{prefix}deadline"),
            self.working_days_late.label(f"{prefix}working_days_late"),
            self.provisional.label(f"{prefix}provisional"),
        ]


def judged(source: FromClause, x: Any, on: Any, catalog: Catalog | None = None) -> Judged:
    """Join the calendar to ``source`` (which contains the disclosure selectable ``x``) and
    give the timeliness of each row on day ``on`` (a date or a bound parameter)."""
    limits = _limits(catalog or get_catalog()).alias("lim")
    formed, last, published = (
        CALENDAR.alias("cal_f"),
        CALENDAR.alias("cal_d"),
        CALENDAR.alias("cal_p"),
    )
    published_day = cast(func.timezone(CHINA_OFFSET, x.c.first_published_at), Date)
    joined = (
        source.outerjoin(limits, limits.c.item_key == x.c.item_key)
        .outerjoin(formed, formed.c.day == x.c.formed_on)
        .outerjoin(
            last,
            and_(last.c.working, last.c.workday_index == formed.c.workday_index + limits.c.days),
        )
        .outerjoin(published, published.c.day == published_day)
    )
    today = CALENDAR.alias("cal_t")
    today_index = select(today.c.workday_index).where(today.c.day == on).scalar_subquery()
    reached = case((x.c.first_published_at.is_(None), today_index), else_=published.c.workday_index)
    late_by = func.greatest(reached - last.c.workday_index, 0)
    status = case(
        (limits.c.days.is_(None), literal("no_deadline")),
        (x.c.first_published_at.is_(None), case((late_by > 0, "overdue"), else_="pending")),
        (late_by > 0, literal("late")),
        else_=literal("on_time"),
    )
    return Judged(
        source=joined,
        status=status,
        deadline=last.c.day,
        working_days_late=case((limits.c.days.is_(None), 0), else_=func.coalesce(late_by, 0)),
        provisional=case(
            (limits.c.days.is_(None), False),
            else_=func.coalesce(or_(formed.c.provisional, last.c.provisional), False),
        ),
    )

"""Disclosure deadlines in China's official working days (holidays and 调休 make-up days),
computed in Python from ``registry.compliance.calendar``.

The registry computes deadlines and timeliness in SQL (``registry.compliance.timeliness``,
over the ``calendar_days`` table and its ``workday_index``); these functions are the
reference that SQL is tested against, and serve code that holds a single date (the loaders
judge every row they add). Both count with prefix sums, in constant time whatever the span;
``tests/registry/compliance/test_deadlines.py`` holds them equal to a day-by-day walk.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from registry.catalog import TimeLimit
from registry.compliance.calendar import Calendar, get_calendar


@dataclass(frozen=True)
class Deadline:
    day: dt.date
    provisional: bool  # some day it depends on has no official calendar data yet


def is_working_day(day: dt.date, calendar: Calendar | None = None) -> bool:
    return (calendar or get_calendar()).is_working(day)


def add_working_days(start: dt.date, days: int, calendar: Calendar | None = None) -> Deadline:
    """The date ``days`` working days after ``start`` (``start`` itself not counted)."""
    day, provisional = (calendar or get_calendar()).add_working_days(start, days)
    return Deadline(day, provisional)


def deadline(
    time_limit: TimeLimit, formed_on: dt.date, calendar: Calendar | None = None
) -> Deadline | None:
    """The last day to publish, or None where the limit is not a day count (实时/及时/事件)."""
    if time_limit.kind != "working_days" or time_limit.days is None:
        return None
    return add_working_days(formed_on, time_limit.days, calendar)


def working_days_between(start: dt.date, end: dt.date, calendar: Calendar | None = None) -> int:
    """Working days in (start, end]: how many working days ``end`` lies past ``start``."""
    return (calendar or get_calendar()).working_days_between(start, end)

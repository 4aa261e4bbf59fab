"""Disclosure deadlines in China's official working days (holidays and 调休 make-up days).

Working days come from ``chinese_calendar``, which follows the State Council's yearly
holiday notices; a date the calendar does not cover yet is an error, never a guess.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar

from registry.catalog import TimeLimit
from registry.errors import RegistryError


class CalendarNotCovered(RegistryError):
    status = 422
    code = "CALENDAR_NOT_COVERED"


def is_working_day(day: dt.date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError as exc:
        raise CalendarNotCovered.one(
            "deadline",
            "calendar_not_covered",
            f"the official working-day calendar has no data for {day.year} yet "
            f"(chinese_calendar covers up to the last published State Council notice)",
        ) from exc


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start`` (``start`` itself not counted)."""
    day, left = start, days
    while left:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def deadline(time_limit: TimeLimit, formed_on: dt.date) -> dt.date | None:
    """The last day to publish, or None where the limit is not a day count (实时/及时/事件)."""
    if time_limit.kind != "working_days" or time_limit.days is None:
        return None
    return add_working_days(formed_on, time_limit.days)

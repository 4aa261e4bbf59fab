"""The working-day calendar: official where a source exists, provisional where none does.

Sources, first match wins, year by year:

1. holiday notices in a data file (``registry/data/calendar/notices.yaml``, and an
   operator's own file named by ``REGISTRY_CALENDAR_PATH``): official;
2. ``chinese_calendar``, which carries the State Council notices up to its release: official;
3. the provisional rule: weekends and the statutory public holidays (``holidays``) are days
   off; make-up working days are unknown.

The database keeps the result in ``calendar_days`` (``refresh`` writes it), so deadlines and
the scoreboard are computed in SQL; this module is also the reference those computations
are tested against.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import chinese_calendar
import holidays
import yaml
from sqlalchemy import Connection, text

from registry.clock import EARLIEST_YEAR, today
from registry.errors import CatalogError, Problem
from registry.language import say

SHIPPED_NOTICES = Path(__file__).parents[1] / "data" / "calendar" / "notices.yaml"
FIRST_YEAR = EARLIEST_YEAR
YEARS_AHEAD = 2  # the table runs to the end of the year after next
WARN_WITHIN_DAYS = 60


@dataclass(frozen=True)
class Notice:
    """One year's holiday arrangement as a State Council notice gives it."""

    year: int
    title: str
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]


@dataclass(frozen=True)
class Day:
    day: dt.date
    working: bool
    provisional: bool
    source: str


def _dates(values: Any, where: str, problems: list[Problem]) -> set[dt.date]:
    found: set[dt.date] = set()
    for value in values or []:
        text_value = str(value)
        try:
            first, _, last = text_value.partition("/")
            start = dt.date.fromisoformat(first.strip())
            end = dt.date.fromisoformat(last.strip()) if last else start
        except ValueError:
            problems.append(
                Problem(
                    where, "not_a_date", say("{value!r} is not a date or A/B", value=text_value)
                )
            )
            continue
        found |= {start + dt.timedelta(days=n) for n in range((end - start).days + 1)}
    return found


def load_notices(path: Path) -> dict[int, Notice]:
    """Notices by year from a YAML file; CalendarFileError naming every problem."""
    problems: list[Problem] = []
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise CalendarFileError.one(str(path), "unreadable", str(exc)) from exc
    if not isinstance(raw, dict):
        raise CalendarFileError.one(str(path), "not_a_mapping", say("must map years to notices"))
    notices = {}
    for year, entry in raw.items():
        where = f"{path.name}: {year}"
        if not isinstance(year, int) or not isinstance(entry, dict):
            problems.append(
                Problem(where, "bad_year", say("each year maps to notice/holidays/workdays"))
            )
            continue
        days_off = _dates(entry.get("holidays"), f"{where}.holidays", problems)
        days_on = _dates(entry.get("workdays"), f"{where}.workdays", problems)
        for day in days_off | days_on:
            if day.year != year:
                problems.append(
                    Problem(where, "wrong_year", say("{day} is not in {year}", day=day, year=year))
                )
        if days_off & days_on:
            problems.append(Problem(where, "both", say("a day is listed as holiday and workday")))
        notices[year] = Notice(
            year, str(entry.get("notice") or ""), frozenset(days_off), frozenset(days_on)
        )
    if problems:
        raise CalendarFileError(problems)
    return notices


class CalendarFileError(CatalogError):
    code = "CALENDAR_FILE_INVALID"


@dataclass(frozen=True)
class Year:
    """One year's days, and how many working days each ends (a prefix sum): counting the
    working days between two dates, or finding the Nth after one, is a subtraction or a
    binary search instead of a walk (a backfill of 2019 records walked 1,400 days a row)."""

    days: list[Day]
    through: list[int]  # through[i]: working days from 1 January up to days[i], inclusive
    provisional: bool  # every day of a year comes from one source


@dataclass
class Calendar:
    """Working days from the notices, chinese_calendar and the provisional rule."""

    notices: dict[int, Notice] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._cache: dict[int, dict[dt.date, Day]] = {}
        self._years: dict[int, Year] = {}

    def official_years(self) -> set[int]:
        covered = {day.year for day in chinese_calendar.holidays} | {
            day.year for day in chinese_calendar.workdays
        }
        return covered | set(self.notices)

    def official_until(self, on: dt.date | None = None) -> dt.date | None:
        """The last day of the unbroken run of officially covered years from ``on``'s."""
        years, year = self.official_years(), (on or today()).year
        if year not in years:
            return None
        while year + 1 in years:
            year += 1
        return dt.date(year, 12, 31)

    def year(self, year: int) -> dict[dt.date, Day]:
        if year not in self._cache:
            self._cache[year] = {d.day: d for d in self._compute(year)}
        return self._cache[year]

    def day(self, day: dt.date) -> Day:
        return self.year(day.year)[day]

    def is_working(self, day: dt.date) -> bool:
        return self.day(day).working

    def indexed(self, year: int) -> Year:
        if year not in self._years:
            days = list(self.year(year).values())
            through, count = [], 0
            for day in days:
                count += day.working
                through.append(count)
            self._years[year] = Year(days, through, days[0].provisional)
        return self._years[year]

    def _through(self, day: dt.date) -> int:
        """Working days from 1 January of ``day``'s year up to ``day``, inclusive."""
        return self.indexed(day.year).through[day.timetuple().tm_yday - 1]

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]: how many working days ``end`` lies past ``start``
        (0 when ``end`` is not after ``start``)."""
        if end <= start:
            return 0
        whole_years = sum(self.indexed(y).through[-1] for y in range(start.year, end.year))
        return whole_years + self._through(end) - self._through(start)

    def add_working_days(self, start: dt.date, days: int) -> tuple[dt.date, bool]:
        """The day ``days`` working days after ``start`` (``start`` not counted), and whether
        any day from ``start`` to it is provisional."""
        year = self.indexed(start.year)
        provisional, wanted = year.provisional, self._through(start) + days
        if days <= 0:
            return start, provisional
        while wanted > year.through[-1]:
            wanted -= year.through[-1]
            year = self.indexed(year.days[0].day.year + 1)
            provisional = provisional or year.provisional
        # the first day whose count reaches ``wanted`` is that working day
        return year.days[bisect_left(year.through, wanted)].day, provisional

    def days(self, start: dt.date, end: dt.date) -> Iterator[Day]:
        for year in range(start.year, end.year + 1):
            yield from (d for d in self.year(year).values() if start <= d.day <= end)

    def _compute(self, year: int) -> Iterator[Day]:
        start = dt.date(year, 1, 1)
        days = [start + dt.timedelta(days=n) for n in range((dt.date(year + 1, 1, 1) - start).days)]
        if year in self.notices:
            notice = self.notices[year]
            for day in days:
                working = day in notice.workdays or (
                    day.weekday() < 5 and day not in notice.holidays
                )
                yield Day(day, working, False, "notice")
            return
        try:
            flags = [chinese_calendar.is_workday(day) for day in days]
        except NotImplementedError:
            statutory = set(holidays.China(years=year, observed=False))
            for day in days:
                yield Day(day, day.weekday() < 5 and day not in statutory, True, "provisional")
            return
        for day, working in zip(days, flags, strict=True):
            yield Day(day, working, False, "chinese_calendar")


@cache
def get_calendar() -> Calendar:
    """The calendar of this process: the shipped notices, then an operator's file."""
    from registry.settings import get_settings

    notices = load_notices(SHIPPED_NOTICES)
    extra = get_settings().registry.calendar_path
    if extra is not None:
        notices.update(load_notices(extra))
    return Calendar(notices)


# --- the table in the database ---------------------------------------------------------


def refresh(conn: Connection, calendar: Calendar | None = None) -> int:
    """Rewrite ``calendar_days`` from ``FIRST_YEAR`` to the end of the year after next;
    returns the number of days written. Runs in the caller's transaction."""
    calendar = calendar or get_calendar()
    end = dt.date(today().year + YEARS_AHEAD, 12, 31)
    rows, index = [], 0
    for day in calendar.days(dt.date(FIRST_YEAR, 1, 1), end):
        index += day.working
        rows.append((day.day, day.working, index, day.provisional, day.source))
    conn.execute(text("DELETE FROM calendar_days"))
    raw = conn.connection.driver_connection
    with raw.cursor().copy(  # type: ignore[union-attr]
        "COPY calendar_days (day, working, workday_index, provisional, source) FROM STDIN"
    ) as copy:
        for row in rows:
            copy.write_row(row)
    return len(rows)


@dataclass(frozen=True)
class Coverage:
    """How far the calendar reaches: officially, and at all (provisional days included)."""

    official_until: dt.date | None
    table_until: dt.date | None

    def warning(self, on: dt.date | None = None) -> str | None:
        """A line for operators when official data ends within ``WARN_WITHIN_DAYS``."""
        on = on or today()
        if self.table_until is None:
            return say("the working-day calendar is empty: run `registry calendar update`")
        if self.official_until is None or self.official_until < on + dt.timedelta(
            days=WARN_WITHIN_DAYS
        ):
            return say(
                "official working-day data ends {until}: deadlines after it are provisional "
                "(weekends and statutory holidays only). Add the State Council's holiday "
                "notice to REGISTRY_CALENDAR_PATH and run `registry calendar update`.",
                until=self.official_until or "-",
            )
        return None


# (official until, table until): the one definition of how far the table reaches
COVERAGE = text(
    "SELECT max(day) FILTER (WHERE NOT provisional AND day >= DATE '2004-01-01'), "
    "max(day) FROM calendar_days"
)


def coverage(conn: Connection) -> Coverage:
    row = conn.execute(COVERAGE).one()
    return Coverage(row[0], row[1])

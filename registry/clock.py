"""Time in China: deadlines, "today" and "not in the future" are local rules.

China Standard Time (UTC+8, no daylight saving) is defined here once.
"""

from __future__ import annotations

import datetime as dt
import time

CST = dt.timezone(dt.timedelta(hours=8), "CST")
EARLIEST_YEAR = 1990  # the first legacy project codes; nothing in the register is older
_today: list = [0.0, None]


def now() -> dt.datetime:
    """The current moment (aware, UTC)."""
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """Today in China Standard Time. Looked up at most once a second: loaders ask for every
    date of every row."""
    tick = time.monotonic()
    if tick - _today[0] > 1.0:
        _today[:] = [tick, dt.datetime.now(CST).date()]
    return _today[1]


# the moments a request may name: any a day inside Python's calendar, wherever it is seen
# from (China, UTC); 9999-12-31T23:59:59Z is the next year in China, and no date at all
FIRST_MOMENT = dt.datetime(1, 1, 2, tzinfo=dt.UTC)
LAST_MOMENT = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)


def parse_moment(text: str) -> dt.datetime:
    """An ISO 8601 moment (UTC when it names no zone) between FIRST_MOMENT and
    LAST_MOMENT; ValueError otherwise (not a moment, or past the ends of the calendar)."""
    at = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    try:
        inside = FIRST_MOMENT <= at <= LAST_MOMENT
    except OverflowError:
        inside = False
    if not inside:
        raise ValueError(f"{text!r} is outside {FIRST_MOMENT:%Y-%m-%d} to {LAST_MOMENT:%Y-%m-%d}")
    return at


def china_date(moment: dt.datetime) -> dt.date:
    """The calendar day in China of an aware moment."""
    return moment.astimezone(CST).date()


def china_day(moment: dt.datetime | dt.date | None) -> str:
    """The day a person reads, in China: "2026-12-08" for a moment at 06:38 China time on
    8 December (22:38 UTC the day before). Pages, downloads and messages say days so."""
    if moment is None:
        return ""
    if isinstance(moment, dt.datetime):
        return moment.astimezone(CST).date().isoformat()
    return moment.isoformat()


def china_minute(moment: dt.datetime | None) -> str:
    """A moment as a person reads it, in China: "2026-12-08 06:38"."""
    return "" if moment is None else moment.astimezone(CST).strftime("%Y-%m-%d %H:%M")

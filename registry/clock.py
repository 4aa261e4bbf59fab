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

"""The reader contract: a file becomes a Table of numbered rows with named values and,
for GIS formats, a geometry per row in the file's coordinate system."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shapely.geometry.base import BaseGeometry

from registry.errors import RegistryError
from registry.language import say


class UnreadableFile(RegistryError):
    code = "UNREADABLE_FILE"


@dataclass
class Row:
    label: str  # "row 17", "feature 3", "record 5"
    values: dict[str, Any]
    geometry: BaseGeometry | None = None
    problem: RegistryError | None = None  # what the reader found wrong with the row itself
    notes: tuple[str, ...] = ()  # what the reader changed on the way in (counted in the report)


@dataclass
class Table:
    source: str
    headers: list[str]
    rows: Iterator[Row]
    crs: str | None = None  # the file's own CRS (GeoJSON, .prj); None: ask --crs
    has_geometry: bool = False
    notes: list[str] = field(default_factory=list)
    close: Callable[[], None] = lambda: None  # release the file even if rows were never read


_WARNINGS = threading.Lock()


@contextmanager
def remarks(notes: list[str], say_one: Callable[[Warning], str] | None = None) -> Iterator[None]:
    """What a library warns while it reads a file (pyshp's header checks, openpyxl's
    styles), said in the report as notes instead of printed on stderr. Hold it only around
    the library's own calls (one record, one row): the warnings filter is the process's, not
    the thread's, so two uploads read in two threads take turns (a lock), and each restores
    exactly the filters it found."""
    with _WARNINGS, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for found in caught:
        if isinstance(found.message, Warning):
            note = say_one(found.message) if say_one else ""
            notes.append(
                note or say("the file reader remarked: {remark}", remark=str(found.message))
            )


TITLE_LOOKAHEAD = 10  # how many rows above the header may be titles


class HeaderFinder:
    """Finds the header among a file's first rows: the first row with at least two filled
    cells. Rows above it with one filled cell (a sheet's title, a date line) are titles,
    skipped and named in the report; blank rows are skipped. Feed rows in order until
    ``header`` is set (or ``give_up()`` after TITLE_LOOKAHEAD rows: then the first
    non-blank row is the header, as before)."""

    def __init__(self) -> None:
        self.header: list[str] | None = None
        self.header_row = 0
        self.titles: list[int] = []
        self._first: tuple[int, list[str]] | None = None
        self._seen = 0

    def feed(self, number: int, values: list) -> bool:
        """True once the header is found."""
        cells = [str(v).strip() if v is not None else "" for v in values]
        filled = sum(1 for c in cells if c)
        if not filled:
            return False
        self._seen += 1
        if self._first is None:
            self._first = (number, cells)
        if filled >= 2:
            self.header, self.header_row = cells, number
            return True
        self.titles.append(number)
        if self._seen >= TITLE_LOOKAHEAD:
            self.give_up()
            return True
        return False

    def give_up(self) -> None:
        """No row with two filled cells: the first non-blank row is the header."""
        if self.header is None and self._first is not None:
            self.header_row, self.header = self._first
            self.titles = []

    def notes(self) -> list[str]:
        if not self.titles:
            return []
        rows = "、".join(str(n) for n in self.titles)
        return [say("title rows above the header skipped (rows {rows})", rows=rows)]


Reader = Callable[..., Table]
READERS: dict[str, str] = {
    ".csv": "loaders.csv_:read_csv",
    ".txt": "loaders.csv_:read_csv",
    ".xlsx": "loaders.excel:read_xlsx",
    ".xlsm": "loaders.excel:read_xlsx",
    ".geojson": "loaders.geojson:read_geojson",
    ".json": "loaders.geojson:read_geojson",
    ".zip": "loaders.shapefile_:read_zipped_shapefile",
}


def reader_for(path: Path) -> Reader:
    """The reader for a file, by its extension (imported only when used)."""
    import importlib

    target = READERS.get(path.suffix.lower())
    if target is None:
        raise UnreadableFile.one(
            path.name,
            "unknown_format",
            say(
                "{suffix!r} is not a format the loaders read ({formats})",
                suffix=path.suffix,
                formats=", ".join(sorted(READERS)),
            ),
        )
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())

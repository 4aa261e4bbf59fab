"""The reader contract: a file becomes a Table of numbered rows with named values and,
for GIS formats, a geometry per row in the file's coordinate system."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shapely.geometry.base import BaseGeometry

from registry.errors import RegistryError


class UnreadableFile(RegistryError):
    code = "UNREADABLE_FILE"


@dataclass
class Row:
    label: str  # "row 17", "feature 3", "record 5"
    values: dict[str, Any]
    geometry: BaseGeometry | None = None
    problem: RegistryError | None = None  # what the reader found wrong with the row itself


@dataclass
class Table:
    source: str
    headers: list[str]
    rows: Iterator[Row]
    crs: str | None = None  # the file's own CRS (GeoJSON, .prj); None: ask --crs
    has_geometry: bool = False
    notes: list[str] = field(default_factory=list)
    close: Callable[[], None] = lambda: None  # release the file even if rows were never read


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
            f"{path.suffix or 'no extension'} is not a format the loaders read "
            f"({', '.join(sorted(READERS))})",
        )
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())

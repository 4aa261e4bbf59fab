"""GeoJSON FeatureCollections: properties are the columns, WGS 84 unless said otherwise.

Read feature by feature (ijson), never as one document: a first pass finds the columns, the
named CRS and the counts (features, vertices) against the limits (loaders/limits.py), a
second yields the rows. Memory holds one feature.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ijson

from loaders import limits
from loaders.base import Row, Table, UnreadableFile
from registry.errors import InvalidInput
from registry.geometry import parse_geojson
from registry.language import say

LEGACY_CRS = re.compile(r"EPSG:+(\d+)$")
BOM = b"\xef\xbb\xbf"


def _invalid(path: Path, exc: Exception) -> UnreadableFile:
    return UnreadableFile.one(  # type: ignore[return-value]
        path.name, "invalid_json",
        say("is not valid JSON ({why}); export it again from the GIS", why=exc),
    )  # fmt: skip


def _open(path: Path) -> Any:
    handle = path.open("rb")
    if handle.read(3) != BOM:
        handle.seek(0)
    return handle


class _Survey:
    """What the first pass learns: the kind of document, the columns, the CRS named."""

    def __init__(self) -> None:
        self.kind: Any = None
        self.headers: list[str] = []
        self.crs_name: Any = None
        self.features = 0
        self.numbers = 0  # coordinates: two or three per vertex


def _survey(path: Path) -> _Survey:
    found, given, seen = _Survey(), limits.limits(), set()
    with _open(path) as handle:
        try:
            for prefix, event, value in ijson.parse(handle, use_float=True):
                if event == "number" and "coordinates" in prefix and "geometr" in prefix:
                    found.numbers += 1
                    if found.numbers > 2 * given.file_vertices:
                        raise limits.too_many_vertices_in_all(path.name)
                elif prefix == "type" and event == "string":
                    found.kind = value
                elif prefix == "features.item" and event == "start_map":
                    found.features += 1
                    if found.features > given.rows:
                        raise limits.too_many_rows(path.name)
                elif event == "map_key" and prefix in ("features.item.properties", "properties"):
                    if value not in seen:
                        seen.add(value)
                        found.headers.append(str(value))
                elif prefix == "crs.properties.name" and event == "string":
                    found.crs_name = value
        except ijson.JSONError as exc:
            raise _invalid(path, exc) from exc
    return found


def _vertices(coordinates: Any) -> int:
    """Vertices of a GeoJSON geometry's coordinates (positions are lists of numbers)."""
    if isinstance(coordinates, list) and coordinates and not isinstance(coordinates[0], list):
        return 1
    if isinstance(coordinates, list):
        return sum(_vertices(c) for c in coordinates)
    return 0


def _geometry_vertices(geometry: Any) -> int:
    if not isinstance(geometry, dict):
        return 0
    if isinstance(geometry.get("geometries"), list):
        return sum(_geometry_vertices(g) for g in geometry["geometries"])
    return _vertices(geometry.get("coordinates"))


def read_geojson(path: Path, sheet: str | None = None) -> Table:
    survey = _survey(path)
    if survey.kind not in ("FeatureCollection", "Feature"):
        raise UnreadableFile.one(
            path.name,
            "not_feature_collection",
            say("is not a GeoJSON FeatureCollection or Feature"),
        )
    # RFC 7946 GeoJSON is WGS 84; older files may name another CRS (e.g. EPSG:4490).
    crs = "EPSG:4326"
    if isinstance(survey.crs_name, str) and (match := LEGACY_CRS.search(survey.crs_name)):
        crs = f"EPSG:{match.group(1)}"
    most = limits.limits().vertices

    def features() -> Iterator[Any]:
        with _open(path) as handle:
            try:
                yield from ijson.items(
                    handle, "" if survey.kind == "Feature" else "features.item", use_float=True
                )
            except ijson.JSONError as exc:
                raise _invalid(path, exc) from exc

    def rows() -> Any:
        for number, feature in enumerate(features(), start=1):
            label = f"feature {number}"
            properties = feature.get("properties") if isinstance(feature, dict) else None
            if not isinstance(properties, dict):
                yield Row(label, {}, problem=InvalidInput.one(
                    "", "not_a_feature", say("is not a feature with properties")))  # fmt: skip
                continue
            values = {str(k): v for k, v in properties.items()}
            geometry = feature.get("geometry")
            count = _geometry_vertices(geometry)
            if count > most:
                problem = InvalidInput.one(
                    "geometry", "too_many_vertices", limits.too_many_vertices(count)
                )
                yield Row(label, values, problem=problem)
                continue
            try:
                geom = parse_geojson(geometry, "geometry") if geometry else None
            except InvalidInput as exc:
                yield Row(label, values, problem=exc)
                continue
            yield Row(label, values, geom)

    return Table(path.name, survey.headers, rows(), crs=crs, has_geometry=True)

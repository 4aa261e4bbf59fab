"""GeoJSON output in the coordinate system a base map needs."""

from __future__ import annotations

import json
from typing import Any

from shapely.geometry import GeometryCollection, mapping, shape

from registry.geometry import from_storage


def geojson_out(value: str | dict | None, crs: str = "wgs84") -> dict[str, Any] | None:
    if value is None:
        return None
    geometry = json.loads(value) if isinstance(value, str) else value
    if crs == "wgs84":
        return geometry
    return mapping(from_storage(shape(geometry), crs))


def collection(geometries: list[str]) -> dict[str, Any] | None:
    if not geometries:
        return None
    parts = [json.loads(g) for g in geometries]
    return parts[0] if len(parts) == 1 else {"type": "GeometryCollection", "geometries": parts}


def centroid(geometries: list[str]) -> dict[str, Any] | None:
    if not geometries:
        return None
    shapes = [shape(json.loads(g)) for g in geometries]
    return mapping(GeometryCollection(shapes).centroid)

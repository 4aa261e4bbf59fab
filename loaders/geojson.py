"""GeoJSON FeatureCollections: properties are the columns, WGS 84 unless said otherwise."""

from __future__ import annotations

import json
import re
from pathlib import Path

from loaders.base import Row, Table, UnreadableFile
from registry.errors import InvalidInput
from registry.geometry import parse_geojson

LEGACY_CRS = re.compile(r"EPSG:+(\d+)$")


def read_geojson(path: Path, sheet: str | None = None) -> Table:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise UnreadableFile.one(path.name, "invalid_json", f"is not valid JSON ({exc})") from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise UnreadableFile.one(
            path.name, "not_feature_collection", "is not a GeoJSON FeatureCollection"
        )
    features = data.get("features") or []
    headers: list[str] = []
    for feature in features:
        for key in feature.get("properties") or {}:
            if key not in headers:
                headers.append(key)
    # RFC 7946 GeoJSON is WGS 84; older files may name another CRS (e.g. EPSG:4490).
    crs = "EPSG:4326"
    named = ((data.get("crs") or {}).get("properties") or {}).get("name", "")
    if match := LEGACY_CRS.search(named):
        crs = f"EPSG:{match.group(1)}"

    def rows():
        for number, feature in enumerate(features, start=1):
            label = f"feature {number}"
            geometry = feature.get("geometry")
            try:
                geom = parse_geojson(geometry, "geometry") if geometry else None
            except InvalidInput as exc:
                yield Row(label, {**(feature.get("properties") or {}), "__geometry_error__": exc})
                continue
            yield Row(label, dict(feature.get("properties") or {}), geom)

    return Table(path.name, headers, rows(), crs=crs, has_geometry=True)

"""GeoJSON FeatureCollections: properties are the columns, WGS 84 unless said otherwise."""

from __future__ import annotations

import re
from pathlib import Path

import orjson

from loaders.base import Row, Table, UnreadableFile
from registry.errors import InvalidInput
from registry.geometry import parse_geojson
from registry.language import say

LEGACY_CRS = re.compile(r"EPSG:+(\d+)$")


def read_geojson(path: Path, sheet: str | None = None) -> Table:
    try:
        data = orjson.loads(path.read_bytes().removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError as exc:
        raise UnreadableFile.one(
            path.name, "invalid_json",
            say("is not valid JSON ({why}); export it again from the GIS", why=exc),
        ) from exc  # fmt: skip
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = {"type": "FeatureCollection", "features": [data]}  # one feature is a collection
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise UnreadableFile.one(
            path.name,
            "not_feature_collection",
            say("is not a GeoJSON FeatureCollection or Feature"),
        )
    features = data.get("features")
    if not isinstance(features, list):
        features = []
    headers: list[str] = []
    for feature in features:
        properties = feature.get("properties") if isinstance(feature, dict) else None
        for key in properties if isinstance(properties, dict) else {}:
            if key not in headers:
                headers.append(str(key))
    # RFC 7946 GeoJSON is WGS 84; older files may name another CRS (e.g. EPSG:4490).
    crs = "EPSG:4326"
    legacy = data.get("crs")
    named = legacy.get("properties", {}).get("name", "") if isinstance(legacy, dict) else ""
    if isinstance(named, str) and (match := LEGACY_CRS.search(named)):
        crs = f"EPSG:{match.group(1)}"

    def rows():
        for number, feature in enumerate(features, start=1):
            label = f"feature {number}"
            properties = feature.get("properties") if isinstance(feature, dict) else None
            if not isinstance(properties, dict):
                yield Row(label, {}, problem=InvalidInput.one(
                    "", "not_a_feature", say("is not a feature with properties")))  # fmt: skip
                continue
            values = {str(k): v for k, v in properties.items()}
            geometry = feature.get("geometry")
            try:
                geom = parse_geojson(geometry, "geometry") if geometry else None
            except InvalidInput as exc:
                yield Row(label, values, problem=exc)
                continue
            yield Row(label, values, geom)

    return Table(path.name, headers, rows(), crs=crs, has_geometry=True)

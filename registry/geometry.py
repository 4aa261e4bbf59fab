"""Geometry at the edge: parse, validate, and move between coordinate systems.

Everything is stored in one SRID (``STORAGE_SRID``, WGS 84; CGCS2000 differs by
centimetres and is treated as equal). GCJ-02 (AMap, Tencent) and BD-09 (Baidu) are
offsets, not EPSG systems, so they are converted with ``prcoords`` instead of PROJ.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import prcoords
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from registry.errors import InvalidInput, Problem
from registry.language import say

STORAGE_SRID = 4326
SITE_TYPES = ("Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon")
# A generous box around China (the same bounds GCJ-02 libraries use to decide "in China").
CHINA_BOUNDS = (72.004, 0.8293, 137.8347, 55.8271)
CHINESE_OFFSETS = ("gcj02", "bd09")


def parse_geojson(value: Any, path: str = "geometry") -> BaseGeometry:
    """A shapely geometry from a GeoJSON geometry (dict or JSON text); InvalidInput if not one."""
    try:
        obj = json.loads(value) if isinstance(value, str) else value
        if not isinstance(obj, dict) or "type" not in obj:
            raise ValueError(say("expected a GeoJSON geometry object with a 'type'"))
        if obj["type"] in ("Feature", "FeatureCollection"):
            raise ValueError(say("expected a geometry, not a {type}", type=obj["type"]))
        return shape(obj)
    except (
        ValueError,
        TypeError,
        KeyError,
        AttributeError,
        IndexError,
        shapely.errors.ShapelyError,
    ) as exc:
        raise InvalidInput.one(
            path, "invalid_geojson", say("is not valid GeoJSON ({why})", why=exc)
        ) from exc


def geometry_problems(geom: BaseGeometry, path: str = "geometry") -> list[Problem]:
    """Why a site or disclosure geometry cannot be stored (empty when it can)."""
    if geom.geom_type not in SITE_TYPES:
        return [
            Problem(
                path,
                "geometry_type",
                say(
                    "{type} is not allowed (use one of {allowed})",
                    type=geom.geom_type,
                    allowed=", ".join(SITE_TYPES),
                ),
            )
        ]
    if geom.is_empty:
        return [Problem(path, "geometry_empty", say("is empty"))]
    if not geom.is_valid:
        return [
            Problem(
                path,
                "geometry_invalid",
                say("is not valid: {why}", why=explain_validity(geom)),
            )
        ]
    return china_problems(geom, path)


def china_problems(geom: BaseGeometry, path: str) -> list[Problem]:
    min_x, min_y, max_x, max_y = geom.bounds
    w, s, e, n = CHINA_BOUNDS
    if w <= min_x and max_x <= e and s <= min_y and max_y <= n:
        return []
    if w <= min_y and max_y <= e and s <= min_x and max_x <= n:
        return [
            Problem(
                path,
                "axes_swapped",
                say(
                    "latitude and longitude appear swapped: longitude comes first (73–135 in "
                    "China), latitude second (18–54); in a table, check that the 经度 and 纬度 "
                    "columns are not exchanged"
                ),
            )
        ]
    bounds = ",".join(f"{v:.4f}" for v in (min_x, min_y, max_x, max_y))
    return [
        Problem(
            path,
            "outside_china",
            say(
                "lies outside China (bounds {bounds} in WGS 84 longitude/latitude); check the "
                "coordinate system (--crs) and the numbers",
                bounds=bounds,
            ),
        )
    ]


# --- coordinate systems -------------------------------------------------------------


def _pointwise(
    fn: Callable[[float, float], tuple[float, float]],
) -> Callable[[np.ndarray], np.ndarray]:
    def apply(coords: np.ndarray) -> np.ndarray:
        return np.array([fn(x, y) for x, y in coords], dtype=float).reshape(coords.shape)

    return apply


def _from_offset(name: str) -> Callable[[np.ndarray], np.ndarray]:
    inverse = {"gcj02": prcoords.gcj_wgs_bored, "bd09": prcoords.bd_wgs_bored}[name]
    return _pointwise(lambda x, y: tuple(reversed(inverse((y, x)))))


def _to_offset(name: str) -> Callable[[np.ndarray], np.ndarray]:
    forward = {"gcj02": prcoords.wgs_gcj, "bd09": prcoords.wgs_bd}[name]
    return _pointwise(lambda x, y: tuple(reversed(forward((y, x)))))


@cache
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(
        CRS.from_user_input(source), CRS.from_user_input(target), always_xy=True
    )


def normalise_crs(crs: str | int) -> str:
    """'gcj02', 'bd09' or 'EPSG:NNNN'; InvalidInput for anything else."""
    text = str(crs).strip().lower().replace("-", "")
    if text in CHINESE_OFFSETS:
        return text
    code = text.removeprefix("epsg:")
    try:
        CRS.from_epsg(int(code))
    except (ValueError, CRSError) as exc:
        raise InvalidInput.one(
            "crs", "unknown_crs", say("{crs!r} is not an EPSG code, 'gcj02' or 'bd09'", crs=crs)
        ) from exc
    return f"EPSG:{int(code)}"


HEIGHTS_DROPPED = say("heights (Z) were dropped: the register keeps positions in two dimensions")


def to_storage(geom: BaseGeometry, crs: str | int) -> BaseGeometry:
    """Reproject ``geom`` from ``crs`` (an EPSG code, 'gcj02' or 'bd09') to the storage SRID,
    in two dimensions: heights (Z), whatever the coordinate system, are dropped (callers
    that can say so check ``geom.has_z`` first: ``HEIGHTS_DROPPED``)."""
    if geom.has_z:
        geom = shapely.force_2d(geom)
    source = normalise_crs(crs)
    if source in CHINESE_OFFSETS:
        return shapely.transform(geom, _from_offset(source))
    if source in (f"EPSG:{STORAGE_SRID}", "EPSG:4490"):
        return geom
    return shapely.transform(geom, _vectorised(_transformer(source, f"EPSG:{STORAGE_SRID}")))


def from_storage(geom: BaseGeometry, crs: str) -> BaseGeometry:
    """The stored geometry expressed for a base map: 'wgs84' (as stored), 'gcj02' or 'bd09'."""
    if crs in CHINESE_OFFSETS:
        return shapely.transform(geom, _to_offset(crs))
    return geom


def _vectorised(transformer: Transformer) -> Callable[[np.ndarray], np.ndarray]:
    def apply(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return apply

import pytest
from pyproj import Geod
from shapely.geometry import LineString, Point, Polygon

from registry.errors import InvalidInput
from registry.geometry import (
    from_storage,
    geometry_problems,
    normalise_crs,
    parse_geojson,
    to_storage,
)

GEOD = Geod(ellps="WGS84")


def metres(a: Point, b: Point) -> float:
    return GEOD.inv(a.x, a.y, b.x, b.y)[2]


def codes(geom):
    return [p.code for p in geometry_problems(geom)]


def test_parse_geojson_refuses_what_is_not_a_geometry():
    with pytest.raises(InvalidInput, match="not valid GeoJSON"):
        parse_geojson({"type": "Feature", "geometry": None})
    with pytest.raises(InvalidInput, match="not valid GeoJSON"):
        parse_geojson('{"type": "Polygon", "coordinates": [[[1, 2], [3]]]}')
    assert codes(parse_geojson('{"type": "Point", "coordinates": []}')) == ["geometry_empty"]
    with pytest.raises(InvalidInput):
        parse_geojson("not json")
    assert parse_geojson('{"type": "Point", "coordinates": [115.9, 28.7]}').x == 115.9


def test_self_intersecting_polygon_gives_the_reason():
    bowtie = Polygon([(115.9, 28.6), (116.0, 28.7), (116.0, 28.6), (115.9, 28.7)])
    problems = geometry_problems(bowtie)
    assert problems[0].code == "geometry_invalid"
    assert "Self-intersection" in problems[0].message


def test_outside_china_and_swapped_axes():
    assert codes(Point(2.35, 48.85)) == ["outside_china"]
    assert codes(Point(28.68, 115.89)) == ["axes_swapped"]
    assert codes(LineString([(115.8, 28.6), (116.0, 28.7)])) == []


def test_geometry_collections_are_not_sites():
    assert codes(parse_geojson({"type": "GeometryCollection", "geometries": []})) == [
        "geometry_type"
    ]


def test_gcj02_and_bd09_round_trip_within_a_centimetre():
    wgs = Point(115.8921, 28.6765)
    for system in ("gcj02", "bd09"):
        shifted = from_storage(wgs, system)
        assert 100 < metres(wgs, shifted) < 1500, system  # the offsets are hundreds of metres
        assert metres(wgs, to_storage(shifted, system)) < 0.01


def test_gauss_kruger_zone_39_with_and_without_the_zone_prefix():
    # 117°E is the central meridian of zone 39: easting 500000 (39500000 with the prefix).
    for crs, x in ((4527, 39_500_000.0), ("EPSG:4548", 500_000.0)):
        point = to_storage(Point(x, 3_175_000.0), crs)
        assert point.x == pytest.approx(117.0, abs=1e-9)
        assert 28.6 < point.y < 28.7


def test_unknown_crs_is_refused():
    assert normalise_crs("GCJ-02") == "gcj02"
    assert normalise_crs(4490) == "EPSG:4490"
    with pytest.raises(InvalidInput, match="not an EPSG code"):
        normalise_crs("mars")

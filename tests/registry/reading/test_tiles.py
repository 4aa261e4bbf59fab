"""Vector tiles decoded and checked against the database; TileJSON; CORS."""

import math

import httpx
import mapbox_vector_tile
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, MultiPoint, MultiPolygon, Point
from sqlalchemy import text

from registry.geometry import from_storage
from registry.settings import Settings
from tests.schema.conftest import in_process


def tile_of(lon, lat, z):
    n = 2**z
    lat_rad = math.radians(lat)
    return z, int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(lat_rad)) / math.pi) / 2 * n)


@pytest.fixture(scope="module")
def tiles(live_server, demo_data):
    return f"http://127.0.0.1:{live_server}/tiles"


def decode(response):
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    return mapbox_vector_tile.decode(response.content)["projects"]["features"]


def sites_in_tile(engine, z, x, y):
    with engine.connect() as conn:
        return sorted(
            conn.execute(
                text(
                    "SELECT p.code FROM sites s JOIN projects p ON p.id = s.project_id WHERE "
                    "ST_Intersects(s.geom, ST_Transform(ST_TileEnvelope(:z, :x, :y), 4326))"
                ),
                {"z": z, "x": x, "y": y},
            ).scalars()
        )


@pytest.mark.parametrize("zoom", [8, 11, 13])
def test_a_tile_holds_exactly_the_sites_in_it(tiles, demo_data, zoom):
    z, x, y = tile_of(115.89, 28.68, zoom)
    features = decode(httpx.get(f"{tiles}/{z}/{x}/{y}.mvt"))
    assert sorted(f["properties"]["code"] for f in features) == sites_in_tile(demo_data, z, x, y)
    kinds = {f["geometry"]["type"] for f in features}
    if zoom < 10:
        assert kinds == {"Point"}  # small tiles over the whole city
    else:
        assert {"LineString", "Polygon"} & kinds  # drawn as what they are
    assert {"code", "name", "status", "is_synthetic"} <= set(features[0]["properties"])


def test_low_zoom_tiles_are_small(tiles):
    z, x, y = tile_of(115.89, 28.68, 6)
    low = httpx.get(f"{tiles}/{z}/{x}/{y}.mvt")
    z, x, y = tile_of(115.89, 28.68, 12)
    assert len(low.content) < 8000


def test_an_empty_tile_is_204_and_a_bad_one_is_refused(tiles):
    assert httpx.get(f"{tiles}/12/0/0.mvt").status_code == 204
    assert httpx.get(f"{tiles}/3/9/0.mvt").status_code == 404
    assert httpx.get(f"{tiles}/30/0/0.mvt").status_code == 400


def test_tilejson_describes_the_layer(tiles):
    document = httpx.get(f"{tiles}/tilejson.json").json()
    assert document["tiles"] == [f"{tiles}/{{z}}/{{x}}/{{y}}.mvt"]
    assert document["vector_layers"][0]["id"] == "projects"


async def test_cors_is_configurable(demo_data):
    settings = Settings()
    settings.api = settings.api.model_copy(update={"cors_origins": ["https://map.example.gov.cn"]})
    async with in_process(settings) as (client, _):
        allowed = await client.get(
            "/tiles/tilejson.json", headers={"Origin": "https://map.example.gov.cn"}
        )
        other = await client.get("/tiles/tilejson.json", headers={"Origin": "https://evil.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://map.example.gov.cn"
    assert "access-control-allow-origin" not in other.headers
    async with in_process() as (client, _):
        closed = await client.get(
            "/tiles/tilejson.json", headers={"Origin": "https://map.example.gov.cn"}
        )
    assert "access-control-allow-origin" not in closed.headers


# --- offset coordinate systems (GCJ-02, BD-09) -------------------------------------------

LON, LAT = st.floats(100, 122), st.floats(22, 42)
POINTS = st.tuples(LON, LAT)


@st.composite
def geometries_in_china(draw):
    """Points, lines, polygons with holes and multi-part geometries in China."""
    kind = draw(st.sampled_from(["point", "line", "polygon", "multipoint", "multipolygon"]))
    if kind == "point":
        return Point(draw(POINTS))
    if kind == "line":
        return LineString(draw(st.lists(POINTS, min_size=2, max_size=6)))
    if kind == "multipoint":
        return MultiPoint(draw(st.lists(POINTS, min_size=1, max_size=4)))
    centre = Point(draw(POINTS))
    polygon = centre.buffer(draw(st.floats(0.01, 0.5)), quad_segs=2)
    polygon = polygon.difference(centre.buffer(0.005, quad_segs=2))  # a hole
    return polygon if kind == "polygon" else MultiPolygon([polygon])


@pytest.mark.generated
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(geometry=geometries_in_china(), crs=st.sampled_from(["gcj02", "bd09"]))
def test_postgresql_offsets_every_vertex_as_python_does(engine, geometry, crs):
    with engine.connect() as conn:
        moved = conn.scalar(
            text("SELECT ST_AsBinary(offset_crs(ST_GeomFromWKB(:wkb, 4326), :crs))"),
            {"wkb": geometry.wkb, "crs": crs},
        )
    by_sql, by_python = shapely.from_wkb(bytes(moved)), from_storage(geometry, crs)
    assert by_sql.geom_type == by_python.geom_type
    assert shapely.equals_exact(by_sql, by_python, tolerance=1e-9)  # a tenth of a millimetre


def test_tiles_for_an_offset_base_map_move_each_site_exactly(tiles, demo_data):
    with demo_data.connect() as conn:
        lon, lat = conn.execute(
            text(
                "SELECT ST_X(geom), ST_Y(geom) FROM sites WHERE GeometryType(geom) = 'POINT' LIMIT 1"
            )
        ).one()
    for crs in ("gcj02", "bd09"):
        moved = from_storage(Point(lon, lat), crs)
        z, x, y = tile_of(moved.x, moved.y, 16)
        features = decode(httpx.get(f"{tiles}/{z}/{x}/{y}.mvt", params={"crs": crs}, timeout=30))
        points = [f for f in features if f["geometry"]["type"] == "Point"]
        n = 2**z
        expected_x = ((moved.x + 180) / 360 * n - x) * 4096
        mercator = math.asinh(math.tan(math.radians(moved.y)))
        expected_y = (1 - ((1 - mercator / math.pi) / 2 * n - y)) * 4096  # tile y points up
        assert any(
            abs(p["geometry"]["coordinates"][0] - expected_x) <= 1
            and abs(p["geometry"]["coordinates"][1] - expected_y) <= 1
            for p in points
        ), (points, expected_x, expected_y)
    parcels = mapbox_vector_tile.decode(httpx.get(f"{tiles}/land-parcels/12/3367/1706.mvt").content)
    assert list(parcels) == ["land-parcels"]
    assert httpx.get(f"{tiles}/1/0/0.mvt", params={"crs": "mars"}).status_code == 400


async def test_a_map_over_an_amap_base_layer_asks_for_gcj02(demo_data, tmp_path):
    import json

    settings = Settings()
    settings.api = settings.api.model_copy(
        update={"map_basemap_url": "https://tiles.example.gov.cn/{z}/{x}/{y}.png",
                "map_basemap_crs": "gcj02"}
    )  # fmt: skip
    async with in_process(settings) as (client, _):
        page = (await client.get("/map")).text
        sketch = (await client.get("/map/base.geojson")).json()
        moved = (await client.get("/map/base.geojson", params={"crs": "gcj02"})).json()
    assert '"crs": "gcj02"' in page and "tiles.example.gov.cn" in page
    assert len(sketch["features"]) >= 5 and {
        f["properties"]["sketch"] for f in sketch["features"]
    } == {True}
    first, shifted = sketch["features"][0], moved["features"][0]
    expected = from_storage(Point(first["properties"]["label_at"]), "gcj02")
    assert abs(shifted["properties"]["label_at"][0] - expected.x) < 1e-6
    boundary = tmp_path / "districts.geojson"  # the operator's own boundaries instead
    boundary.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "青山湖区"},
         "geometry": {"type": "Point", "coordinates": [115.95, 28.68]}}]}), encoding="utf-8")  # fmt: skip
    settings.api = settings.api.model_copy(update={"map_base_layer": boundary})
    async with in_process(settings) as (client, _):
        given = (await client.get("/map/base.geojson")).json()
    assert [f["properties"]["name"] for f in given["features"]] == ["青山湖区"]

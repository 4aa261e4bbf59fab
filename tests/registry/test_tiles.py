"""Vector tiles decoded and checked against the database; TileJSON; CORS."""

import math

import httpx
import mapbox_vector_tile
import pytest
from sqlalchemy import text

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

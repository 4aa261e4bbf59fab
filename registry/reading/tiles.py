"""Vector tiles (MVT) built by PostGIS from the public layers (registry/reading/layers.py):
``/tiles/…`` the ``projects`` layer, one feature per project site (the ``sites`` layer,
under the name map styles know), and ``/tiles/land-parcels/…`` the public land-acquisition
parcels.

Below zoom 10 each site is drawn as a point on its surface (small tiles over a whole
city); from zoom 10 lines and polygons are drawn as such. The GiST index on site geometry
picks the sites: an empty tile costs one index probe. Each feature's id is its row's id,
and features come in that order: the same data give the same bytes, on a replica or after
a restore.

For a base map in GCJ-02 or BD-09 (AMap, Tencent, Baidu), ``crs=gcj02|bd09`` moves every
vertex as those maps expect, in PostgreSQL (``offset_crs``, migration 0012: exact, the same
formula as the OGC API and GraphQL use); the rows are picked from a box 0.02° wider than
the tile, so that what the offset (at most about a kilometre) brings into it is drawn.

Each layer's statement is compiled once from its definition, and run straight on psycopg
(a prepared statement: at high zoom SQLAlchemy's execution layer was a third of the time).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Integer, Text, case, func, literal_column, select, true
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.functions import Function
from sqlalchemy.types import NullType

from registry.errors import InvalidInput, NotFound, not_one_of
from registry.language import say
from registry.reading import layers
from registry.reading.layers import Layer, tile_kind

MAX_ZOOM, POINTS_BELOW = 22, 10
LAYER = "projects"
PARCEL_LAYER = "land-parcels"
# the tile layer's name, the public layer it draws, and whether it draws points at low zoom
TILE_LAYERS = {LAYER: (layers.sites, True), PARCEL_LAYER: (layers.land_parcels, False)}
# In an offset coordinate system (GCJ-02, BD-09) every vertex moves (offset_crs), and the
# features are picked from a box wide enough for what the offset brings into the tile.
OFFSET_MARGIN = 0.02
TILE_CRS = ("wgs84", "gcj02", "bd09")


def tile_sql(name: str, layer: Layer, points_below: bool = False, offset: bool = False) -> str:
    """One layer's tile as SQL text for psycopg (%(z)s, %(x)s, %(y)s, %(crs)s): the layer's
    public rows in the tile, clipped and encoded by PostGIS."""
    # psycopg's placeholders, written as they are; every other value is rendered inline
    z, x, y = (literal_column(f"%({n})s", Integer) for n in ("z", "x", "y"))
    crs = literal_column("%(crs)s", Text)
    merc = func.ST_TileEnvelope(z, x, y)
    wgs = func.ST_Transform(func.ST_TileEnvelope(z, x, y), 4326)
    if offset:
        wgs = func.ST_Expand(wgs, OFFSET_MARGIN)
    bounds = select(merc.label("merc"), wgs.label("wgs")).subquery("bounds")

    def moved(geometry: Any) -> Any:
        return func.offset_crs(geometry, crs) if offset else geometry

    drawn = moved(layer.geometry)
    if points_below:
        point = moved(func.ST_PointOnSurface(layer.geometry))
        drawn = case((z < POINTS_BELOW, point), else_=drawn)
    features = (
        select(
            # a plain function typed as nothing: GeoAlchemy2's own would be read out as EWKB
            Function(
                "ST_AsMVTGeom",
                func.ST_Transform(drawn, 3857),
                bounds.c.merc,
                literal_column("4096"),
                literal_column("64"),
                true(),
                type_=NullType(),
            ).label("geom"),
            layer.row.label("id"),
            *(p.sql.label(p.name) for p in layer.properties),
        )  # fmt: skip
        .select_from(layer.source.join(bounds, true()))
        .where(
            *layer.conditions,
            layer.geometry.op("&&")(bounds.c.wgs),
            func.ST_Intersects(layer.geometry, bounds.c.wgs),
        )
    )
    compiled = str(
        features.compile(dialect=psycopg_dialect(), compile_kwargs={"literal_binds": True})
    )
    for placeholder in ("z", "x", "y", "crs"):  # the compiler doubles a literal %: not these
        compiled = compiled.replace(f"%%({placeholder})s", f"%({placeholder})s")
    return (
        f"WITH features AS ({compiled})\n"
        f"SELECT ST_AsMVT(features.*, '{name}', 4096, 'geom', 'id' ORDER BY id)\n"
        "FROM features WHERE geom IS NOT NULL"
    )


@cache
def statement(name: str, offset: bool) -> str:
    layer, points = TILE_LAYERS[name]
    return tile_sql(name, layer(), points_below=points, offset=offset)


def check_tile(z: int, x: int, y: int) -> None:
    if not 0 <= z <= MAX_ZOOM:
        raise InvalidInput.one("z", "out_of_range", say("zoom must be 0..{max}", max=MAX_ZOOM))
    if not (0 <= x < 2**z and 0 <= y < 2**z):
        raise NotFound.one(
            "x/y", "no_such_tile", say("there is no tile {z}/{x}/{y}", z=z, x=x, y=y)
        )


def check_crs(crs: str) -> None:
    if crs not in TILE_CRS:
        raise InvalidInput([not_one_of("crs", crs, TILE_CRS, "unsupported_crs")])


async def tile(
    conn: AsyncConnection, z: int, x: int, y: int, crs: str = "wgs84", layer: str = LAYER
) -> bytes:
    check_tile(z, x, y)
    check_crs(crs)
    raw = (await conn.get_raw_connection()).driver_connection
    assert raw is not None
    cursor = await raw.execute(
        statement(layer, crs != "wgs84"), {"z": z, "x": x, "y": y, "crs": crs}
    )
    row = await cursor.fetchone()
    return bytes(row[0] or b"") if row else b""


def _fields(name: str) -> dict[str, str]:
    layer, _ = TILE_LAYERS[name]
    return {p.name: tile_kind(p) for p in layer().properties}


def tilejson(base: str) -> dict:
    return {
        "tilejson": "3.0.0",
        "name": "重大建设项目 projects",
        "tiles": [f"{base}/tiles/{{z}}/{{x}}/{{y}}.mvt"],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": [115.5, 28.2, 116.6, 29.2],
        "center": [115.89, 28.68, 10],
        "attribution": "重大建设项目全链条信息公开 (demo data is synthetic)",
        "vector_layers": [
            {
                "id": LAYER,
                "fields": _fields(LAYER),
                "minzoom": 0,
                "maxzoom": MAX_ZOOM,
                "description": "one feature per project site; points below zoom 10",
            },
            {
                "id": PARCEL_LAYER,
                "fields": _fields(PARCEL_LAYER),
                "minzoom": 0,
                "maxzoom": MAX_ZOOM,
                "description": "the public land-acquisition parcels (their own tiles: "
                f"{base}/tiles/{PARCEL_LAYER}/{{z}}/{{x}}/{{y}}.mvt)",
            },
        ],
    }

"""Vector tiles (MVT) built by PostGIS: the `projects` layer, one feature per site, and
(`/tiles/land-parcels/…`) the `land-parcels` layer of the public land-acquisition parcels.

Below zoom 10 each site is drawn as a point on its surface (small tiles over a whole
city); from zoom 10 lines and polygons are drawn as such. The GiST index on site geometry
picks the sites: an empty tile costs one index probe. Each feature's id is its site's id,
and features come in that order: the same data give the same bytes, on a replica or after
a restore.

For a base map in GCJ-02 or BD-09 (AMap, Tencent, Baidu), ``crs=gcj02|bd09`` moves every
vertex as those maps expect, in PostgreSQL (``offset_crs``, migration 0012: exact, the same
formula as the OGC API and GraphQL use); the sites are picked from a box 0.02° wider than
the tile, so that what the offset (at most about a kilometre) brings into it is drawn.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from registry.errors import InvalidInput, NotFound, not_one_of
from registry.language import say

MAX_ZOOM, POINTS_BELOW = 22, 10
LAYER = "projects"
# Each attribute of a tile feature, once: its name, the SQL that gives it, its TileJSON type.
FIELDS = {
    "code": ("p.code", "String"),
    "name": ("p.name", "String"),
    "status": ("p.status", "String"),
    "industry": ("p.industry", "String"),
    "kind": ("s.kind", "String"),
    "is_synthetic": ("p.is_synthetic", "Boolean"),
}

# In an offset coordinate system (GCJ-02, BD-09) every vertex moves (offset_crs), and the
# features are picked from a box wide enough for what the offset brings into the tile.
OFFSET_MARGIN = 0.02


def tile_sql(
    layer: str,
    source: str,
    alias: str,
    fields: dict,
    where: str = "",
    points_below: bool = False,
    offset: bool = False,
) -> str:
    """One layer's tile: its features (``alias.geom``, ``alias.id``, ``fields``) from
    ``source``, clipped and encoded by PostGIS; points below zoom POINTS_BELOW if asked."""
    envelope = "ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4326)"
    if offset:
        envelope = f"ST_Expand({envelope}, {OFFSET_MARGIN})"

    def moved(geom: str) -> str:
        return f"offset_crs({geom}, %(crs)s)" if offset else geom

    drawn = moved(f"{alias}.geom")
    if points_below:
        drawn = (
            f"CASE WHEN %(z)s < %(points_below)s THEN {moved(f'ST_PointOnSurface({alias}.geom)')}"
            f"\n                                        ELSE {drawn} END"
        )
    return f"""
WITH bounds AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS merc,
                       {envelope} AS wgs),
features AS (
  SELECT ST_AsMVTGeom(ST_Transform({drawn}, 3857),
                      bounds.merc, 4096, 64, true) AS geom,
         {alias}.id AS id,
         {", ".join(f"{sql} AS {name}" for name, (sql, _) in fields.items())}
  FROM {source}, bounds
  WHERE {where}{alias}.geom && bounds.wgs AND ST_Intersects({alias}.geom, bounds.wgs)
)
SELECT ST_AsMVT(features.*, '{layer}', 4096, 'geom', 'id' ORDER BY id)
FROM features WHERE geom IS NOT NULL
"""  # fmt: skip


SITES = "sites s JOIN projects p ON p.id = s.project_id"
TILE_SQL = tile_sql(LAYER, SITES, "s", FIELDS, points_below=True)
SHIFTED_TILE_SQL = tile_sql(LAYER, SITES, "s", FIELDS, points_below=True, offset=True)


def check_tile(z: int, x: int, y: int) -> None:
    if not 0 <= z <= MAX_ZOOM:
        raise InvalidInput.one("z", "out_of_range", say("zoom must be 0..{max}", max=MAX_ZOOM))
    if not (0 <= x < 2**z and 0 <= y < 2**z):
        raise NotFound.one(
            "x/y", "no_such_tile", say("there is no tile {z}/{x}/{y}", z=z, x=x, y=y)
        )


PARCEL_LAYER = "land-parcels"
PARCEL_FIELDS = {
    "project_code": ("p.code", "String"),
    "project_name": ("p.name", "String"),
    "item": ("x.item_key", "String"),
    "title": ("x.title", "String"),
    "formed_on": ("x.formed_on::text", "String"),
}
PARCELS = "public_disclosures x JOIN projects p ON p.id = x.project_id"
ON_PARCELS = "x.category = 'land_acquisition' AND "
PARCEL_TILE_SQL = tile_sql(PARCEL_LAYER, PARCELS, "x", PARCEL_FIELDS, ON_PARCELS)
SHIFTED_PARCEL_TILE_SQL = tile_sql(PARCEL_LAYER, PARCELS, "x", PARCEL_FIELDS, ON_PARCELS,
                                   offset=True)  # fmt: skip
TILE_CRS = ("wgs84", "gcj02", "bd09")
SQL = {(LAYER, False): TILE_SQL, (LAYER, True): SHIFTED_TILE_SQL,
       (PARCEL_LAYER, False): PARCEL_TILE_SQL, (PARCEL_LAYER, True): SHIFTED_PARCEL_TILE_SQL}  # fmt: skip


def check_crs(crs: str) -> None:
    if crs not in TILE_CRS:
        raise InvalidInput([not_one_of("crs", crs, TILE_CRS, "unsupported_crs")])


async def tile(
    conn: AsyncConnection, z: int, x: int, y: int, crs: str = "wgs84", layer: str = LAYER
) -> bytes:
    check_tile(z, x, y)
    check_crs(crs)
    params = {"z": z, "x": x, "y": y, "points_below": POINTS_BELOW, "crs": crs}
    sql = SQL[(layer, crs != "wgs84")]
    # Straight to psycopg on the pooled connection: a tile is one fixed, prepared
    # statement, and at high zoom SQLAlchemy's execution layer was a third of the time.
    raw = (await conn.get_raw_connection()).driver_connection
    assert raw is not None
    cursor = await raw.execute(sql, params)
    row = await cursor.fetchone()
    return bytes(row[0] or b"") if row else b""


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
                "fields": {name: kind for name, (_, kind) in FIELDS.items()},
                "minzoom": 0,
                "maxzoom": MAX_ZOOM,
                "description": "one feature per project site; points below zoom 10",
            },
            {
                "id": PARCEL_LAYER,
                "fields": {name: kind for name, (_, kind) in PARCEL_FIELDS.items()},
                "minzoom": 0,
                "maxzoom": MAX_ZOOM,
                "description": "the public land-acquisition parcels (their own tiles: "
                f"{base}/tiles/{PARCEL_LAYER}/{{z}}/{{x}}/{{y}}.mvt)",
            },
        ],
    }

"""Vector tiles (MVT) built by PostGIS: one layer, `projects`, one feature per site.

Below zoom 10 each site is drawn as a point on its surface (small tiles over a whole
city); from zoom 10 lines and polygons are drawn as such. The GiST index on site geometry
picks the sites: an empty tile costs one index probe. Each feature's id is its site's id,
and features come in that order: the same data give the same bytes, on a replica or after
a restore.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from registry.errors import InvalidInput, NotFound
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

TILE_SQL = f"""
WITH bounds AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS merc,
                       ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4326) AS wgs),
features AS (
  SELECT ST_AsMVTGeom(ST_Transform(CASE WHEN %(z)s < %(points_below)s THEN ST_PointOnSurface(s.geom)
                                        ELSE s.geom END, 3857),
                      bounds.merc, 4096, 64, true) AS geom,
         s.id AS id,
         {", ".join(f"{sql} AS {name}" for name, (sql, _) in FIELDS.items())}
  FROM sites s JOIN projects p ON p.id = s.project_id, bounds
  WHERE s.geom && bounds.wgs AND ST_Intersects(s.geom, bounds.wgs)
)
SELECT ST_AsMVT(features.*, '{LAYER}', 4096, 'geom', 'id' ORDER BY id)
FROM features WHERE geom IS NOT NULL
"""


def check_tile(z: int, x: int, y: int) -> None:
    if not 0 <= z <= MAX_ZOOM:
        raise InvalidInput.one("z", "out_of_range", say("zoom must be 0..{max}", max=MAX_ZOOM))
    if not (0 <= x < 2**z and 0 <= y < 2**z):
        raise NotFound.one(
            "x/y", "no_such_tile", say("there is no tile {z}/{x}/{y}", z=z, x=x, y=y)
        )


async def tile(conn: AsyncConnection, z: int, x: int, y: int) -> bytes:
    check_tile(z, x, y)
    # Straight to psycopg on the pooled connection: a tile is one fixed, prepared
    # statement, and at high zoom SQLAlchemy's execution layer was a third of the time.
    raw = (await conn.get_raw_connection()).driver_connection
    assert raw is not None
    cursor = await raw.execute(TILE_SQL, {"z": z, "x": x, "y": y, "points_below": POINTS_BELOW})
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
            }
        ],
    }

"""GCJ-02 and BD-09 in PostgreSQL: ``offset_crs(geom, 'gcj02'|'bd09')`` moves every vertex
of a WGS 84 geometry as the Chinese web maps (AMap and Tencent; Baidu) expect, so that
vector tiles for such a base map are built by PostGIS like the others.

The offset is the published GCJ-02 formula (the same as the ``prcoords`` library the
Python side uses; tests/registry/reading/test_tiles.py holds the two together); outside the box
``prcoords`` calls China a point is left as it is. The offset changes too fast with place
(its terms have periods of a third of a degree) for one shift per tile: 25–120 m off at
zooms 10–14. Vertex by vertex it is exact.

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

FUNCTIONS = """
CREATE OR REPLACE FUNCTION offset_point(lon float8, lat float8, crs text)
RETURNS float8[] LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  x float8 := lon - 105;
  y float8 := lat - 35;
  dlat float8;
  dlon float8;
  rad float8 := radians(lat);
  magic float8 := 1 - 0.00669342162296594323 * sin(rad) ^ 2;
  glon float8;
  glat float8;
  z float8;
  theta float8;
BEGIN
  IF NOT (lat BETWEEN 0.8293 AND 55.8271 AND lon BETWEEN 72.004 AND 137.8347) THEN
    RETURN ARRAY[lon, lat];
  END IF;
  dlat := -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(abs(x))
    + (2 * sin(x * 6 * pi()) + 2 * sin(x * 2 * pi()) + 2 * sin(y * pi())
       + 4 * sin(y / 3 * pi()) + 16 * sin(y / 12 * pi()) + 32 * sin(y / 30 * pi())) * 20 / 3;
  dlon := 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(abs(x))
    + (2 * sin(x * 6 * pi()) + 2 * sin(x * 2 * pi()) + 2 * sin(x * pi())
       + 4 * sin(x / 3 * pi()) + 15 * sin(x / 12 * pi()) + 30 * sin(x / 30 * pi())) * 20 / 3;
  glat := lat + dlat / radians(6378245 * (1 - 0.00669342162296594323) / magic ^ 1.5);
  glon := lon + dlon / radians(6378245 * cos(rad) / sqrt(magic));
  IF crs = 'gcj02' THEN
    RETURN ARRAY[glon, glat];
  END IF;
  -- BD-09: GCJ-02 moved again (as prcoords.gcj_bd)
  z := sqrt(glon * glon + glat * glat) + 0.00002 * sin(glat * pi() * 3000 / 180);
  theta := atan2(glat, glon) + 0.000003 * cos(glon * pi() * 3000 / 180);
  RETURN ARRAY[z * cos(theta) + 0.0065, z * sin(theta) + 0.0060];
END
$$;

CREATE OR REPLACE FUNCTION offset_crs(g geometry, crs text)
RETURNS geometry LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  kind text := GeometryType(g);
  moved float8[];
BEGIN
  IF g IS NULL OR crs = 'wgs84' THEN
    RETURN g;
  ELSIF kind = 'POINT' THEN
    moved := offset_point(ST_X(g), ST_Y(g), crs);
    RETURN ST_SetSRID(ST_MakePoint(moved[1], moved[2]), ST_SRID(g));
  ELSIF kind = 'LINESTRING' THEN
    RETURN (SELECT ST_MakeLine(array_agg(offset_crs(d.geom, crs) ORDER BY d.path))
            FROM ST_DumpPoints(g) AS d);
  ELSIF kind = 'POLYGON' THEN
    RETURN (SELECT ST_MakePolygon(rings[1], rings[2:])
            FROM (SELECT array_agg(offset_crs(ST_ExteriorRing(r.geom), crs) ORDER BY r.path) AS rings
                  FROM ST_DumpRings(g) AS r) AS s);
  ELSE  -- multi-part and collections: part by part
    RETURN (SELECT ST_Collect(array_agg(offset_crs(d.geom, crs) ORDER BY d.path))
            FROM ST_Dump(g) AS d);
  END IF;
END
$$;
"""


def upgrade() -> None:
    op.execute(FUNCTIONS)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS offset_crs(geometry, text)")
    op.execute("DROP FUNCTION IF EXISTS offset_point(float8, float8, text)")

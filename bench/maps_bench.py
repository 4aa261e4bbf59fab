"""OGC API items and vector tiles against the raw SQL that builds the same bytes.

    python -m bench.maps_bench [--database registry_bench] [--concurrency 4]

Needs the data of `python -m bench.generate`. The baseline for items is the features SQL
the registry runs, executed through psycopg; for tiles it is ST_AsMVT for the same tile.
"""

from __future__ import annotations

import argparse
import math

from sqlalchemy.dialects import postgresql

from bench.generate import psycopg_url
from bench.harness import api_server, compare, database_url, http_worker
from registry.reading import layers, ogc_params, tiles


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    return (
        z,
        int((lon + 180) / 360 * n),
        int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n),
    )


def items_sql(limit: int) -> str:
    """The page of features and the count, as one statement of literal SQL."""
    from sqlalchemy import select

    page = layers.page("projects", ogc_params.ItemsQuery(limit=limit))
    statement = select(page.features(limit, 0), page.total().scalar_subquery())
    compiled = statement.compile(
        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
    )
    return str(compiled)


def run(database: str, concurrency: int) -> list[dict]:
    url = database_url(database)
    dsn = psycopg_url(url)
    cases = [
        (
            "OGC items, 100 projects",
            "/ogc/collections/projects/items?limit=100",
            items_sql(100),
            None,
            200,
        )
    ]
    for z in (10, 12, 14):
        zz, x, y = tile_of(115.95, 28.70, z)
        params = {"z": zz, "x": x, "y": y, "crs": "wgs84"}
        cases.append(
            (f"tile {zz}/{x}/{y}", f"/tiles/{zz}/{x}/{y}.mvt", tiles.statement(tiles.LAYER, False),
             params, 200)
        )  # fmt: skip
    with api_server(url, {"REGISTRY_STATEMENT_TIMEOUT_MS": "60000"}) as base:
        return compare(
            base, dsn, cases, concurrency, lambda base, path, n: http_worker(base + path, n)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="registry_bench")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    run(args.database, args.concurrency)


if __name__ == "__main__":
    main()

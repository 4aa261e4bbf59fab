"""HTTP for map frontends: OGC API – Features, vector tiles and the map page.

Handlers only translate between HTTP and registry.reading.features / registry.reading.tiles;
refusals raise and become the one error body (registry.web.errors), whose code and
description are the OGC exception fields.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from registry.reading import features, tiles

GEOJSON = "application/geo+json"
MVT = "application/vnd.mapbox-vector-tile"
MAP_PAGE = Path(__file__).parent / "static" / "map.html"


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def landing(request: Request) -> Response:
    return JSONResponse(features.landing(_base(request)))


async def api_definition(request: Request) -> Response:
    return JSONResponse(features.openapi(_base(request)), media_type=features.OPENAPI_MEDIA)


async def conformance(request: Request) -> Response:
    return JSONResponse({"conformsTo": features.CONFORMANCE})


async def collections(request: Request) -> Response:
    base = _base(request)
    async with request.app.state.db.read.connect() as conn:
        described = [
            features.describe(c, base, await features.extent(conn, c.id))
            for c in features.COLLECTIONS.values()
        ]
    return JSONResponse(
        {
            "collections": described,
            "links": [
                {
                    "href": f"{base}/ogc/collections",
                    "rel": "self",
                    "type": "application/json",
                    "title": "collections",
                }
            ],
        }
    )


async def collection(request: Request) -> Response:
    coll = features.collection(request.path_params["collection_id"])
    async with request.app.state.db.read.connect() as conn:
        bbox = await features.extent(conn, coll.id)
    return JSONResponse(features.describe(coll, _base(request), bbox))


async def items(request: Request) -> Response:
    coll = features.collection(request.path_params["collection_id"])
    params = dict(request.query_params)
    query = features.parse_items_query(coll, params)
    async with request.app.state.db.read.connect() as conn:
        body = await features.items(conn, coll.id, query, _base(request), params)
    return Response(body, media_type=GEOJSON, headers=_crs_header(query))


async def item(request: Request) -> Response:
    coll = features.collection(request.path_params["collection_id"])
    params = {k: v for k, v in request.query_params.items() if k in ("crs", "f")}
    query = features.parse_items_query(coll, params)
    async with request.app.state.db.read.connect() as conn:
        body = await features.items(
            conn, coll.id, query, _base(request), params, one=request.path_params["feature_id"]
        )
    return Response(body, media_type=GEOJSON, headers=_crs_header(query))


def _crs_header(query) -> dict[str, str]:
    crs = {"wgs84": features.CRS84}.get(query.crs, query.crs)
    return {"Content-Crs": f"<{crs}>"}


async def tile(request: Request) -> Response:
    z, x, y = (int(request.path_params[k]) for k in ("z", "x", "y"))
    database = request.app.state.db
    async with database.read.connect() as conn:
        started = time.perf_counter()
        data = await tiles.tile(conn, z, x, y)
        database.slow.check(f"tile {z}/{x}/{y}: {tiles.TILE_SQL}", time.perf_counter() - started)
    if not data:
        return Response(status_code=204)
    return Response(data, media_type=MVT, headers={"Cache-Control": "public, max-age=60"})


async def tilejson(request: Request) -> Response:
    return JSONResponse(tiles.tilejson(_base(request)))


async def map_page(request: Request) -> Response:
    settings = request.app.state.settings.api
    config = {"basemap": settings.map_basemap_url, "attribution": settings.map_basemap_attribution}
    page = MAP_PAGE.read_text(encoding="utf-8").replace(
        "__CONFIG__", json.dumps(config, ensure_ascii=False)
    )
    return HTMLResponse(page)


ROUTES = [
    Route("/ogc", landing),
    Route("/ogc/", landing),
    Route("/ogc/conformance", conformance),
    Route("/ogc/api", api_definition),
    Route("/ogc/collections", collections),
    Route("/ogc/collections/{collection_id}", collection),
    Route("/ogc/collections/{collection_id}/items", items),
    Route("/ogc/collections/{collection_id}/items/{feature_id}", item),
    Route("/tiles/tilejson.json", tilejson),
    Route("/tiles/{z:int}/{x:int}/{y:int}.mvt", tile),
    Route("/map", map_page),
]

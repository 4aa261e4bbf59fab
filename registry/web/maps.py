"""HTTP for map frontends: OGC API – Features, vector tiles and the map page.

Handlers only translate between HTTP and registry.reading.features / registry.reading.tiles;
refusals raise and become the one error body (registry.web.errors), whose code and
description are the OGC exception fields.
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Any

from shapely.geometry import mapping, shape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from registry.errors import InvalidInput, NotFound, not_one_of
from registry.geometry import from_storage
from registry.reading import crs as systems
from registry.reading import features, layers, ogc_documents, ogc_params, portal, tiles
from registry.web import heavy
from registry.web.errors import wants_page
from registry.web.kept import Kept
from registry.web.pages import render
from registry.web.security import public_base

GEOJSON = "application/geo+json"
MVT = "application/vnd.mapbox-vector-tile"
MAP_PAGE = Path(__file__).parent / "static" / "map.html"


def _relative(url: Any) -> str:
    """A link to this server's own resource, as a path (no host to forge)."""
    return url.path + (f"?{url.query}" if url.query else "")


def _wants_html(request: Request) -> bool:
    """``f=html``, or a browser's Accept with no ``f``: the page; else JSON."""
    f = request.query_params.get("f")
    if f is not None:
        if f not in ogc_params.FORMATS:
            raise InvalidInput([not_one_of("f", f, ogc_params.FORMATS)])
        return f == "html"
    return wants_page(request)


def _page(request: Request, heading: str, **values: Any) -> HTMLResponse:
    """The OGC page template, each of its parts absent unless given."""
    parts = dict.fromkeys(
        ("description", "links", "conformance", "collections", "features_json", "matched",
         "rows", "pages", "properties", "operations", "api_href"),
    )  # fmt: skip
    json_href = _relative(request.url.include_query_params(f="json"))
    return render("ogc.html", **{**parts, "trail": [], **values},
                  heading=heading, json_href=json_href)  # fmt: skip


def _as_page(links: list[dict]) -> list[dict]:
    """The links, to the pages where there are pages."""
    shown = []
    for link in links:
        if link["type"] in ("application/json", "application/geo+json") and "/ogc" in link["href"]:
            joiner = "&" if "?" in link["href"] else "?"
            link = {**link, "href": f"{link['href']}{joiner}f=html"}
        shown.append(link)
    return shown


async def landing(request: Request) -> Response:
    document = ogc_documents.landing(public_base(request))
    if _wants_html(request):
        return _page(request, document["title"], description=document["description"],
                     links=_as_page([lk for lk in document["links"] if lk["rel"] != "alternate"]),
                     api_href="/ogc/api")  # fmt: skip
    return JSONResponse(document)


async def api_definition(request: Request) -> Response:
    document = ogc_documents.openapi(public_base(request))
    if _wants_html(request):
        return _page(request, "API 定义 · the API definition", api_href="/ogc/api",
                     operations=[(path, item["get"]) for path, item in document["paths"].items()])  # fmt: skip
    return JSONResponse(document, media_type=ogc_documents.OPENAPI_MEDIA)


async def conformance(request: Request) -> Response:
    if _wants_html(request):
        return _page(
            request, "符合的标准 · conformance classes", conformance=ogc_documents.CONFORMANCE
        )
    return JSONResponse({"conformsTo": ogc_documents.CONFORMANCE})


async def crs(request: Request) -> Response:
    return JSONResponse(systems.crs_description(public_base(request), request.path_params["name"]))


async def collections(request: Request) -> Response:
    base = public_base(request)
    async with request.app.state.db.read.connect() as conn:
        described = [
            ogc_documents.describe(c, base, await layers.extent(conn, c.id))
            for c in layers.COLLECTIONS.values()
        ]
    if _wants_html(request):
        return _page(request, "数据集 · collections", collections=described)
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
    coll = layers.collection(request.path_params["collection_id"])
    async with request.app.state.db.read.connect() as conn:
        bbox = await layers.extent(conn, coll.id)
    described = ogc_documents.describe(coll, public_base(request), bbox)
    if _wants_html(request):
        return _page(request, coll.title, description=coll.description, collections=[described],
                     links=_as_page([lk for lk in described["links"] if lk["rel"] != "alternate"]),
                     trail=[("/ogc/collections?f=html", "数据集 · collections")])  # fmt: skip
    return JSONResponse(described)


async def items(request: Request) -> Response:
    coll = layers.collection(request.path_params["collection_id"])
    params = dict(request.query_params)
    query = features.parse_items_query(coll, params)
    request.state.cost = query.limit  # the reader's quota is charged the page (quotas.py)
    html = _wants_html(request)
    params.pop("f", None)  # the links of a page lead to pages, of JSON to JSON
    async with request.app.state.db.read.connect() as conn:
        body = await features.items(conn, coll.id, query, public_base(request), params)
    if html:
        return _items_page(request, coll, json.loads(body))
    return Response(body, media_type=GEOJSON, headers=_crs_header(request, query))


def _cell(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value


def _items_page(request: Request, coll: Any, collection: dict) -> HTMLResponse:
    found = collection["features"]
    names = [k for k in (found[0]["properties"] if found else {}) if k != "is_synthetic"][:6]
    rows = [
        [{"href": f"/ogc/collections/{coll.id}/items/{f['id']}?f=html", "text": f["id"]},
         *(_cell(f["properties"].get(name)) for name in names)]
        for f in found
    ]  # fmt: skip
    pages = [
        {**link, "href": f"{link['href']}&f=html"}
        for link in collection["links"]
        if link["rel"] in ("prev", "next")
    ]
    return _page(request, f"{coll.title}", description=coll.description,
                 features_json=json.dumps({"type": "FeatureCollection", "features": found},
                                          ensure_ascii=False),
                 matched=collection["numberMatched"], returned=collection["numberReturned"],
                 columns=["id", *names], rows=rows, pages=pages,
                 trail=[("/ogc/collections?f=html", "数据集 · collections"),
                        (f"/ogc/collections/{coll.id}?f=html", coll.title)])  # fmt: skip


async def item(request: Request) -> Response:
    coll = layers.collection(request.path_params["collection_id"])
    params = {k: v for k, v in request.query_params.items() if k in ("crs", "f")}
    query = features.parse_items_query(coll, params)
    async with request.app.state.db.read.connect() as conn:
        body = await features.items(
            conn,
            coll.id,
            query,
            public_base(request),
            params,
            one=request.path_params["feature_id"],
        )
    if _wants_html(request):
        feature = json.loads(body)
        properties = feature.get("properties") or {}
        code = properties.get("project_code") or properties.get("code")
        links = [lk for lk in feature["links"] if lk["rel"] != "alternate"]
        if code:
            links.append({"href": f"/projects/{code}", "rel": "related", "type": "text/html",
                          "title": "项目页面 · the project's page"})  # fmt: skip
        return _page(request, str(properties.get("name") or properties.get("title") or feature["id"]),
                     features_json=json.dumps({"type": "FeatureCollection", "features": [feature]},
                                              ensure_ascii=False),
                     properties=[(k, _cell(v)) for k, v in properties.items()],
                     links=_as_page(links),
                     trail=[("/ogc/collections?f=html", "数据集 · collections"),
                            (f"/ogc/collections/{coll.id}/items?f=html", coll.title)])  # fmt: skip
    return Response(body, media_type=GEOJSON, headers=_crs_header(request, query))


def _crs_header(request: Request, query: Any) -> dict[str, str]:
    return {"Content-Crs": f"<{systems.crs_uri(public_base(request), query.crs)}>"}


async def tile(request: Request) -> Response:
    z, x, y = (int(request.path_params[k]) for k in ("z", "x", "y"))
    layer = request.path_params.get("layer", tiles.LAYER)
    crs = request.query_params.get("crs", "wgs84")
    database = request.app.state.db
    # a low-zoom tile draws a district or more: it takes a heavy slot (registry/web/heavy.py)
    waiting = heavy.turn(request) if z < heavy.HEAVY_ZOOM else contextlib.nullcontext()
    async with waiting, database.read.connect() as conn:
        started = time.perf_counter()
        data = await tiles.tile(conn, z, x, y, crs, layer)
        database.slow.check(f"tile {layer} {z}/{x}/{y}", time.perf_counter() - started)
    if not data:
        return Response(status_code=204)
    return Response(data, media_type=MVT)  # kept and tagged by the register's state (web/cache)


async def parcel_tile(request: Request) -> Response:
    if request.path_params["layer"] != tiles.PARCEL_LAYER:
        raise NotFound([not_one_of("layer", request.path_params["layer"], [tiles.PARCEL_LAYER],
                                   "unknown_layer")])  # fmt: skip
    return await tile(request)


SKETCHES = Kept()  # the hull of every site of a district: 0.3 s at 50,000 projects


async def base_layer(request: Request) -> Response:
    """The districts under the projects: the operator's file, or a sketch from the register."""
    crs = request.query_params.get("crs", "wgs84")
    tiles.check_crs(crs)
    given = request.app.state.settings.api.map_base_layer
    if given is not None:
        collection = json.loads(Path(given).read_text(encoding="utf-8"))
        for feature in collection.get("features", []):
            if feature.get("geometry"):
                feature["geometry"] = mapping(from_storage(shape(feature["geometry"]), crs))
        body = json.dumps(collection, ensure_ascii=False)
    else:
        async with request.app.state.db.read.connect() as conn:
            body = await SKETCHES.get(conn, crs, lambda: portal.district_sketch(conn, crs))
    return Response(body, media_type=GEOJSON, headers={"Cache-Control": "public, max-age=300"})


async def tilejson(request: Request) -> Response:
    return JSONResponse(tiles.tilejson(public_base(request)))


async def map_page(request: Request) -> Response:
    settings = request.app.state.settings.api
    config = {"basemap": settings.map_basemap_url, "attribution": settings.map_basemap_attribution,
              "crs": settings.map_basemap_crs}  # fmt: skip
    # a JSON data block: "<" written as \u003c, so no value can close the element
    data = json.dumps(config, ensure_ascii=False).replace("<", "\\u003c")
    page = MAP_PAGE.read_text(encoding="utf-8").replace("__CONFIG__", data)
    return HTMLResponse(page)


ROUTES = [
    Route("/ogc", landing),
    Route("/ogc/", landing),
    Route("/ogc/conformance", conformance),
    Route("/ogc/api", api_definition),
    Route("/ogc/crs/{name}", crs),
    Route("/ogc/collections", collections),
    Route("/ogc/collections/{collection_id}", collection),
    Route("/ogc/collections/{collection_id}/items", items),
    Route("/ogc/collections/{collection_id}/items/{feature_id}", item),
    Route("/tiles/tilejson.json", tilejson),
    Route("/tiles/{z:int}/{x:int}/{y:int}.mvt", tile),
    Route("/tiles/{layer:str}/{z:int}/{x:int}/{y:int}.mvt", parcel_tile),
    Route("/map", map_page),
    Route("/map/base.geojson", base_layer),
]

"""The OGC API's own documents: the landing page, conformance, the OpenAPI 3.0 definition
(from the same collections and parameters the handlers use), a collection's description
and a page's links."""

from __future__ import annotations

from registry.reading.crs import CRS84, OFFSET_CRS, OUTPUT_CRS, crs_uris
from registry.reading.layers import COLLECTIONS, Collection
from registry.reading.ogc_params import (
    COMMON_PARAMS,
    DEFAULT_LIMIT,
    FORMATS,
    MAX_ID,
    MAX_LIMIT,
    MAX_OFFSET,
    ItemsQuery,
)

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
OPENAPI_MEDIA = "application/vnd.oai.openapi+json;version=3.0"


def links(
    base: str, collection_id: str, params: dict[str, str], q: ItemsQuery, matched: int
) -> list:
    from urllib.parse import urlencode

    def url(offset: int) -> str:
        query = {**params, "offset": str(offset), "limit": str(q.limit)}
        return f"{base}/ogc/collections/{collection_id}/items?{urlencode(query)}"

    links = [
        {
            "href": url(q.offset),
            "rel": "self",
            "type": "application/geo+json",
            "title": "this page",
        },
        {
            "href": f"{base}/ogc/collections/{collection_id}",
            "rel": "collection",
            "type": "application/json",
            "title": "the collection",
        },
    ]
    if q.offset + q.limit < matched:
        links.append(
            {
                "href": url(q.offset + q.limit),
                "rel": "next",
                "type": "application/geo+json",
                "title": "next page",
            }
        )
    if q.offset > 0:
        links.append(
            {
                "href": url(max(q.offset - q.limit, 0)),
                "rel": "prev",
                "type": "application/geo+json",
                "title": "previous page",
            }
        )
    return links


def landing(base: str) -> dict:
    return {
        "title": "重大建设项目全链条信息公开 · Major construction project disclosures",
        "description": "OGC API – Features for the registry's projects and land parcels.",
        "links": [
            {
                "href": f"{base}/ogc",
                "rel": "self",
                "type": "application/json",
                "title": "this document",
            },
            {
                "href": f"{base}/ogc/conformance",
                "rel": "conformance",
                "type": "application/json",
                "title": "conformance classes",
            },
            {
                "href": f"{base}/ogc/collections",
                "rel": "data",
                "type": "application/json",
                "title": "collections",
            },
            {
                "href": f"{base}/ogc/api",
                "rel": "service-desc",
                "type": OPENAPI_MEDIA,
                "title": "the API definition (OpenAPI 3.0)",
            },
            {
                "href": f"{base}/ogc/api?f=html",
                "rel": "service-doc",
                "type": "text/html",
                "title": "the API, as a page",
            },
            {
                "href": f"{base}/ogc?f=html",
                "rel": "alternate",
                "type": "text/html",
                "title": "this document as a page",
            },
        ],
    }


PARAMETERS: dict[str, dict] = {
    "bbox": {"description": "minLon,minLat,maxLon,maxLat (WGS 84)", "style": "form",
             "explode": False, "schema": {"type": "array", "minItems": 4, "maxItems": 4,
                                          "items": {"type": "number"}}},
    "limit": {"description": f"features per page (1..{MAX_LIMIT})",
              "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                         "default": DEFAULT_LIMIT}},
    "offset": {"description": "features to skip", "schema": {"type": "integer", "minimum": 0,
                                                             "maximum": MAX_OFFSET}},
    "crs": {"description": "coordinates of the answer: CRS84 (WGS 84 longitude, latitude), "
            "or the offset systems of Chinese web maps, by URI or as gcj02 or bd09",
            "schema": {"type": "string", "enum": list(OUTPUT_CRS), "default": CRS84}},
    "f": {"description": "json, or html for a page (the default for a browser)",
          "schema": {"type": "string", "enum": list(FORMATS)}},
    "status": {"description": "project statuses, comma-separated",
               "schema": {"type": "string"}},
    "region": {"description": "administrative division code (6 digits; a prefix of a city "
               "or province covers its districts)",
               "schema": {"type": "string", "pattern": "^[0-9]{2,6}$"}},
    "category": {"description": "disclosure categories present, comma-separated",
                 "schema": {"type": "string"}},
    "item": {"description": "catalog items, comma-separated", "schema": {"type": "string"}},
    "list": {"description": "projects on this list of major projects today (its id, as "
             "/lists gives it)", "schema": {"type": "integer", "minimum": 1}},
    "major": {"description": "true: major projects today (on a list in force, designated, "
              "or by a scope rule); false: the others", "schema": {"type": "boolean"}},
}  # fmt: skip


def openapi(base: str) -> dict:
    """The OpenAPI 3.0 definition of every OGC API path, from the same collections and
    parameters the handlers use (the landing page's ``service-desc``)."""

    def answer(description: str, media: str = "application/json") -> dict:
        return {"description": description, "content": {
            media: {"schema": {"type": "object"}}, "text/html": {"schema": {"type": "string"}}}}  # fmt: skip

    def refused(description: str) -> dict:
        return {"description": description, "content": {
            "application/json": {"schema": {"type": "object"}},
            "text/html": {"schema": {"type": "string"}}}}  # fmt: skip

    def query(name: str) -> dict:
        parameter = {"name": name, "in": "query", "required": False, **PARAMETERS[name]}
        if name == "crs":  # the URIs are this server's
            parameter["schema"] = {**parameter["schema"], "enum": [*crs_uris(base), *OFFSET_CRS]}
        return parameter

    def page(summary: str, operation: str, description: str = "answers") -> dict:
        return {"get": {"summary": summary, "operationId": operation, "parameters": [query("f")],
                        "responses": {"200": answer(description), "400": refused("a bad f")}}}  # fmt: skip

    crs_names = {"name": "crsName", "in": "path", "required": True,
                 "schema": {"type": "string", "enum": list(OFFSET_CRS)}}  # fmt: skip
    paths: dict[str, dict] = {
        "/ogc": page("landing page", "getLandingPage", "links to the API"),
        "/ogc/conformance": page("conformance classes", "getConformance", "conformsTo"),
        "/ogc/collections": page("the collections", "getCollections", "collections"),
        "/ogc/api": {"get": {"summary": "this definition", "operationId": "getApi",
                             "parameters": [query("f")],
                             "responses": {"200": answer("the definition", OPENAPI_MEDIA),
                                           "400": refused("a bad f")}}},
        "/ogc/crs/{crsName}": {"get": {
            "summary": "an offset coordinate system of Chinese web maps",
            "operationId": "getCrs", "parameters": [crs_names],
            "responses": {"200": answer("what it is"), "404": refused("no such system")}}},
    }  # fmt: skip
    for coll in COLLECTIONS.values():
        names = sorted(COMMON_PARAMS | coll.filters, key=lambda n: (n not in COMMON_PARAMS, n))
        prefix = f"/ogc/collections/{coll.id}"
        paths[prefix] = {"get": {
            "summary": coll.title, "operationId": f"describe-{coll.id}",
            "parameters": [query("f")],
            "responses": {"200": answer("the collection"), "400": refused("a bad f")}}}  # fmt: skip
        paths[f"{prefix}/items"] = {
            "get": {
                "summary": f"{coll.title}: features",
                "description": coll.description,
                "operationId": f"getFeatures-{coll.id}",
                "parameters": [query(name) for name in names],
                "responses": {
                    "200": answer("a page of features", "application/geo+json"),
                    "400": refused("a parameter refused"),
                },
            }
        }
        identifier = (
            {"type": "string", "pattern": r"^\d{4}-\d{6}-\d{2}-\d{2}-\d{6}$"}
            if coll.id == "projects"
            else {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        )
        paths[f"{prefix}/items/{{featureId}}"] = {"get": {
            "summary": f"{coll.title}: one feature", "operationId": f"getFeature-{coll.id}",
            "parameters": [{"name": "featureId", "in": "path", "required": True,
                            "schema": identifier}, query("crs"), query("f")],
            "responses": {"200": answer("the feature", "application/geo+json"),
                          "400": refused("a parameter refused"),
                          "404": refused("no such feature")}}}  # fmt: skip
    return {
        "openapi": "3.0.3",
        "info": {"title": "重大建设项目全链条信息公开 · OGC API – Features", "version": "1.0",
                 "description": "Projects and land parcels of the register (public data)."},
        "servers": [{"url": base}],
        "paths": paths,
    }  # fmt: skip


def describe(coll: Collection, base: str, bbox: list[float] | None) -> dict:
    items_url = f"{base}/ogc/collections/{coll.id}/items"
    return {
        "id": coll.id,
        "title": coll.title,
        "description": coll.description,
        "itemType": "feature",
        "crs": crs_uris(base),
        "storageCrs": CRS84,
        "extent": {"spatial": {"bbox": [bbox or [-180, -90, 180, 90]], "crs": CRS84}},
        "links": [
            {
                "href": f"{base}/ogc/collections/{coll.id}",
                "rel": "self",
                "type": "application/json",
                "title": coll.title,
            },
            {"href": items_url, "rel": "items", "type": "application/geo+json", "title": "items"},
            {
                "href": f"{base}/ogc/collections/{coll.id}?f=html",
                "rel": "alternate",
                "type": "text/html",
                "title": "this collection as a page",
            },
        ],
    }

"""OGC API – Features, Part 1 (Core, GeoJSON): collections of projects and land parcels.

Framework-free: functions return JSON text or dicts and raise RegistryError subclasses;
registry/app.py turns them into HTTP. PostgreSQL builds each page of features; Python only
wraps it with the counts and links (no per-feature work) unless GCJ-02/BD-09 output is asked.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from shapely.geometry import mapping, shape
from sqlalchemy import (
    BigInteger,
    Integer,
    Text,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncConnection

from registry.errors import InvalidInput, NotFound, Problem, not_one_of
from registry.geometry import from_storage
from registry.identifiers import region_prefix
from registry.language import say
from registry.reading import queries, visibility
from registry.reading.queries import DEP, P, R, S

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
OUTPUT_CRS = {CRS84: "wgs84", "gcj02": "gcj02", "bd09": "bd09"}
# GCJ-02 and BD-09 (the offset coordinates of Chinese web maps) are in no CRS register: this
# server names them by URIs of its own, which answer with what they are (``crs_description``)
OFFSET_CRS = {
    "gcj02": ("GCJ-02", "国测局坐标（火星坐标），高德、腾讯地图使用 · the offset WGS 84 of "
              "Chinese web maps (AMap, Tencent), GB 20263"),
    "bd09": ("BD-09", "百度坐标，百度地图使用 · GCJ-02 offset again, used by Baidu maps"),
}  # fmt: skip


def crs_uri(base: str, crs: str) -> str:
    """The URI of an output coordinate system ("wgs84", "gcj02", "bd09")."""
    return CRS84 if crs == "wgs84" else f"{base}/ogc/crs/{crs}"


def crs_uris(base: str) -> list[str]:
    return [crs_uri(base, name) for name in ("wgs84", *OFFSET_CRS)]


def output_crs(value: str) -> str | None:
    """The coordinate system a ``crs`` parameter names (by URI or short name), or None."""
    if value in OUTPUT_CRS:
        return OUTPUT_CRS[value]
    head, _, name = value.rstrip("/").rpartition("/ogc/crs/")
    return name if head and name in OFFSET_CRS else None


def crs_description(base: str, name: str) -> dict:
    if name not in OFFSET_CRS:
        raise NotFound.one("crs", "unknown_crs", say("use {crs84}, gcj02 or bd09", crs84=CRS84))
    title, description = OFFSET_CRS[name]
    return {"id": crs_uri(base, name), "name": title, "description": description,
            "baseCrs": CRS84, "axisOrder": "longitude, latitude"}  # fmt: skip


CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
OPENAPI_MEDIA = "application/vnd.oai.openapi+json;version=3.0"
MAX_LIMIT, DEFAULT_LIMIT = 1000, 10
MAX_OFFSET = 2**31 - 1
MAX_ID = 2**63 - 1  # PostgreSQL bigint
COMMON_PARAMS = {"bbox", "limit", "offset", "crs", "f"}
FORMATS = ("json", "html")


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    description: str
    filters: frozenset[str]


COLLECTIONS = {
    "projects": Collection(
        "projects",
        "重大建设项目 Major construction projects",
        "One feature per project: its sites, status, region, which of the eight "
        "categories are disclosed and who is responsible for each.",
        frozenset({"status", "region", "category"}),
    ),
    "land-parcels": Collection(
        "land-parcels",
        "征收土地 Land acquisition parcels",
        "Geometries published with public land-acquisition disclosures.",
        frozenset({"region", "item"}),
    ),
}


def collection(collection_id: str) -> Collection:
    if collection_id not in COLLECTIONS:
        raise NotFound.one(
            "collectionId",
            "unknown_collection",
            say(
                "{id!r} is not a collection ({known})",
                id=collection_id,
                known=", ".join(COLLECTIONS),
            ),
        )
    return COLLECTIONS[collection_id]


@dataclass
class ItemsQuery:
    bbox: list[float] | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    crs: str = "wgs84"
    status: list[str] | None = None
    region: str | None = None
    category: list[str] | None = None
    item: list[str] | None = None


def between(low: int, high: int) -> str:
    return say("must be a whole number from {low} to {high}", low=low, high=high)


def parse_items_query(coll: Collection, params: dict[str, str]) -> ItemsQuery:
    """Query parameters to an ItemsQuery; unknown parameters are refused (OGC /req/core/query-param-unknown)."""
    problems = [
        Problem(
            name,
            "unknown_parameter",
            say(
                "is not a parameter of {collection} items ({known})",
                collection=coll.id,
                known=", ".join(sorted(COMMON_PARAMS | coll.filters)),
            ),
        )
        for name in params
        if name not in COMMON_PARAMS | coll.filters
    ]
    query = ItemsQuery()
    try:
        if "bbox" in params:
            query.bbox = [float(v) for v in params["bbox"].split(",")]
            problems += queries.bbox_problems(query.bbox)
        query.limit = int(params.get("limit", DEFAULT_LIMIT))
        query.offset = int(params.get("offset", 0))
    except ValueError:
        problems.append(Problem("bbox/limit/offset", "not_a_number", say("must be numbers")))
    if not 1 <= query.limit <= MAX_LIMIT:
        problems.append(Problem("limit", "out_of_range", between(1, MAX_LIMIT)))
    if not 0 <= query.offset <= MAX_OFFSET:
        problems.append(Problem("offset", "out_of_range", between(0, MAX_OFFSET)))
    crs = output_crs(params.get("crs", CRS84))
    if crs is None:
        problems.append(
            Problem("crs", "unsupported_crs", say("use {crs84}, gcj02 or bd09", crs84=CRS84))
        )
    else:
        query.crs = crs
    if params.get("f", "json") not in FORMATS:
        problems.append(not_one_of("f", params["f"], FORMATS))
    for name in ("status", "category", "item"):
        if params.get(name):
            setattr(query, name, [v.strip() for v in params[name].split(",") if v.strip()])
    query.region = params.get("region") or None
    if problems:
        raise InvalidInput(problems)
    return query


def _geometry_json(project_id_column):
    site = S.alias("f_site")
    collected = func.ST_Collect(aggregate_order_by(site.c.geom, site.c.id))
    single = func.ST_GeometryN(collected, 1)
    return (
        select(
            func.ST_AsGeoJSON(
                case((func.count() == 1, single), else_=collected), queries.GEOJSON_DIGITS
            ).op("::")(literal_column("json"))
        )
        .where(site.c.project_id == project_id_column)
        .scalar_subquery()
    )


@cache
def _project_feature():
    """The feature expression, built once: only the filters change between requests, so
    SQLAlchemy's compiled-statement cache serves the rest."""
    x, resp, dep = visibility.PUBLIC.alias("fx"), R.alias("fr"), DEP.alias("fd")
    categories = (
        select(
            func.coalesce(
                func.json_agg(aggregate_order_by(x.c.category.distinct(), x.c.category)),
                literal_column("'[]'::json"),
            )
        )
        .where(x.c.project_id == P.c.id)
        .scalar_subquery()
    )
    count = select(func.count()).where(x.c.project_id == P.c.id).scalar_subquery()
    inner = (
        select(
            resp.c.category,
            func.json_agg(aggregate_order_by(dep.c.name, dep.c.name)).label("names"),
        )
        .select_from(resp.join(dep, dep.c.id == resp.c.department_id))
        .where(resp.c.project_id == P.c.id)
        .group_by(resp.c.category)
        .correlate(P)
        .subquery("fresp")
    )
    responsible = select(func.json_object_agg(inner.c.category, inner.c.names)).scalar_subquery()
    return func.json_build_object(
        literal_column("'type'"),
        literal_column("'Feature'"),
        literal_column("'id'"),
        P.c.code,
        literal_column("'geometry'"),
        _geometry_json(P.c.id),
        literal_column("'properties'"),
        func.json_build_object(
            literal_column("'code'"),
            P.c.code,
            literal_column("'name'"),
            P.c.name,
            literal_column("'status'"),
            P.c.status,
            literal_column("'region_code'"),
            P.c.region_code,
            literal_column("'project_type'"),
            P.c.project_type,
            literal_column("'industry'"),
            P.c.industry,
            literal_column("'categories'"),
            categories,
            literal_column("'disclosures'"),
            count,
            literal_column("'responsible'"),
            responsible,
            literal_column("'is_synthetic'"),
            P.c.is_synthetic,
        ),
    )


@dataclass(frozen=True)
class Page:
    """A collection's features: the feature JSON, the rows it is built from, the row key
    (``row``), the feature id that orders and names them (``key``) and the filters."""

    feature: Any
    source: Any
    row: Any
    key: Any
    conditions: list

    def keys(self, limit: int, offset: int):
        """The rows of a page, found before any feature is built: an offset skips rows
        without building their JSON."""
        return (
            select(self.row.label("row"))
            .select_from(self.source)
            .where(*self.conditions)
            .order_by(self.key)
            .limit(limit)
            .offset(offset)
            .subquery("page_keys")
        )

    def features(self, limit: int, offset: int):
        """The page's features as one JSON array (text)."""
        keys = self.keys(limit, offset)
        rows = (
            select(self.feature.label("feature"))
            .select_from(self.source.join(keys, self.row == keys.c.row))
            .order_by(self.key)
            .subquery("page_rows")
        )
        return select(
            cast(func.coalesce(func.json_agg(rows.c.feature), literal_column("'[]'::json")), Text)
        ).scalar_subquery()

    def total(self):
        return select(func.count()).select_from(self.source).where(*self.conditions)

    def one(self, feature_id: str):
        if isinstance(self.key.type, Integer | BigInteger):
            if not feature_id.isdigit() or int(feature_id) > MAX_ID:
                return select(literal(None))
            matches = self.key == int(feature_id)
        else:
            matches = self.key == feature_id
        return (
            select(cast(self.feature, Text))
            .select_from(self.source)
            .where(*self.conditions, matches)
        )


def _project_features(q: ItemsQuery):
    project_query = queries.validate_project_query(
        queries.ProjectQuery(
            region_code=q.region,
            statuses=q.status or [],
            has_categories=q.category or [],
            bbox=q.bbox,
        )
    )
    conditions = queries.project_conditions(project_query)
    return Page(_project_feature(), P, P.c.id, P.c.code, conditions)


def _parcel_features(q: ItemsQuery):
    x, p = visibility.PUBLIC.alias("px"), P.alias("pp")
    conditions = [
        x.c.category == "land_acquisition",
        x.c.geom.is_not(None),
    ]
    if q.region:
        conditions.append(p.c.region_code.like(region_prefix(q.region) + "%"))
    if q.item:
        conditions.append(x.c.item_key.in_(q.item))
    if q.bbox:
        conditions.append(func.ST_Intersects(x.c.geom, func.ST_MakeEnvelope(*q.bbox, 4326)))
    feature = func.json_build_object(
        literal_column("'type'"),
        literal("Feature"),
        literal_column("'id'"),
        cast(x.c.id, Text),
        literal_column("'geometry'"),
        func.ST_AsGeoJSON(x.c.geom, queries.GEOJSON_DIGITS).op("::")(literal_column("json")),
        literal_column("'properties'"),
        func.json_build_object(
            literal_column("'project_code'"),
            p.c.code,
            literal_column("'project_name'"),
            p.c.name,
            literal_column("'item'"),
            x.c.item_key,
            literal_column("'title'"),
            x.c.title,
            literal_column("'formed_on'"),
            x.c.formed_on,
            literal_column("'published_at'"),
            x.c.published_at,
            literal_column("'is_synthetic'"),
            x.c.is_synthetic,
        ),
    )
    return Page(feature, x.join(p, p.c.id == x.c.project_id), x.c.id, x.c.id, conditions)


BUILDERS = {"projects": _project_features, "land-parcels": _parcel_features}


async def items(
    conn: AsyncConnection,
    collection_id: str,
    q: ItemsQuery,
    base: str,
    params: dict[str, str],
    one: str | None = None,
) -> str:
    """A FeatureCollection (or one Feature when ``one`` is given) as GeoJSON text."""
    page = BUILDERS[collection_id](q)
    if one is not None:
        text_value = await conn.scalar(page.one(one))
        if text_value is None:
            raise NotFound.one(
                "featureId",
                "unknown_feature",
                say("{id!r} is not in {collection}", id=one, collection=collection_id),
            )
        feature = json.loads(_recrs(text_value, q.crs, single=True))
        url = f"{base}/ogc/collections/{collection_id}/items/{one}"
        feature["links"] = [
            {"href": url, "rel": "self", "type": "application/geo+json", "title": "this feature"},
            {"href": f"{url}?f=html", "rel": "alternate", "type": "text/html",
             "title": "this feature as a page"},
            {"href": f"{base}/ogc/collections/{collection_id}", "rel": "collection",
             "type": "application/json", "title": "the collection"},
        ]  # fmt: skip
        return json.dumps(feature, ensure_ascii=False)
    features, matched = (
        await conn.execute(select(page.features(q.limit, q.offset), page.total().scalar_subquery()))
    ).one()
    returned = min(max(matched - q.offset, 0), q.limit)
    links = _links(base, collection_id, params, q, matched)
    head = json.dumps(
        {
            "numberMatched": matched,
            "numberReturned": returned,
            "timeStamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "links": links,
        },
        ensure_ascii=False,
    )
    body = f'{{"type":"FeatureCollection","features":{_recrs(features, q.crs)},{head[1:]}'
    return body


def _recrs(geojson_text: str, crs: str, single: bool = False) -> str:
    if crs == "wgs84":
        return geojson_text
    value = json.loads(geojson_text)
    for feature in [value] if single else value:
        if feature.get("geometry"):
            feature["geometry"] = mapping(from_storage(shape(feature["geometry"]), crs))
    return json.dumps(value, ensure_ascii=False)


def _links(
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


async def extent(conn: AsyncConnection, collection_id: str) -> list[float] | None:
    if collection_id == "projects":
        box = await conn.scalar(select(func.ST_Extent(S.c.geom)))
    else:
        x = visibility.PUBLIC
        box = await conn.scalar(
            select(func.ST_Extent(x.c.geom)).where(x.c.category == "land_acquisition")
        )
    if box is None:
        return None
    numbers = [float(v) for v in str(box)[4:-1].replace(",", " ").split()]
    return numbers


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

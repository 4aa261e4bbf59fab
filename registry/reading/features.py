"""OGC API – Features, Part 1 (Core, GeoJSON): the items of a collection, and one feature.

Framework-free: functions return JSON text and raise RegistryError subclasses;
registry/web/maps.py turns them into HTTP. Each collection is a public layer
(registry/reading/layers.py); PostgreSQL builds each page of features, and Python only wraps
it with the counts and links (no per-feature work) unless GCJ-02/BD-09 output is asked.
"""

from __future__ import annotations

import datetime as dt
import json

from shapely.geometry import mapping, shape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from registry.errors import InvalidInput, NotFound, Problem, not_one_of
from registry.geometry import from_storage
from registry.language import say
from registry.reading import inputs, layers
from registry.reading.crs import CRS84, output_crs
from registry.reading.layers import Collection
from registry.reading.ogc_documents import links
from registry.reading.ogc_params import (
    COMMON_PARAMS,
    DEFAULT_LIMIT,
    FORMATS,
    MAX_LIMIT,
    MAX_OFFSET,
    ItemsQuery,
    between,
)


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
            problems += inputs.bbox_problems(query.bbox)
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
    if params.get("list"):
        try:
            query.list_id = inputs.record_id(params["list"], "list")
        except InvalidInput as exc:
            problems += exc.problems
    if params.get("major"):
        if params["major"] not in ("true", "false"):
            problems.append(not_one_of("major", params["major"], ["true", "false"]))
        query.major = params["major"] == "true"
    if problems:
        raise InvalidInput(problems)
    return query


async def items(
    conn: AsyncConnection,
    collection_id: str,
    q: ItemsQuery,
    base: str,
    params: dict[str, str],
    one: str | None = None,
) -> str:
    """A FeatureCollection (or one Feature when ``one`` is given) as GeoJSON text."""
    page = layers.page(collection_id, q)
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
    links_ = links(base, collection_id, params, q, matched)
    head = json.dumps(
        {
            "numberMatched": matched,
            "numberReturned": returned,
            "timeStamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "links": links_,
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

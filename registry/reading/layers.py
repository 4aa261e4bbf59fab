"""Each public map layer defined once: where its rows come from, which are public, their
geometry, their id and order, and their public properties. The OGC API pages, the vector
tiles and the downloads (GeoJSON, GeoPackage) all read a layer from here, so a property or
a visibility condition cannot differ between them, and a new layer is one definition.

(As pygeoapi's provider contract and tipg's Collection do for their sources.)

- ``sites``: one feature per project site, with its project's code, name, status and
  industry (tiles, downloads);
- ``land-parcels``: the geometries of public land-acquisition items (OGC, tiles, downloads);
- ``projects``: one feature per project, its sites collected, what is disclosed and who
  answers for each category (OGC).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    FromClause,
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

from registry.errors import NotFound
from registry.identifiers import digits, region_prefix
from registry.language import say
from registry.reading import visibility
from registry.reading.inputs import ProjectQuery, validate_project_query
from registry.reading.ogc_params import MAX_ID, ItemsQuery
from registry.reading.queries import project_conditions
from registry.reading.tables import DEP, GEOJSON_DIGITS, P, R, S

# a moment as China reads it, unambiguous anywhere: 2026-12-08T06:38:00+08:00
CHINA_STAMP = 'YYYY-MM-DD"T"HH24:MI:SS"+08:00"'


def china_stamp(column: Any) -> Any:
    return func.to_char(func.timezone(literal_column("INTERVAL '+08:00'"), column), CHINA_STAMP)


@dataclass(frozen=True)
class Property:
    """A public property: its name, the SQL that gives it, and its type for TileJSON
    (``String``, ``Number`` or ``Boolean``)."""

    name: str
    sql: ColumnElement[Any]
    kind: str = "String"


@dataclass(frozen=True)
class Layer:
    """A public layer. ``source`` joins what the properties need; ``conditions`` are what
    makes a row public and drawn; ``row`` keys a row (a page joins on it), ``feature_id``
    names a feature, ``order`` orders them; ``filters`` are the query parameters the OGC
    API takes for it, each giving conditions."""

    id: str
    title: str
    description: str
    source: FromClause
    geometry: ColumnElement[Any]
    row: ColumnElement[int]
    feature_id: ColumnElement[Any]
    order: ColumnElement[Any]
    properties: tuple[Property, ...]
    conditions: tuple[ColumnElement[bool], ...] = ()
    filters: dict[str, Callable[[Any], list[ColumnElement[bool]]]] = field(default_factory=dict)
    geojson: ColumnElement[Any] | None = None  # the GeoJSON, where it is not the geometry's

    def property_sql(self) -> dict[str, Any]:
        return {p.name: p.sql for p in self.properties}

    def json_properties(self) -> Any:
        """The properties as one JSON object, built by PostgreSQL."""
        pairs: list[Any] = []
        for prop in self.properties:
            pairs += [literal_column(f"'{prop.name}'"), prop.sql]
        return func.json_build_object(*pairs)

    def feature(self) -> Any:
        """The GeoJSON Feature of a row, built by PostgreSQL."""
        drawn = self.geojson
        if drawn is None:
            drawn = func.ST_AsGeoJSON(self.geometry, GEOJSON_DIGITS).op("::")(
                literal_column("json")
            )
        return func.json_build_object(
            literal_column("'type'"), literal("Feature"),
            literal_column("'id'"), self.feature_id,
            literal_column("'geometry'"), drawn,
            literal_column("'properties'"), self.json_properties(),
        )  # fmt: skip


# --- sites ----------------------------------------------------------------------------


@cache
def sites() -> Layer:
    return Layer(
        id="sites",
        title="项目位置 Project sites",
        description="One feature per project site: its project's code, name, status and "
        "industry, the site's name and kind.",
        source=S.join(P, P.c.id == S.c.project_id),
        geometry=S.c.geom,
        row=S.c.id,
        feature_id=S.c.id,
        order=S.c.id,
        properties=(
            Property("code", P.c.code),
            Property("name", P.c.name),
            Property("status", P.c.status),
            Property("industry", P.c.industry),
            Property("site_name", S.c.name),
            Property("kind", S.c.kind),
            Property("is_synthetic", P.c.is_synthetic, "Boolean"),
        ),
    )


# --- land parcels ---------------------------------------------------------------------


def _region(project: Any) -> Callable[[Any], list]:
    def condition(value: str) -> list:
        return [project.c.region_code.like(region_prefix(value) + "%")]

    return condition


@cache
def land_parcels() -> Layer:
    x, p = visibility.PUBLIC.alias("px"), P.alias("pp")
    return Layer(
        id="land-parcels",
        title="征收土地 Land acquisition parcels",
        description="Geometries published with public land-acquisition disclosures.",
        source=x.join(p, p.c.id == x.c.project_id),
        geometry=x.c.geom,
        row=x.c.id,
        feature_id=cast(x.c.id, Text),
        order=x.c.id,
        properties=(
            Property("project_code", p.c.code),
            Property("project_name", p.c.name),
            Property("item", x.c.item_key),
            Property("title", x.c.title),
            Property("formed_on", cast(x.c.formed_on, Text)),
            Property("published_at", china_stamp(x.c.published_at)),
            Property("is_synthetic", x.c.is_synthetic, "Boolean"),
        ),
        conditions=(x.c.category == "land_acquisition", x.c.geom.is_not(None)),
        filters={
            "region": _region(p),
            "item": lambda values: [x.c.item_key.in_(values)],
        },
    )


# --- projects ---------------------------------------------------------------------------


def _sites_collected(geojson: bool = False) -> Any:
    """A project's sites as one geometry (the site itself when it has one), or its GeoJSON."""
    site = S.alias("f_site")
    collected = func.ST_Collect(aggregate_order_by(site.c.geom, site.c.id))
    single = func.ST_GeometryN(collected, 1)
    geometry: Any = case((func.count() == 1, single), else_=collected)
    if geojson:
        geometry = func.ST_AsGeoJSON(geometry, GEOJSON_DIGITS).op("::")(literal_column("json"))
    return select(geometry).where(site.c.project_id == P.c.id).scalar_subquery()


@cache
def projects() -> Layer:
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
    return Layer(
        id="projects",
        title="重大建设项目 Major construction projects",
        description="One feature per project: its sites, status, region, which of the eight "
        "categories are disclosed and who is responsible for each.",
        source=P,
        geometry=_sites_collected(),
        geojson=_sites_collected(geojson=True),
        row=P.c.id,
        feature_id=P.c.code,
        order=P.c.code,
        properties=(
            Property("code", P.c.code),
            Property("name", P.c.name),
            Property("status", P.c.status),
            Property("region_code", P.c.region_code),
            Property("project_type", P.c.project_type),
            Property("industry", P.c.industry),
            Property("categories", categories),
            Property("disclosures", count, "Number"),
            Property("responsible", responsible),
            Property("is_synthetic", P.c.is_synthetic, "Boolean"),
        ),
    )


LAYERS: dict[str, Callable[[], Layer]] = {
    "projects": projects,
    "land-parcels": land_parcels,
    "sites": sites,
}


def tile_kind(prop: Property) -> str:
    return "Boolean" if isinstance(prop.sql.type, Boolean) else prop.kind


# --- the layers the OGC API serves as collections ------------------------------------------


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    description: str
    filters: frozenset[str]


def _collection(layer: Layer, filters: set[str]) -> Collection:
    return Collection(layer.id, layer.title, layer.description, frozenset(filters))


COLLECTIONS = {
    "projects": _collection(projects(), {"status", "region", "category", "list", "major"}),
    "land-parcels": _collection(land_parcels(), set(land_parcels().filters)),
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


@dataclass(frozen=True)
class Page:
    """A collection's features: the feature JSON, the rows it is built from, the row key
    (``row``), the feature id that orders and names them (``key``) and the filters."""

    feature: ColumnElement[Any]
    source: FromClause
    row: ColumnElement[int]
    key: ColumnElement[Any]
    conditions: list[ColumnElement[bool]]

    def keys(self, limit: int, offset: int) -> Any:
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

    def features(self, limit: int, offset: int) -> Any:
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

    def total(self) -> Any:
        return select(func.count()).select_from(self.source).where(*self.conditions)

    def one(self, feature_id: str) -> Any:
        if isinstance(self.key.type, Integer | BigInteger):
            if not digits(feature_id) or int(feature_id) > MAX_ID:
                return select(literal(None))
            matches = self.key == int(feature_id)
        else:
            matches = self.key == feature_id
        return (
            select(cast(self.feature, Text))
            .select_from(self.source)
            .where(*self.conditions, matches)
        )


def page(collection_id: str, q: ItemsQuery) -> Page:
    """A page of a collection's features for an items query: the layer's public rows, the
    query's filters."""
    layer = LAYERS[collection_id]()
    conditions = list(layer.conditions)
    if collection_id == "projects":  # the project list's own filters, one definition
        conditions += project_conditions(
            validate_project_query(
                ProjectQuery(region_code=q.region, statuses=q.status or [],
                             has_categories=q.category or [], bbox=q.bbox,
                             list_id=q.list_id, major=q.major)
            )
        )  # fmt: skip
    else:
        for name, condition in layer.filters.items():
            if (value := getattr(q, name, None)) is not None:
                conditions += condition(value)
        if q.bbox:
            envelope = func.ST_MakeEnvelope(*q.bbox, 4326)
            conditions.append(func.ST_Intersects(layer.geometry, envelope))
    return Page(layer.feature(), layer.source, layer.row, layer.order, conditions)


async def extent(conn: AsyncConnection, collection_id: str) -> list[float] | None:
    """A collection's extent: its layer's public geometries (a project's are its sites)."""
    layer = sites() if collection_id == "projects" else LAYERS[collection_id]()
    box = await conn.scalar(
        select(func.ST_Extent(layer.geometry)).select_from(layer.source).where(*layer.conditions)
    )
    if box is None:
        return None
    return [float(v) for v in str(box)[4:-1].replace(",", " ").split()]


__all__ = ["COLLECTIONS", "LAYERS", "Collection", "Layer", "Page", "Property", "collection",
           "extent", "land_parcels", "page", "projects", "sites", "tile_kind"]  # fmt: skip

"""Compile common read queries to ONE SQL statement that returns the response JSON.

The graphene resolvers define what every field means; this compiler is a faster way to
produce the very same JSON for the shapes that dominate traffic (project pages with their
sites, responsibilities and categories). PostgreSQL builds the JSON, so Python touches no
row. Anything it does not know — a field, fragment, directive, non-WGS 84 output, or any
input the read path refuses — raises ``Unsupported`` and the request runs through graphene,
which also produces every error message. Tests hold both paths to identical output.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from graphql import (
    FieldNode,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    get_argument_values,
)
from sqlalchemy import Text, case, cast, func, literal, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

from registry.catalog import Category, get_catalog
from registry.errors import RegistryError
from registry.reading import queries, visibility
from registry.reading.queries import DEP, P, R, S
from schema.catalog_types import category_type_name, graphql_field_name
from schema.pagination import PREFIX, page_window
from schema.query import project_query
from schema.types import CATEGORY_FIELDS


class Unsupported(Exception):
    """This query shape is left to the graphene resolvers."""


EMPTY: Any = literal_column("'[]'::json")
# Aliases are built once: each correlated subquery has its own scope, so reusing a name is
# safe, and building aliases (and their column collections) per request is what costs.
SITE, GEOM_SITE, RESP, RESP_DEP = (
    S.alias("site"),
    S.alias("g"),
    R.alias("resp"),
    DEP.alias("resp_dep"),
)
X, X_DEP = visibility.PUBLIC.alias("x"), DEP.alias("x_dep")


def _timestamp(column):
    return func.to_char(column.op("AT TIME ZONE")(literal("UTC")), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')


def _geojson(column):
    return func.ST_AsGeoJSON(column, queries.GEOJSON_DIGITS).op("::")(literal_column("json"))


def _fields(node) -> list[FieldNode]:
    """The fields selected under a field or an operation; Unsupported for fragments and
    directives, which are left to graphene."""
    if node.selection_set is None:
        return []
    fields = []
    for selection in node.selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.directives:
            raise Unsupported("fragments and directives")
        fields.append(selection)
    return fields


def _key(node: FieldNode) -> str:
    return (node.alias or node.name).value


NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")


def _key_sql(key: str):
    """A JSON key inlined as SQL text. Keys are GraphQL names (field names or aliases), which
    the GraphQL lexer restricts to [_A-Za-z][_0-9A-Za-z]*: no quote can reach the SQL."""
    if not NAME.match(key):
        raise Unsupported("not a GraphQL name")
    return literal_column(f"'{key}'")


def _object(pairs: list[tuple[str, Any]]):
    if not pairs or len(pairs) > 50:
        raise Unsupported("object size")
    args = []
    for key, value in pairs:
        args += [_key_sql(key), value]
    return func.json_build_object(*args)


def _plain_crs(node: FieldNode, variables) -> None:
    for argument in node.arguments:
        if argument.name.value == "crs":
            value = argument.value
            name = (
                variables.get(value.name.value)
                if hasattr(value, "name") and value.kind == "variable"
                else getattr(value, "value", None)
            )
            if name not in (None, "WGS84"):
                raise Unsupported("non-WGS 84 output")


@cache
def disclosure_columns(category: Category) -> dict[str, Any]:
    x = X
    columns = {
        "id": cast(x.c.id, Text),
        "category": func.upper(x.c.category),
        "title": x.c.title,
        "ref": x.c.ref,
        "formedOn": x.c.formed_on,
        "publishedAt": _timestamp(x.c.published_at),
        "revision": x.c.revision,
        "isSynthetic": x.c.is_synthetic,
        "__typename": literal(category_type_name(category)),
    }
    for element in get_catalog().elements_of(category):
        accessor = "->>" if element.type in ("date", "text", "phone") else "->"
        columns[graphql_field_name(element.key)] = x.c.elements.op(accessor)(literal(element.key))
    return columns


class Compiler:
    def __init__(self, schema: GraphQLSchema, variables: dict[str, Any], settings) -> None:
        self.schema, self.variables, self.settings = schema, variables, settings
        self.catalog = get_catalog()

    # --- departments, sites, responsibilities ------------------------------------

    def department(self, node: FieldNode, table):
        columns = {
            "code": table.c.code,
            "name": table.c.name,
            "nameEn": table.c.name_en,
            "kind": table.c.kind,
            "uscc": table.c.uscc,
            "regionCode": table.c.region_code,
            "roles": func.to_json(table.c.roles),
            "isSynthetic": table.c.is_synthetic,
            "__typename": literal("Department"),
        }
        return _object([(_key(f), self._pick(columns, f)) for f in _fields(node)])

    def sites(self, node: FieldNode, project_id):
        site = SITE
        columns = {
            "id": cast(site.c.id, Text),
            "name": site.c.name,
            "kind": site.c.kind,
            "__typename": literal("Site"),
        }
        pairs = []
        for f in _fields(node):
            if f.name.value == "geometry":
                _plain_crs(f, self.variables)
                pairs.append((_key(f), _geojson(site.c.geom)))
            else:
                pairs.append((_key(f), self._pick(columns, f)))
        return (
            select(
                func.coalesce(func.json_agg(aggregate_order_by(_object(pairs), site.c.id)), EMPTY)
            )
            .where(site.c.project_id == project_id)
            .scalar_subquery()
        )

    def project_geometry(self, node: FieldNode, project_id):
        _plain_crs(node, self.variables)
        site = GEOM_SITE
        parts = func.json_agg(aggregate_order_by(_geojson(site.c.geom), site.c.id))
        collection = func.json_build_object(
            literal("type"), literal("GeometryCollection"), literal("geometries"), parts
        )
        single = parts.op("->")(literal(0))
        count = func.count()
        return (
            select(case((count == 0, None), (count == 1, single), else_=collection))
            .where(site.c.project_id == project_id)
            .scalar_subquery()
        )

    def responsibilities(self, node: FieldNode, project_id):
        resp, dep = RESP, RESP_DEP
        names = case(
            *[(resp.c.category == c.category.value, c.name_zh) for c in self.catalog.categories]
        )
        columns = {
            "category": func.upper(resp.c.category),
            "categoryNameZh": names,
            "itemKeys": func.to_json(resp.c.item_keys),
            "source": resp.c.source,
            "__typename": literal("Responsibility"),
        }
        pairs = []
        for f in _fields(node):
            if f.name.value == "department":
                pairs.append((_key(f), self.department(f, dep)))
            else:
                pairs.append((_key(f), self._pick(columns, f)))
        return (
            select(
                func.coalesce(
                    func.json_agg(aggregate_order_by(_object(pairs), resp.c.category, resp.c.id)),
                    EMPTY,
                )
            )
            .select_from(resp.join(dep, dep.c.id == resp.c.department_id))
            .where(resp.c.project_id == project_id)
            .scalar_subquery()
        )

    # --- disclosures -----------------------------------------------------------------

    def disclosures(self, node: FieldNode, category: Category, project_id):
        x, dep = X, X_DEP
        columns = disclosure_columns(category)
        pairs = []
        for f in _fields(node):
            name = f.name.value
            if name == "publisher":
                pairs.append((_key(f), self.department(f, dep)))
            elif name == "geometry":
                _plain_crs(f, self.variables)
                pairs.append((_key(f), _geojson(x.c.geom)))
            else:
                pairs.append((_key(f), self._pick(columns, f)))
        return (
            select(
                func.coalesce(
                    func.json_agg(aggregate_order_by(_object(pairs), x.c.formed_on, x.c.id)), EMPTY
                )
            )
            .select_from(x.join(dep, dep.c.id == x.c.publisher_id))
            .where(
                x.c.project_id == project_id,
                x.c.category == category.value,
            )
            .scalar_subquery()
        )

    # --- projects ----------------------------------------------------------------------

    def project(self, node: FieldNode, row):
        columns = {
            "code": row.c.code,
            "name": row.c.name,
            "description": row.c.description,
            "projectType": func.upper(row.c.project_type),
            "industry": row.c.industry,
            "regionCode": row.c.region_code,
            "owner": row.c.owner,
            "investment": row.c.investment.op("::")(literal_column("float8")),
            "status": func.upper(row.c.status),
            "approvedOn": row.c.approved_on,
            "startedOn": row.c.started_on,
            "completedOn": row.c.completed_on,
            "updatedAt": _timestamp(row.c.updated_at),
            "isSynthetic": row.c.is_synthetic,
            "distance": row.c.distance,
            "__typename": literal("Project"),
        }
        categories = {
            graphql_field_name(name): category for category, name in CATEGORY_FIELDS.items()
        }
        pairs = []
        for f in _fields(node):
            name = f.name.value
            if name == "sites":
                value = self.sites(f, row.c.id)
            elif name == "geometry":
                value = self.project_geometry(f, row.c.id)
            elif name == "responsibilities":
                value = self.responsibilities(f, row.c.id)
            elif name in categories:
                value = self.disclosures(f, categories[name], row.c.id)
            else:
                value = self._pick(columns, f)
            pairs.append((_key(f), value))
        return _object(pairs)

    def projects(self, node: FieldNode, index: int):
        assert self.schema.query_type is not None
        field_def = self.schema.query_type.fields["projects"]
        args = get_argument_values(field_def, node, self.variables)
        try:
            limit, offset = page_window(args.get("first"), args.get("after"), self.settings)
            query = project_query(
                args.get("filter"),
                args.get("bbox"),
                args.get("intersects"),
                args.get("near"),
                args.get("order_by"),
            )
        except RegistryError as exc:
            raise Unsupported("refused input: graphene reports it") from exc
        ordered = (
            queries.projects_select(query).limit(limit + 1).offset(offset).subquery(f"o{index}")
        )
        page = select(ordered, func.row_number().over().label("n")).cte(f"page{index}")
        in_page = page.c.n <= limit

        def cursor(position):
            encoded = func.encode(
                func.convert_to(literal(PREFIX) + cast(position, Text), "UTF8"), "base64"
            )
            return func.translate(encoded, "+/", "-_")

        pairs = []
        value: Any
        for f in _fields(node):
            name = f.name.value
            if name == "totalCount":
                value = (
                    select(func.count())
                    .select_from(P)
                    .where(*queries.project_conditions(query))
                    .scalar_subquery()
                )
            elif name == "nodes":
                value = (
                    select(
                        func.coalesce(
                            func.json_agg(aggregate_order_by(self.project(f, page), page.c.n)),
                            EMPTY,
                        )
                    )
                    .where(in_page)
                    .scalar_subquery()
                )
            elif name == "edges":
                value = (
                    select(
                        func.coalesce(
                            func.json_agg(
                                aggregate_order_by(self._edge(f, page, cursor, offset), page.c.n)
                            ),
                            EMPTY,
                        )
                    )
                    .where(in_page)
                    .scalar_subquery()
                )
            elif name == "pageInfo":
                value = self._page_info(f, page, cursor, limit, offset)
            elif name == "__typename":
                value = literal("ProjectConnection")
            else:
                raise Unsupported(name)
            pairs.append((_key(f), value))
        return _object(pairs)

    def _edge(self, node: FieldNode, page, cursor, offset: int):
        pairs = []
        for f in _fields(node):
            if f.name.value == "node":
                pairs.append((_key(f), self.project(f, page)))
            elif f.name.value == "cursor":
                pairs.append((_key(f), cursor(page.c.n - 1 + offset)))
            else:
                raise Unsupported(f.name.value)
        return _object(pairs)

    def _page_info(self, node: FieldNode, page, cursor, limit: int, offset: int):
        rows = select(func.count()).select_from(page).scalar_subquery()
        shown = func.least(rows, limit)
        columns = {
            "hasNextPage": rows > limit,
            "hasPreviousPage": literal(offset > 0),
            "startCursor": case((shown > 0, cursor(literal(offset))), else_=None),
            "endCursor": case((shown > 0, cursor(shown - 1 + offset)), else_=None),
            "__typename": literal("PageInfo"),
        }
        return _object([(_key(f), self._pick(columns, f)) for f in _fields(node)])

    @staticmethod
    def _pick(columns: dict, node: FieldNode):
        if node.selection_set is not None or node.arguments or node.directives:
            raise Unsupported(node.name.value)
        try:
            return columns[node.name.value]
        except KeyError as exc:
            raise Unsupported(node.name.value) from exc


def compile_operation(
    schema: GraphQLSchema, operation: OperationDefinitionNode, variables: dict[str, Any], settings
):
    """A statement whose single text column is the `data` JSON, or None (use graphene)."""
    if operation.operation != OperationType.QUERY or operation.directives:
        return None
    compiler = Compiler(schema, variables, settings)
    try:
        pairs = []
        for index, node in enumerate(_fields(operation)):
            if node.name.value == "__typename":
                pairs.append((_key(node), literal("Query")))
            elif node.name.value == "projects":
                pairs.append((_key(node), compiler.projects(node, index)))
            else:
                raise Unsupported(node.name.value)
        return select(cast(_object(pairs), Text))
    except Unsupported:
        return None

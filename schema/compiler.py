"""Compile common read queries to ONE SQL statement whose JSON PostgreSQL builds.

The graphene resolvers define what every field means; this compiler is a faster way to
produce the very same answer for the shapes that dominate traffic (project pages with their
sites, responsibilities and categories). It works from what graphql-core itself computed:
the validated document, the *coerced* variable values, and the fields as graphql-core
collects them (fragments, inline fragments, ``@skip``/``@include``, aliases, repeated fields
merged), so a query means the same on both paths whether its arguments are literals or
variables. Anything it does not fully understand raises ``Unsupported`` and the query runs
through graphene, which also produces every error. The endpoint serialises both paths'
answers with the same function, so they are the same bytes (tests/schema/test_differential.py).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from graphql import (
    FieldNode,
    GraphQLObjectType,
    GraphQLSchema,
    OperationType,
    get_argument_values,
)
from graphql.execution import ExecutionContext
from graphql.execution.collect_fields import collect_fields, collect_sub_fields
from sqlalchemy import (
    Float,
    Numeric,
    Text,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

from registry.catalog import Category, get_catalog
from registry.compliance import timeliness
from registry.errors import RegistryError
from registry.reading import queries, visibility
from registry.reading.queries import DEP, PROJECT_COLUMNS, P, R, S
from schema.catalog_types import category_type_name, graphql_field_name
from schema.pagination import PREFIX, page_window
from schema.query import project_query
from schema.types import CATEGORY_FIELDS


class Unsupported(Exception):
    """This query shape is left to the graphene resolvers."""


Nodes = list[FieldNode]
EMPTY: Any = literal_column("'[]'::json")
NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")


def _timestamp(column):
    return func.to_char(column.op("AT TIME ZONE")(literal("UTC")), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')


def _geojson(column):
    return func.ST_AsGeoJSON(column, queries.GEOJSON_DIGITS).op("::")(literal_column("json"))


def _float(expression):
    """A GraphQL Float as JSON: integral values keep a decimal point (52000.0), so the
    number parses back as the float the resolvers return, not as an integer."""
    value = cast(expression, Float)
    integral = func.concat(cast(cast(value, Numeric), Text), ".0").op("::")(literal_column("json"))
    return case((value == func.trunc(value), integral), else_=func.to_json(value))


def _key_sql(key: str):
    """A JSON key inlined as SQL text. Keys are GraphQL names (field names or aliases), which
    the GraphQL lexer restricts to [_A-Za-z][_0-9A-Za-z]*: no quote can reach the SQL."""
    if not NAME.match(key):
        raise Unsupported("not a GraphQL name")
    return literal_column(f"'{key}'")


def _object(pairs: list[tuple[str, Any]]):
    if not pairs or len(pairs) > 50:
        raise Unsupported("object size")
    args: list[Any] = []
    for key, value in pairs:
        args += [_key_sql(key), value]
    return func.json_build_object(*args)


@cache
def _element_columns(category: Category) -> dict[str, tuple[str, str]]:
    """GraphQL field -> (element key, element type) for a category's type."""
    return {graphql_field_name(e.key): (e.key, e.type) for e in get_catalog().elements_of(category)}


class Compiler:
    def __init__(self, schema: GraphQLSchema, execution: ExecutionContext) -> None:
        self.schema = schema
        self.fragments = execution.fragments
        self.variables = execution.variable_values
        self.catalog = get_catalog()

    # --- graphql-core's own view of the selection ---------------------------------

    def _type(self, name: str) -> GraphQLObjectType:
        found = self.schema.get_type(name)
        assert isinstance(found, GraphQLObjectType)
        return found

    def fields(self, type_name: str, nodes: Nodes) -> dict[str, Nodes]:
        """The response keys under ``nodes`` and the field nodes merged into each."""
        return collect_sub_fields(
            self.schema, self.fragments, self.variables, self._type(type_name), nodes
        )

    def arguments(self, type_name: str, nodes: Nodes) -> dict[str, Any]:
        """The coerced argument values of a field (identical on every merged node)."""
        definition = self._type(type_name).fields[nodes[0].name.value]
        return get_argument_values(definition, nodes[0], self.variables)

    def _plain_crs(self, type_name: str, nodes: Nodes) -> None:
        crs = self.arguments(type_name, nodes).get("crs")
        if getattr(crs, "value", crs) not in (None, "wgs84"):
            raise Unsupported("non-WGS 84 output")

    def _scalars(self, type_name: str, columns: dict[str, Any], nodes: Nodes) -> Any:
        """An object of scalar fields only, picked from ``columns``."""
        return _object(
            [
                (key, self._pick(columns, found))
                for key, found in self.fields(type_name, nodes).items()
            ]
        )

    @staticmethod
    def _pick(columns: dict[str, Any], nodes: Nodes):
        node = nodes[0]
        if node.selection_set is not None or node.arguments:
            raise Unsupported(node.name.value)
        try:
            return columns[node.name.value]
        except KeyError as exc:
            raise Unsupported(node.name.value) from exc

    # --- departments, sites, responsibilities ------------------------------------

    def department(self, nodes: Nodes, table):
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
        return self._scalars("Department", columns, nodes)

    def sites(self, nodes: Nodes, project_id):
        site = S.alias("site")
        columns = {
            "id": cast(site.c.id, Text),
            "name": site.c.name,
            "kind": site.c.kind,
            "__typename": literal("Site"),
        }
        pairs = []
        for key, found in self.fields("Site", nodes).items():
            if found[0].name.value == "geometry":
                self._plain_crs("Site", found)
                pairs.append((key, _geojson(site.c.geom)))
            else:
                pairs.append((key, self._pick(columns, found)))
        return (
            select(
                func.coalesce(func.json_agg(aggregate_order_by(_object(pairs), site.c.id)), EMPTY)
            )
            .where(site.c.project_id == project_id)
            .scalar_subquery()
        )

    def project_geometry(self, nodes: Nodes, project_id):
        self._plain_crs("Project", nodes)
        site = S.alias("g")
        parts = func.json_agg(aggregate_order_by(_geojson(site.c.geom), site.c.id))
        collection = func.json_build_object(
            literal("type"), literal("GeometryCollection"), literal("geometries"), parts
        )
        count = func.count()
        return (
            select(case((count == 0, None), (count == 1, parts.op("->")(literal(0))),
                        else_=collection))
            .where(site.c.project_id == project_id)
            .scalar_subquery()
        )  # fmt: skip

    def responsibilities(self, nodes: Nodes, project_id):
        resp, dep = R.alias("resp"), DEP.alias("resp_dep")
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
        for key, found in self.fields("Responsibility", nodes).items():
            if found[0].name.value == "department":
                pairs.append((key, self.department(found, dep)))
            else:
                pairs.append((key, self._pick(columns, found)))
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

    def disclosures(self, nodes: Nodes, category: Category, project_id, as_of):
        type_name = category_type_name(category)
        x, dep = visibility.public(as_of, name="x"), DEP.alias("x_dep")
        source = x.join(dep, dep.c.id == x.c.publisher_id)
        judged: timeliness.Judged | None = None
        elements = _element_columns(category)
        columns = {
            "id": cast(x.c.id, Text),
            "category": func.upper(x.c.category),
            "title": x.c.title,
            "ref": x.c.ref,
            "formedOn": x.c.formed_on,
            "publishedAt": _timestamp(x.c.published_at),
            "firstPublishedAt": _timestamp(x.c.first_published_at),
            "revision": x.c.revision,
            "isSynthetic": x.c.is_synthetic,
            "status": literal("PUBLISHED"),  # a public list holds published items only
            "__typename": literal(type_name),
        }
        pairs = []
        for key, found in self.fields(type_name, nodes).items():
            name = found[0].name.value
            if name == "publisher":
                value = self.department(found, dep)
            elif name == "geometry":
                self._plain_crs(type_name, found)
                value = _geojson(x.c.geom)
            elif name == "withdrawal":
                value = null()  # nothing listed here is withdrawn
            elif name in ("deadline", "timeliness"):
                judged = judged or timeliness.judged(source, x, queries.judging_day(as_of))
                value = judged.deadline if name == "deadline" else self.timeliness(found, judged)
            elif name in elements:
                element, kind = elements[name]
                self._pick({name: None}, found)
                value = (
                    _float(x.c.elements.op("->>")(literal(element)))
                    if kind == "amount"
                    else x.c.elements.op("->>")(literal(element))
                )
            else:
                value = self._pick(columns, found)
            pairs.append((key, value))
        return (
            select(
                func.coalesce(
                    func.json_agg(aggregate_order_by(_object(pairs), x.c.formed_on, x.c.id)), EMPTY
                )
            )
            .select_from(judged.source if judged is not None else source)
            .where(x.c.project_id == project_id, x.c.category == category.value)
            .scalar_subquery()
        )

    def timeliness(self, nodes: Nodes, judged: timeliness.Judged):
        columns = {
            "status": judged.status,
            "deadline": judged.deadline,
            "workingDaysLate": judged.working_days_late,
            "provisional": judged.provisional,
            "__typename": literal("Timeliness"),
        }
        return self._scalars("Timeliness", columns, nodes)

    # --- projects ----------------------------------------------------------------------

    def project(self, nodes: Nodes, row, as_of):
        columns = {
            "code": row.c.code,
            "name": row.c.name,
            "description": row.c.description,
            "projectType": func.upper(row.c.project_type),
            "industry": row.c.industry,
            "regionCode": row.c.region_code,
            "owner": row.c.owner,
            "investment": _float(row.c.investment),
            "status": func.upper(row.c.status),
            "approvedOn": row.c.approved_on,
            "startedOn": row.c.started_on,
            "completedOn": row.c.completed_on,
            "updatedAt": _timestamp(row.c.updated_at),
            "isSynthetic": row.c.is_synthetic,
            "distance": _float(row.c.distance),
            "__typename": literal("Project"),
        }
        categories = {
            graphql_field_name(name): category for category, name in CATEGORY_FIELDS.items()
        }
        pairs = []
        for key, found in self.fields("Project", nodes).items():
            name = found[0].name.value
            if name == "sites":
                value = self.sites(found, row.c.id)
            elif name == "geometry":
                value = self.project_geometry(found, row.c.id)
            elif name == "responsibilities":
                value = self.responsibilities(found, row.c.id)
            elif name in categories:
                value = self.disclosures(found, categories[name], row.c.id, as_of)
            else:
                value = self._pick(columns, found)
            pairs.append((key, value))
        return _object(pairs)

    def project_root(self, nodes: Nodes, index: int):
        args = self.arguments("Query", nodes)
        as_of = args.get("as_of")
        row = select(*PROJECT_COLUMNS, literal(None).label("distance")).where(
            P.c.code == args["code"]
        )
        if as_of is not None:
            row = row.where(P.c.created_at <= as_of)
        found = row.subquery(f"one{index}")
        return select(self.project(nodes, found, as_of)).select_from(found).scalar_subquery()

    def projects(self, nodes: Nodes, index: int, settings):
        args = self.arguments("Query", nodes)
        try:
            limit, offset = page_window(args.get("first"), args.get("after"), settings)
            query = project_query(
                args.get("filter"),
                args.get("bbox"),
                args.get("intersects"),
                args.get("near"),
                args.get("order_by"),
                args.get("as_of"),
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
        for key, found in self.fields("ProjectConnection", nodes).items():
            name = found[0].name.value
            if name == "totalCount":
                value = (
                    select(func.count())
                    .select_from(P)
                    .where(*queries.project_conditions(query))
                    .scalar_subquery()
                )
            elif name == "nodes":
                value = self._page(self.project(found, page, query.as_of), page, in_page)
            elif name == "edges":
                value = self._page(self._edge(found, page, cursor, offset, query.as_of), page,
                                   in_page)  # fmt: skip
            elif name == "pageInfo":
                value = self._page_info(found, page, cursor, limit, offset)
            elif name == "__typename":
                value = literal("ProjectConnection")
            else:
                raise Unsupported(name)
            pairs.append((key, value))
        return _object(pairs)

    @staticmethod
    def _page(item, page, in_page):
        return (
            select(func.coalesce(func.json_agg(aggregate_order_by(item, page.c.n)), EMPTY))
            .where(in_page)
            .scalar_subquery()
        )

    def _edge(self, nodes: Nodes, page, cursor, offset: int, as_of):
        pairs = []
        for key, found in self.fields("ProjectEdge", nodes).items():
            name = found[0].name.value
            if name == "node":
                pairs.append((key, self.project(found, page, as_of)))
            elif name == "cursor":
                pairs.append((key, cursor(page.c.n - 1 + offset)))
            elif name == "__typename":
                pairs.append((key, literal("ProjectEdge")))
            else:
                raise Unsupported(name)
        return _object(pairs)

    def _page_info(self, nodes: Nodes, page, cursor, limit: int, offset: int):
        rows = select(func.count()).select_from(page).scalar_subquery()
        shown = func.least(rows, limit)
        columns = {
            "hasNextPage": rows > limit,
            "hasPreviousPage": literal(offset > 0),
            "startCursor": case((shown > 0, cursor(literal(offset))), else_=None),
            "endCursor": case((shown > 0, cursor(shown - 1 + offset)), else_=None),
            "__typename": literal("PageInfo"),
        }
        return self._scalars("PageInfo", columns, nodes)


def compile_operation(schema: GraphQLSchema, execution: ExecutionContext, settings):
    """A statement whose single text column is the `data` JSON, or None (use graphene).

    ``execution`` is graphql-core's ExecutionContext for the request: the operation, its
    fragments and its coerced variables."""
    operation = execution.operation
    if operation.operation != OperationType.QUERY or schema.query_type is None:
        return None
    compiler = Compiler(schema, execution)
    try:
        roots = collect_fields(
            schema, execution.fragments, execution.variable_values, schema.query_type,
            operation.selection_set,
        )  # fmt: skip
        pairs = []
        for index, (key, nodes) in enumerate(roots.items()):
            name = nodes[0].name.value
            if name == "__typename":
                pairs.append((key, literal("Query")))
            elif name == "projects":
                pairs.append((key, compiler.projects(nodes, index, settings)))
            elif name == "project":
                pairs.append((key, compiler.project_root(nodes, index)))
            else:
                raise Unsupported(name)
        return select(cast(_object(pairs), Text))
    except Unsupported:
        return None

"""Compile common read queries to ONE SQL statement whose JSON PostgreSQL builds.

The graphene resolvers define what every field means; this compiler is a faster way to
produce the very same answer for the shapes that dominate traffic (project pages with their
sites, responsibilities and categories). It works from what graphql-core itself computed:
the validated document, the *coerced* variable values, and the fields as graphql-core
collects them (fragments, inline fragments, ``@skip``/``@include``, aliases, repeated fields
merged), so a query means the same on both paths whether its arguments are literals or
variables. Anything it does not fully understand raises ``Unsupported`` and the query runs
through graphene, which also produces every error.

PostgreSQL writes the answer as the compact JSON text the API's serialiser (orjson) writes
for the resolvers: strings through ``to_json``, floats through ``json_number`` (migration
0007), objects and lists by concatenation in selection order. So both paths send the same
bytes, which tests/schema/test_differential.py checks on generated queries.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from enum import Enum
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
    Date,
    Float,
    Integer,
    Text,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect

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
NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")


def _concat(*parts):
    """Text pieces joined by ``concat()``, nested when there are more than it takes (100)."""
    if len(parts) <= 90:
        return func.concat(*parts)
    return func.concat(*(_concat(*parts[i : i + 90]) for i in range(0, len(parts), 90)))


def _literal_text(value: str):
    """A constant piece of JSON text, inlined as SQL (only names and punctuation)."""
    if not re.fullmatch(r'[\[\]{}:,"_0-9A-Za-z]*', value):
        raise Unsupported("not a literal piece of JSON")
    return literal_column(f"'{value}'", Text)


def _string(expression):
    """Any SQL value as a JSON string (or null), escaped as orjson escapes it."""
    return func.coalesce(cast(func.to_json(expression), Text), literal_column("'null'"))


def _int(expression):
    return func.coalesce(cast(expression, Text), literal_column("'null'"))


def _bool(expression):
    return func.coalesce(cast(func.to_json(expression), Text), literal_column("'null'"))


def _float(expression):
    """A GraphQL Float as orjson writes it (52000.0, 1.5e-7): migration 0007's json_number."""
    return func.json_number(cast(expression, Float))


def _raw(expression):
    """Text that is JSON already (PostGIS GeoJSON, a nested object or list)."""
    return func.coalesce(expression, literal_column("'null'"))


def _constant(value: str):
    return _literal_text(f'"{value}"') if NAME.match(value) else _string(literal(value))


NULL = literal_column("'null'", Text)


def _timestamp(column):
    return _string(
        func.to_char(column.op("AT TIME ZONE")(literal("UTC")), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
    )


def _geojson(column):
    return _raw(func.ST_AsGeoJSON(column, queries.GEOJSON_DIGITS))


def _object(pairs: list[tuple[str, Any]]):
    """The JSON text of an object whose values are JSON text, keys in selection order."""
    if not pairs or len(pairs) > 60:
        raise Unsupported("object size")
    pieces: list[Any] = []
    for index, (key, value) in enumerate(pairs):
        if not NAME.match(key):
            raise Unsupported("not a GraphQL name")
        pieces += [_literal_text(("{" if index == 0 else ",") + f'"{key}":'), value]
    return _concat(*pieces, _literal_text("}"))


def _list(item, *order_by):
    """The JSON text of a list of JSON texts (an aggregate: [] when there are none)."""
    joined = func.string_agg(item, aggregate_order_by(literal_column("','"), *order_by))
    return _concat(_literal_text("["), func.coalesce(joined, literal_column("''")),
                   _literal_text("]"))  # fmt: skip


def _list_text(aggregated):
    """An aggregated list's items (text, or NULL for none) as a JSON list."""
    return _concat(_literal_text("["), func.coalesce(aggregated, literal_column("''")),
                   _literal_text("]"))  # fmt: skip


def _beside(row, laterals: list):
    """``row`` with each LATERAL subquery joined to it (every row kept)."""
    for lateral in laterals:
        row = row.outerjoin(lateral, true())
    return row


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
        self.laterals = 0  # LATERAL subqueries made so far (each gets a name of its own)

    # --- graphql-core's own view of the selection ---------------------------------

    def _type(self, name: str) -> GraphQLObjectType:
        found = self.schema.get_type(name)
        if not isinstance(found, GraphQLObjectType):
            raise Unsupported(name)
        return found

    def fields(self, type_name: str, nodes: Nodes) -> dict[str, Nodes]:
        """The response keys under ``nodes`` and the field nodes merged into each."""
        return collect_sub_fields(
            self.schema, self.fragments, self.variables, self._type(type_name), nodes
        )

    def arguments(self, type_name: str, nodes: Nodes) -> dict[str, Any]:
        """The coerced argument values of a field (identical on every merged node)."""
        # meta-fields (__schema, __type) are in no type's fields: graphql-core answers them
        definition = self._type(type_name).fields.get(nodes[0].name.value)
        if definition is None:
            raise Unsupported(nodes[0].name.value)
        return get_argument_values(definition, nodes[0], self.variables)

    def _plain_crs(self, type_name: str, nodes: Nodes) -> None:
        crs = self.arguments(type_name, nodes).get("crs")
        if getattr(crs, "value", crs) not in (None, "wgs84"):
            raise Unsupported("non-WGS 84 output")

    def _scalars(self, type_name: str, columns: dict[str, Any], nodes: Nodes) -> Any:
        """An object of scalar fields only, picked from ``columns`` (JSON texts)."""
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
            "code": _string(table.c.code),
            "name": _string(table.c.name),
            "nameEn": _string(table.c.name_en),
            "kind": _string(table.c.kind),
            "uscc": _string(table.c.uscc),
            "regionCode": _string(table.c.region_code),
            "roles": _string(table.c.roles),
            "isSynthetic": _bool(table.c.is_synthetic),
            "__typename": _constant("Department"),
        }
        return self._scalars("Department", columns, nodes)

    def sites(self, nodes: Nodes, project_id):
        site = S.alias("site")
        columns = {
            "id": _string(cast(site.c.id, Text)),
            "name": _string(site.c.name),
            "kind": _string(site.c.kind),
            "__typename": _constant("Site"),
        }
        pairs = []
        for key, found in self.fields("Site", nodes).items():
            if found[0].name.value == "geometry":
                self._plain_crs("Site", found)
                pairs.append((key, _geojson(site.c.geom)))
            else:
                pairs.append((key, self._pick(columns, found)))
        return (
            select(_list(_object(pairs), site.c.id))
            .where(site.c.project_id == project_id)
            .scalar_subquery()
        )

    def project_geometry(self, nodes: Nodes, project_id):
        """One site's geometry, or a GeometryCollection of them all (null without sites)."""
        self._plain_crs("Project", nodes)
        site = S.alias("g")
        geometry = func.ST_AsGeoJSON(site.c.geom, queries.GEOJSON_DIGITS)
        parts = func.string_agg(geometry, aggregate_order_by(literal_column("','"), site.c.id))
        collection = _concat(
            _literal_text('{"type":"GeometryCollection","geometries":['), parts,
            _literal_text("]}"),
        )  # fmt: skip
        count = func.count()
        return _raw(
            select(case((count == 0, None), (count == 1, func.min(geometry)), else_=collection))
            .where(site.c.project_id == project_id)
            .scalar_subquery()
        )

    def responsibilities(self, nodes: Nodes, project_id):
        resp, dep = R.alias("resp"), DEP.alias("resp_dep")
        names = case(
            *[(resp.c.category == c.category.value, c.name_zh) for c in self.catalog.categories]
        )
        columns = {
            "category": _string(func.upper(resp.c.category)),
            "categoryNameZh": _string(names),
            "itemKeys": _string(resp.c.item_keys),
            "source": _string(resp.c.source),
            "__typename": _constant("Responsibility"),
        }
        pairs = []
        for key, found in self.fields("Responsibility", nodes).items():
            if found[0].name.value == "department":
                pairs.append((key, self.department(found, dep)))
            else:
                pairs.append((key, self._pick(columns, found)))
        return (
            select(_list(_object(pairs), resp.c.category, resp.c.id))
            .select_from(resp.join(dep, dep.c.id == resp.c.department_id))
            .where(resp.c.project_id == project_id)
            .scalar_subquery()
        )

    # --- disclosures -----------------------------------------------------------------

    def categories(self, wanted: list[tuple[Category, Nodes]], project_id, plan: Plan):
        """Every category a project selection asks for, from one pass over the project's
        public disclosures: a LATERAL subquery with one aggregate per selected field, each
        over its category's rows (FILTER). One index scan per project, not one per field."""
        x, dep = visibility.public(plan.as_of, name="x"), DEP.alias("x_dep")
        source = x.join(dep, dep.c.id == x.c.publisher_id)
        judged: timeliness.Judged | None = None
        columns = []
        for index, (category, nodes) in enumerate(wanted):
            item, judged = self.disclosure(nodes, category, x, dep, source, judged, plan)
            joined = func.string_agg(
                item, aggregate_order_by(literal_column("','"), x.c.formed_on, x.c.id)
            )
            columns.append(joined.filter(x.c.category == category.value).label(f"c{index}"))
        conditions = [x.c.project_id == project_id]
        chosen = sorted({category.value for category, _ in wanted})
        if len(chosen) < len(Category):
            # category values are catalog constants ([a-z_]): inlined, never an expanding bind
            conditions.append(x.c.category.in_([literal_column(f"'{c}'", Text) for c in chosen]))
        self.laterals += 1
        return (
            select(*columns)
            .select_from(judged.source if judged is not None else source)
            .where(*conditions)
            .lateral(f"cats{self.laterals}")
        )

    def disclosure(self, nodes: Nodes, category: Category, x, dep, source, judged, plan: Plan):
        """One disclosure of ``category`` as JSON text (and the timeliness join, once)."""
        type_name = category_type_name(category)
        elements = _element_columns(category)
        columns = {
            "id": _string(cast(x.c.id, Text)),
            "category": _string(func.upper(x.c.category)),
            "title": _string(x.c.title),
            "ref": _string(x.c.ref),
            "formedOn": _string(x.c.formed_on),
            "publishedAt": _timestamp(x.c.published_at),
            "firstPublishedAt": _timestamp(x.c.first_published_at),
            "revision": _int(x.c.revision),
            "isSynthetic": _bool(x.c.is_synthetic),
            "status": _constant("PUBLISHED"),  # a public list holds published items only
            "__typename": _constant(type_name),
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
                value = NULL  # nothing listed here is withdrawn
            elif name in ("deadline", "timeliness"):
                judged = judged or timeliness.judged(source, x, plan.day)
                value = (
                    _string(judged.deadline)
                    if name == "deadline"
                    else self.timeliness(found, judged)
                )
            elif name in elements:
                element, kind = elements[name]
                self._pick({name: None}, found)
                text_value = x.c.elements.op("->>")(literal(element))
                value = _float(text_value) if kind == "amount" else _string(text_value)
            else:
                value = self._pick(columns, found)
            pairs.append((key, value))
        return _object(pairs), judged

    def timeliness(self, nodes: Nodes, judged: timeliness.Judged):
        columns = {
            "status": _string(judged.status),
            "deadline": _string(judged.deadline),
            "workingDaysLate": _int(judged.working_days_late),
            "provisional": _bool(judged.provisional),
            "__typename": _constant("Timeliness"),
        }
        return self._scalars("Timeliness", columns, nodes)

    # --- projects ----------------------------------------------------------------------

    def project(self, nodes: Nodes, row, plan: Plan, laterals: list):
        """A project as JSON text; subqueries it needs joined beside ``row`` go to
        ``laterals``."""
        columns = {
            "code": _string(row.c.code),
            "name": _string(row.c.name),
            "description": _string(row.c.description),
            "projectType": _string(func.upper(row.c.project_type)),
            "industry": _string(row.c.industry),
            "regionCode": _string(row.c.region_code),
            "owner": _string(row.c.owner),
            "investment": _float(row.c.investment),
            "status": _string(func.upper(row.c.status)),
            "approvedOn": _string(row.c.approved_on),
            "startedOn": _string(row.c.started_on),
            "completedOn": _string(row.c.completed_on),
            "updatedAt": _timestamp(row.c.updated_at),
            "isSynthetic": _bool(row.c.is_synthetic),
            "distance": _float(row.c.distance),
            "__typename": _constant("Project"),
        }
        categories = {
            graphql_field_name(name): category for category, name in CATEGORY_FIELDS.items()
        }
        pairs: list[tuple[str, Any]] = []
        wanted: list[tuple[Category, Nodes]] = []
        for key, found in self.fields("Project", nodes).items():
            name = found[0].name.value
            if name == "sites":
                value = self.sites(found, row.c.id)
            elif name == "geometry":
                value = self.project_geometry(found, row.c.id)
            elif name == "responsibilities":
                value = self.responsibilities(found, row.c.id)
            elif name in categories:
                value = len(wanted)  # filled in below, from the categories' LATERAL
                wanted.append((categories[name], found))
            else:
                value = self._pick(columns, found)
            pairs.append((key, value))
        if wanted:
            lateral = self.categories(wanted, row.c.id, plan)
            laterals.append(lateral)
            pairs = [
                (key, _list_text(lateral.c[f"c{value}"]) if isinstance(value, int) else value)
                for key, value in pairs
            ]
        return _object(pairs)

    # --- the roots: a cheap plan from the request, an expensive build from the plan -----

    def plan(self, index: int, nodes: Nodes, settings) -> Plan:
        """What a root field needs from the request: its arguments, checked, as named
        bound parameters. Cheap: run for every request, cached statement or not."""
        name = nodes[0].name.value
        args = self.arguments("Query", nodes)
        b = queries.Binds(f"r{index}_")
        if name == "project":
            as_of = args.get("as_of")
            query = queries.ProjectQuery(as_of=as_of)
            plan = Plan(name, nodes, b, query, queries.as_of_bind(query, b))
            plan.code = b("code", args["code"], Text)
        elif name == "projects":
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
            plan = Plan(name, nodes, b, query, queries.as_of_bind(query, b))
            plan.limit, plan.offset = b("limit", limit, Integer), b("offset", offset, Integer)
            plan.rows, plan.count = queries.projects_matched(query, b, f"hits{index}")
        else:
            raise Unsupported(name)
        plan.day = b("day", queries.judging_day(query.as_of), Date)
        return plan

    def project_root(self, plan: Plan, index: int):
        row = select(*PROJECT_COLUMNS, literal(None).label("distance")).where(P.c.code == plan.code)
        if plan.as_of is not None:
            row = row.where(queries.known_at(plan.as_of))
        found = row.subquery(f"one{index}")
        laterals: list = []
        value = self.project(plan.nodes, found, plan, laterals)
        return _raw(select(value).select_from(_beside(found, laterals)).scalar_subquery())

    def projects(self, plan: Plan, index: int):
        limit, offset = plan.limit, plan.offset
        ordered = plan.rows.limit(limit + 1).offset(offset).subquery(f"o{index}")
        page = select(ordered, func.row_number().over().label("n")).cte(f"page{index}")
        in_page = page.c.n <= limit

        def cursor(position):
            encoded = func.encode(
                func.convert_to(literal(PREFIX) + cast(position, Text), "UTF8"), "base64"
            )
            return _string(func.translate(encoded, "+/", "-_"))

        pairs = []
        value: Any
        for key, found in self.fields("ProjectConnection", plan.nodes).items():
            name = found[0].name.value
            if name == "totalCount":
                value = _int(plan.count.scalar_subquery())
            elif name == "nodes":
                laterals: list = []
                item = self.project(found, page, plan, laterals)
                value = self._page(item, page, in_page, laterals)
            elif name == "edges":
                laterals = []
                item = self._edge(found, page, cursor, offset, plan, laterals)
                value = self._page(item, page, in_page, laterals)
            elif name == "pageInfo":
                value = self._page_info(found, page, cursor, limit, offset)
            elif name == "__typename":
                value = _constant("ProjectConnection")
            else:
                raise Unsupported(name)
            pairs.append((key, value))
        return _object(pairs)

    @staticmethod
    def _page(item, page, in_page, laterals: list):
        return (
            select(_list(item, page.c.n))
            .select_from(_beside(page, laterals))
            .where(in_page)
            .scalar_subquery()
        )

    def _edge(self, nodes: Nodes, page, cursor, offset, plan: Plan, laterals: list):
        pairs = []
        for key, found in self.fields("ProjectEdge", nodes).items():
            name = found[0].name.value
            if name == "node":
                pairs.append((key, self.project(found, page, plan, laterals)))
            elif name == "cursor":
                pairs.append((key, cursor(page.c.n - 1 + offset)))
            elif name == "__typename":
                pairs.append((key, _constant("ProjectEdge")))
            else:
                raise Unsupported(name)
        return _object(pairs)

    def _page_info(self, nodes: Nodes, page, cursor, limit, offset):
        rows = select(func.count()).select_from(page).scalar_subquery()
        shown = func.least(rows, limit)
        columns = {
            "hasNextPage": _bool(rows > limit),
            "hasPreviousPage": _bool(offset > 0),
            "startCursor": case((shown > 0, cursor(offset)), else_=NULL),
            "endCursor": case((shown > 0, cursor(shown - 1 + offset)), else_=NULL),
            "__typename": _constant("PageInfo"),
        }
        return self._scalars("PageInfo", columns, nodes)


@dataclass
class Plan:
    """A root field's request values, as named bound parameters."""

    name: str
    nodes: Nodes
    binds: queries.Binds
    query: queries.ProjectQuery
    as_of: Any
    code: Any = None
    limit: Any = None
    count: Any = None
    offset: Any = None
    rows: Any = None
    day: Any = None


@dataclass(frozen=True)
class Prepared:
    """SQL text for psycopg and its parameters: the `data` JSON comes back as text."""

    sql: str
    params: dict[str, Any]


DIALECT = psycopg_dialect()
CACHE_SIZE = 512


class StatementCache:
    """Compiled statements by (document, operation, shape of the variables), least
    recently used first out. The shape keeps what decides a statement's form (which
    arguments are given, booleans, enum values, lengths) and drops the values, which reach
    the statement as named parameters: a client paging through results with variables
    compiles once."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self.entries: OrderedDict[Any, tuple[str, dict[str, Any]]] = OrderedDict()
        self.hits = self.misses = 0
        self.answered = 0  # requests answered by a compiled statement (tests and metrics)

    def get(self, key: Any) -> tuple[str, dict[str, Any]] | None:
        found = self.entries.get(key)
        if found is not None:
            self.entries.move_to_end(key)
            self.hits += 1
        else:
            self.misses += 1
        return found

    def put(self, key: Any, value: tuple[str, dict[str, Any]]) -> None:
        self.entries[key] = value
        if len(self.entries) > self.size:
            self.entries.popitem(last=False)


def shape(value: Any) -> Any:
    """The form of a coerced variable value, without the values a parameter carries."""
    if isinstance(value, dict):
        return tuple(sorted((k, shape(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return ("list", tuple(shape(v) for v in value))
    if isinstance(value, bool) or value is None or isinstance(value, Enum):
        return value
    if isinstance(value, str):
        return "s" if value else ""
    return type(value).__name__


def prepare(
    schema: GraphQLSchema,
    execution: ExecutionContext,
    settings,
    document_text: str,
    cache: StatementCache | None = None,
) -> Prepared | None:
    """The SQL that answers the operation, or None (use graphene).

    ``execution`` is graphql-core's ExecutionContext for the request: the operation, its
    fragments and its coerced variables. With a ``cache``, a statement of the same
    document, operation and variable shape is reused with this request's parameters."""
    operation = execution.operation
    if operation.operation != OperationType.QUERY or schema.query_type is None:
        return None
    compiler = Compiler(schema, execution)
    try:
        roots = collect_fields(
            schema, execution.fragments, execution.variable_values, schema.query_type,
            operation.selection_set,
        )  # fmt: skip
        plans = {
            key: compiler.plan(index, nodes, settings)
            for index, (key, nodes) in enumerate(roots.items())
            if nodes[0].name.value != "__typename"
        }
    except Unsupported:
        return None
    params = {k: v for plan in plans.values() for k, v in plan.binds.values().items()}
    cache_key = (
        document_text,
        operation.name.value if operation.name else None,
        shape(execution.variable_values),
    )
    cached = cache.get(cache_key) if cache is not None else None
    if cached is not None:
        sql, constants = cached
        return Prepared(sql, {**constants, **params})
    try:
        pairs = []
        for index, (key, nodes) in enumerate(roots.items()):
            name = nodes[0].name.value
            if name == "__typename":
                pairs.append((key, _constant("Query")))
            elif name == "projects":
                pairs.append((key, compiler.projects(plans[key], index)))
            else:
                pairs.append((key, compiler.project_root(plans[key], index)))
        statement = select(_object(pairs))
    except Unsupported:
        return None
    compiled = statement.compile(dialect=DIALECT)
    sql, constants = str(compiled), dict(compiled.params)
    if cache is not None:
        cache.put(cache_key, (sql, constants))
    return Prepared(sql, {**constants, **params})

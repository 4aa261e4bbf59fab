"""The walk of a GraphQL selection (as graphql-core collected it) into one SQL statement:
a cheap ``plan`` of each root field from the request, then the statement's build from it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLObjectType,
    GraphQLSchema,
    get_argument_values,
)
from graphql.execution import ExecutionContext
from graphql.execution.collect_fields import collect_sub_fields
from sqlalchemy import (
    BindParameter,
    Boolean,
    Date,
    Integer,
    Select,
    Text,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

from registry.catalog import Category, get_catalog
from registry.compliance import timeliness
from registry.errors import RegistryError
from registry.reading import binds, disclosures, inputs, queries, tables, visibility
from registry.reading.queries import PROJECT_COLUMNS
from registry.reading.tables import DEP, P, R, S
from schema.catalog_types import category_type_name, graphql_field_name
from schema.compiler.jsontext import (
    NULL,
    Nodes,
    Unsupported,
    beside,
    boolean,
    concat,
    constant,
    element_columns,
    geojson,
    integer,
    json_list,
    json_object,
    list_text,
    literal_text,
    number,
    raw,
    string,
    timestamp,
)
from schema.pagination import KEY_PREFIX, keyed_window
from schema.query import project_query
from schema.scalars import unwrap
from schema.types import CATEGORY_FIELDS


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
        if unwrap(crs) not in (None, "wgs84"):
            raise Unsupported("non-WGS 84 output")

    def _scalars(self, type_name: str, columns: dict[str, Any], nodes: Nodes) -> Any:
        """An object of scalar fields only, picked from ``columns`` (JSON texts)."""
        return json_object(
            [
                (key, self._pick(columns, found))
                for key, found in self.fields(type_name, nodes).items()
            ]
        )

    @staticmethod
    def _pick(columns: dict[str, Any], nodes: Nodes) -> Any:
        node = nodes[0]
        if node.selection_set is not None or node.arguments:
            raise Unsupported(node.name.value)
        try:
            return columns[node.name.value]
        except KeyError as exc:
            raise Unsupported(node.name.value) from exc

    # --- departments, sites, responsibilities ------------------------------------

    def department(self, nodes: Nodes, table: Any) -> Any:
        columns = {
            "code": string(table.c.code),
            "name": string(table.c.name),
            "nameEn": string(table.c.name_en),
            "kind": string(table.c.kind),
            "uscc": string(table.c.uscc),
            "regionCode": string(table.c.region_code),
            "roles": string(table.c.roles),
            "isSynthetic": boolean(table.c.is_synthetic),
            "__typename": constant("Department"),
        }
        return self._scalars("Department", columns, nodes)

    def sites(self, nodes: Nodes, project_id: Any) -> Any:
        site = S.alias("site")
        columns = {
            "id": string(cast(site.c.id, Text)),
            "name": string(site.c.name),
            "kind": string(site.c.kind),
            "__typename": constant("Site"),
        }
        pairs = []
        for key, found in self.fields("Site", nodes).items():
            if found[0].name.value == "geometry":
                self._plain_crs("Site", found)
                pairs.append((key, geojson(site.c.geom)))
            else:
                pairs.append((key, self._pick(columns, found)))
        return (
            select(json_list(json_object(pairs), site.c.id))
            .where(site.c.project_id == project_id)
            .scalar_subquery()
        )

    def project_geometry(self, nodes: Nodes, project_id: Any) -> Any:
        """One site's geometry, or a GeometryCollection of them all (null without sites)."""
        self._plain_crs("Project", nodes)
        site = S.alias("g")
        geometry = func.ST_AsGeoJSON(site.c.geom, tables.GEOJSON_DIGITS)
        parts = func.string_agg(geometry, aggregate_order_by(literal_column("','"), site.c.id))
        collection = concat(
            literal_text('{"type":"GeometryCollection","geometries":['), parts,
            literal_text("]}"),
        )  # fmt: skip
        count = func.count()
        return raw(
            select(case((count == 0, None), (count == 1, func.min(geometry)), else_=collection))
            .where(site.c.project_id == project_id)
            .scalar_subquery()
        )

    def responsibilities(self, nodes: Nodes, project_id: Any) -> Any:
        resp, dep = R.alias("resp"), DEP.alias("resp_dep")
        names = case(
            *[(resp.c.category == c.category.value, c.name_zh) for c in self.catalog.categories]
        )
        columns = {
            "category": string(func.upper(resp.c.category)),
            "categoryNameZh": string(names),
            "itemKeys": string(resp.c.item_keys),
            "source": string(resp.c.source),
            "__typename": constant("Responsibility"),
        }
        pairs = []
        for key, found in self.fields("Responsibility", nodes).items():
            if found[0].name.value == "department":
                pairs.append((key, self.department(found, dep)))
            else:
                pairs.append((key, self._pick(columns, found)))
        return (
            select(json_list(json_object(pairs), resp.c.category, resp.c.id))
            .select_from(resp.join(dep, dep.c.id == resp.c.department_id))
            .where(resp.c.project_id == project_id)
            .scalar_subquery()
        )

    # --- disclosures -----------------------------------------------------------------

    def categories(self, wanted: list[tuple[Category, Nodes]], project_id: Any, plan: Plan) -> Any:
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

    def disclosure(
        self,
        nodes: Nodes,
        category: Category,
        x: Any,
        dep: Any,
        source: Any,
        judged: Any,
        plan: Plan,
    ) -> Any:
        """One disclosure of ``category`` as JSON text (and the timeliness join, once)."""
        type_name = category_type_name(category)
        elements = element_columns(category)
        columns = {
            "id": string(cast(x.c.id, Text)),
            "category": string(func.upper(x.c.category)),
            "title": string(x.c.title),
            "ref": string(x.c.ref),
            "formedOn": string(x.c.formed_on),
            "publishedAt": timestamp(x.c.published_at),
            "firstPublishedAt": timestamp(x.c.first_published_at),
            "revision": integer(x.c.revision),
            "isSynthetic": boolean(x.c.is_synthetic),
            "status": constant("PUBLISHED"),  # a public list holds published items only
            "__typename": constant(type_name),
        }
        pairs = []
        for key, found in self.fields(type_name, nodes).items():
            name = found[0].name.value
            if name == "publisher":
                value = self.department(found, dep)
            elif name == "geometry":
                self._plain_crs(type_name, found)
                value = geojson(x.c.geom)
            elif name == "withdrawal":
                value = NULL  # nothing listed here is withdrawn
            elif name in ("deadline", "timeliness"):
                judged = judged or timeliness.judged(source, x, plan.day)
                value = (
                    string(judged.deadline)
                    if name == "deadline"
                    else self.timeliness(found, judged)
                )
            elif name in elements:
                element, kind = elements[name]
                self._pick({name: None}, found)
                text_value = x.c.elements.op("->>")(literal(element))
                value = number(text_value) if kind == "amount" else string(text_value)
            else:
                value = self._pick(columns, found)
            pairs.append((key, value))
        return json_object(pairs), judged

    def timeliness(self, nodes: Nodes, judged: timeliness.Judged) -> Any:
        columns = {
            "status": string(judged.status),
            "deadline": string(judged.deadline),
            "workingDaysLate": integer(judged.working_days_late),
            "provisional": boolean(judged.provisional),
            "__typename": constant("Timeliness"),
        }
        return self._scalars("Timeliness", columns, nodes)

    # --- projects ----------------------------------------------------------------------

    def project(self, nodes: Nodes, row: Any, plan: Plan, laterals: list) -> Any:
        """A project as JSON text; subqueries it needs joined beside ``row`` go to
        ``laterals``."""
        columns = {
            "code": string(row.c.code),
            "name": string(row.c.name),
            "description": string(row.c.description),
            "projectType": string(func.upper(row.c.project_type)),
            "industry": string(row.c.industry),
            "regionCode": string(row.c.region_code),
            "owner": string(row.c.owner),
            "investment": number(row.c.investment),
            "status": string(func.upper(row.c.status)),
            "approvedOn": string(row.c.approved_on),
            "startedOn": string(row.c.started_on),
            "completedOn": string(row.c.completed_on),
            "updatedAt": timestamp(row.c.updated_at),
            "isSynthetic": boolean(row.c.is_synthetic),
            "distance": number(row.c.distance),
            "__typename": constant("Project"),
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
                (key, list_text(lateral.c[f"c{value}"]) if isinstance(value, int) else value)
                for key, value in pairs
            ]
        return json_object(pairs)

    # --- the roots: a cheap plan from the request, an expensive build from the plan -----

    def plan(self, index: int, nodes: Nodes, settings: Any) -> Plan:
        """What a root field needs from the request: its arguments, checked, as named
        bound parameters. Cheap: run for every request, cached statement or not."""
        name = nodes[0].name.value
        args = self.arguments("Query", nodes)
        b = binds.Binds(f"r{index}_")
        if name == "project":
            as_of = args.get("as_of")
            query = inputs.ProjectQuery(as_of=as_of)
            plan = Plan(name, nodes, b, query, binds.as_of_bind(query, b))
            plan.code = b("code", args["code"], Text)
        elif name == "projects":
            try:
                limit, offset, anchor = keyed_window(args.get("first"), args.get("after"), settings)
                query = project_query(
                    args.get("filter"),
                    args.get("bbox"),
                    args.get("intersects"),
                    args.get("near"),
                    args.get("order_by"),
                    args.get("as_of"),
                    anchor,
                )
            except RegistryError as exc:
                raise Unsupported("refused input: graphene reports it") from exc
            plan = Plan(name, nodes, b, query, binds.as_of_bind(query, b))
            plan.limit, plan.offset = b("limit", limit, Integer), b("offset", offset, Integer)
            plan.after_row = b("after_row", anchor is not None, Boolean)
            plan.rows, plan.count = queries.projects_matched(query, b, f"hits{index}")
        else:
            raise Unsupported(name)
        plan.day = b("day", disclosures.judging_day(query.as_of), Date)
        return plan

    def project_root(self, plan: Plan, index: int) -> Any:
        row = select(*PROJECT_COLUMNS, literal(None).label("distance")).where(P.c.code == plan.code)
        if plan.as_of is not None:
            row = row.where(binds.known_at(plan.as_of))
        found = row.subquery(f"one{index}")
        laterals: list = []
        value = self.project(plan.nodes, found, plan, laterals)
        return raw(select(value).select_from(beside(found, laterals)).scalar_subquery())

    def projects(self, plan: Plan, index: int) -> Any:
        limit, offset, rows, count = plan.limit, plan.offset, plan.rows, plan.count
        assert limit is not None and offset is not None and rows is not None and count is not None
        ordered = rows.limit(limit + 1).offset(offset).subquery(f"o{index}")
        page = select(ordered, func.row_number().over().label("n")).cte(f"page{index}")
        in_page = page.c.n <= limit

        def cursor(row_id: Any) -> Any:  # a row's key cursor, as encode_key writes it
            encoded = func.encode(
                func.convert_to(literal(KEY_PREFIX) + cast(row_id, Text), "UTF8"), "base64"
            )
            return string(func.translate(encoded, "+/", "-_"))

        pairs = []
        value: Any
        for key, found in self.fields("ProjectConnection", plan.nodes).items():
            name = found[0].name.value
            if name == "totalCount":
                value = integer(count.scalar_subquery())
            elif name == "nodes":
                laterals: list = []
                item = self.project(found, page, plan, laterals)
                value = self._page(item, page, in_page, laterals)
            elif name == "edges":
                laterals = []
                item = self._edge(found, page, cursor, plan, laterals)
                value = self._page(item, page, in_page, laterals)
            elif name == "pageInfo":
                value = self._page_info(found, page, cursor, plan)
            elif name == "__typename":
                value = constant("ProjectConnection")
            else:
                raise Unsupported(name)
            pairs.append((key, value))
        return json_object(pairs)

    @staticmethod
    def _page(item: Any, page: Any, in_page: Any, laterals: list) -> Any:
        return (
            select(json_list(item, page.c.n))
            .select_from(beside(page, laterals))
            .where(in_page)
            .scalar_subquery()
        )

    def _edge(self, nodes: Nodes, page: Any, cursor: Any, plan: Plan, laterals: list) -> Any:
        pairs = []
        for key, found in self.fields("ProjectEdge", nodes).items():
            name = found[0].name.value
            if name == "node":
                pairs.append((key, self.project(found, page, plan, laterals)))
            elif name == "cursor":
                pairs.append((key, cursor(page.c.id)))
            elif name == "__typename":
                pairs.append((key, constant("ProjectEdge")))
            else:
                raise Unsupported(name)
        return json_object(pairs)

    def _page_info(self, nodes: Nodes, page: Any, cursor: Any, plan: Plan) -> Any:
        limit, offset = plan.limit, plan.offset
        assert limit is not None and offset is not None and plan.after_row is not None
        rows = select(func.count()).select_from(page).scalar_subquery()
        shown = func.least(rows, limit)

        def row_at(n: Any) -> Any:
            return select(page.c.id).where(page.c.n == n).scalar_subquery()

        columns = {
            "hasNextPage": boolean(rows > limit),
            "hasPreviousPage": boolean(or_(offset > 0, plan.after_row)),
            "startCursor": case((shown > 0, cursor(row_at(1))), else_=NULL),
            "endCursor": case((shown > 0, cursor(row_at(shown))), else_=NULL),
            "__typename": constant("PageInfo"),
        }
        return self._scalars("PageInfo", columns, nodes)


@dataclass
class Plan:
    """A root field's request values, as named bound parameters."""

    name: str
    nodes: Nodes
    binds: binds.Binds
    query: inputs.ProjectQuery
    as_of: BindParameter[dt.datetime] | None
    code: BindParameter[str] | None = None
    limit: BindParameter[int] | None = None
    count: Select[Any] | None = None
    offset: BindParameter[int] | None = None
    after_row: BindParameter[bool] | None = None
    rows: Select[Any] | None = None
    day: BindParameter[dt.date] | None = None

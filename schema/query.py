"""The root Query: projects (with spatial filters), disclosures, departments, the catalog."""

from __future__ import annotations

import graphene

from registry import queries
from registry.categories import Category
from schema.catalog_types import CatalogCategory, catalog_categories
from schema.pagination import Page, connection_type, page_window
from schema.scalars import CategoryKey, GeoJSON, ProjectOrder, ProjectStatus, ProjectType
from schema.types import DISCLOSURE_TYPES, Department, Disclosure, Project

ProjectConnection = connection_type(Project, "Project")
DisclosureConnection = connection_type(Disclosure, "Disclosure")


def _value(enum_value):
    return getattr(enum_value, "value", enum_value)


class DateRange(graphene.InputObjectType):
    from_ = graphene.Date(name="from", description="On or after this day.")
    to = graphene.Date(description="On or before this day.")


class NearInput(graphene.InputObjectType):
    lon = graphene.Float(required=True, description="Longitude, WGS 84.")
    lat = graphene.Float(required=True, description="Latitude, WGS 84.")
    meters = graphene.Float(required=True, description="Geodesic distance in metres.")


class ProjectFilter(graphene.InputObjectType):
    text = graphene.String(description="Substring of the name or description (Chinese works: "
                           "地铁 finds 南昌地铁4号线), or an exact project code.")
    region_code = graphene.String(description="Division code or prefix: 3601 or 360100 is the "
                                  "whole city, 360111 one district.")
    status = graphene.List(graphene.NonNull(ProjectStatus))
    type = graphene.List(graphene.NonNull(ProjectType))
    industry = graphene.List(graphene.NonNull(graphene.String))
    responsible_department = graphene.String(description="Department code responsible for "
                                             "any category of the project.")
    has_category = graphene.List(graphene.NonNull(CategoryKey),
                                 description="Has public disclosures in each of these.")
    lacks_category = graphene.List(graphene.NonNull(CategoryKey),
                                   description="Has no public disclosure in any of these.")
    approved_on = graphene.InputField(DateRange)
    started_on = graphene.InputField(DateRange)
    completed_on = graphene.InputField(DateRange)


class DisclosureFilter(graphene.InputObjectType):
    category = graphene.List(graphene.NonNull(CategoryKey))
    item = graphene.List(graphene.NonNull(graphene.String), description="Catalog item keys.")
    project_code = graphene.String()
    publisher = graphene.String(description="Department code.")
    region_code = graphene.String()
    formed_on = graphene.InputField(DateRange)
    published_from = graphene.DateTime()
    published_to = graphene.DateTime()


def _range(value) -> queries.DateRange | None:
    if not value:
        return None
    return queries.DateRange(value.get("from_"), value.get("to"))


def project_query(filter=None, bbox=None, intersects=None, near=None, order_by=None
                  ) -> queries.ProjectQuery:
    f = filter or {}
    return queries.validate_project_query(queries.ProjectQuery(
        text=f.get("text"), region_code=f.get("region_code"),
        statuses=[_value(s) for s in f.get("status") or []],
        types=[_value(t) for t in f.get("type") or []], industries=f.get("industry") or [],
        responsible_department=f.get("responsible_department"),
        has_categories=[_value(c) for c in f.get("has_category") or []],
        lacks_categories=[_value(c) for c in f.get("lacks_category") or []],
        approved_on=_range(f.get("approved_on")), started_on=_range(f.get("started_on")),
        completed_on=_range(f.get("completed_on")), bbox=bbox, intersects=intersects,
        near=queries.Near(near["lon"], near["lat"], near["meters"]) if near else None,
        order=_value(order_by) or ("DISTANCE" if near else "CODE")))


def disclosure_query(filter=None) -> queries.DisclosureQuery:
    f = filter or {}
    return queries.DisclosureQuery(
        categories=[_value(c) for c in f.get("category") or []], items=f.get("item") or [],
        project_code=f.get("project_code"), publisher=f.get("publisher"),
        region_code=f.get("region_code"), formed_on=_range(f.get("formed_on")),
        published_from=f.get("published_from"), published_to=f.get("published_to"))


async def fetch_page(engine, search, count, query, limit: int, offset: int) -> Page:
    async with engine.connect() as conn:
        rows = await search(conn, query, limit + 1, offset)

    async def total() -> int:
        async with engine.connect() as conn:
            return await count(conn, query)

    return Page(rows=rows[:limit], offset=offset, has_next=len(rows) > limit, count=total)


class Query(graphene.ObjectType):
    projects = graphene.Field(
        ProjectConnection, required=True,
        filter=ProjectFilter(), bbox=graphene.List(graphene.NonNull(graphene.Float),
                                                   description="[minLon, minLat, maxLon, maxLat], WGS 84."),
        intersects=GeoJSON(description="Projects with a site intersecting this geometry (WGS 84)."),
        near=NearInput(description="Projects with a site within `meters` of the point."),
        order_by=ProjectOrder(), first=graphene.Int(), after=graphene.String(),
        description="Projects, filtered and paged. With `near`, nearest first by default.")
    project = graphene.Field(Project, code=graphene.String(required=True))
    disclosures = graphene.Field(DisclosureConnection, required=True, filter=DisclosureFilter(),
                                 first=graphene.Int(), after=graphene.String(),
                                 description="Public disclosures, newest first.")
    disclosure = graphene.Field(Disclosure, id=graphene.ID(required=True))
    departments = graphene.List(graphene.NonNull(Department), required=True)
    department = graphene.Field(Department, code=graphene.String(required=True))
    categories = graphene.List(graphene.NonNull(CatalogCategory), required=True,
                               description="The catalog: categories, items, elements, time limits.")

    @staticmethod
    async def resolve_projects(root, info, filter=None, bbox=None, intersects=None, near=None,
                               order_by=None, first=None, after=None):
        ctx = info.context
        limit, offset = page_window(first, after, ctx.settings)
        query = project_query(filter, bbox, intersects, near, order_by)
        return await fetch_page(ctx.engine, queries.search_projects, queries.count_projects,
                                query, limit, offset)

    @staticmethod
    async def resolve_project(root, info, code):
        async with info.context.engine.connect() as conn:
            return (await queries.projects_by_codes(conn, [code])).get(code)

    @staticmethod
    async def resolve_disclosures(root, info, filter=None, first=None, after=None):
        ctx = info.context
        limit, offset = page_window(first, after, ctx.settings)
        return await fetch_page(ctx.engine, queries.search_disclosures, queries.count_disclosures,
                                disclosure_query(filter), limit, offset)

    @staticmethod
    async def resolve_disclosure(root, info, id):
        if not str(id).isdigit():
            return None
        async with info.context.engine.connect() as conn:
            return await queries.disclosure_by_id(conn, int(id))

    @staticmethod
    async def resolve_departments(root, info):
        async with info.context.engine.connect() as conn:
            return await queries.departments(conn)

    @staticmethod
    async def resolve_department(root, info, code):
        async with info.context.engine.connect() as conn:
            found = await queries.departments(conn, code)
        return found[0] if found else None

    @staticmethod
    def resolve_categories(root, info):
        return catalog_categories()


ALL_TYPES = list(DISCLOSURE_TYPES.values())
__all__ = ["Query", "ALL_TYPES", "Category"]

"""The root Query: projects (with spatial filters), disclosures, departments, the catalog."""

from __future__ import annotations

from typing import Any

import graphene
from graphql import GraphQLResolveInfo

from registry.catalog import Category
from registry.errors import Forbidden, Unauthenticated
from registry.identifiers import digits
from registry.language import say
from registry.publishing import audit
from registry.reading import disclosures, inputs, queries
from schema.catalog_types import CatalogCategory, catalog_categories
from schema.changes import CHANGES_FIELD, resolve_changes
from schema.pagination import Page, connection_type, keyed_window, page_window
from schema.scalars import (
    JSON,
    CategoryKey,
    GeoJSON,
    ProjectOrder,
    ProjectStatus,
    ProjectType,
    Timestamp,
    unwrap,
)
from schema.types import DISCLOSURE_TYPES, Department, Disclosure, Project

ProjectConnection = connection_type(Project, "Project")
DisclosureConnection = connection_type(Disclosure, "Disclosure")


class DateRange(graphene.InputObjectType):
    from_ = graphene.Date(name="from", description="On or after this day.")
    to = graphene.Date(description="On or before this day.")


class NearInput(graphene.InputObjectType):
    lon = graphene.Float(required=True, description="Longitude, WGS 84.")
    lat = graphene.Float(required=True, description="Latitude, WGS 84.")
    meters = graphene.Float(required=True, description="Geodesic distance in metres.")


class ProjectFilter(graphene.InputObjectType):
    text = graphene.String(
        description="Substring of the name or description (Chinese works: "
        "地铁 finds 南昌地铁4号线), or an exact project code."
    )
    region_code = graphene.String(
        description="Division code or prefix: 3601 or 360100 is the "
        "whole city, 360111 one district."
    )
    status = graphene.List(graphene.NonNull(ProjectStatus))
    type = graphene.List(graphene.NonNull(ProjectType))
    industry = graphene.List(graphene.NonNull(graphene.String))
    responsible_department = graphene.String(
        description="Department code responsible for any category of the project."
    )
    has_category = graphene.List(
        graphene.NonNull(CategoryKey), description="Has public disclosures in each of these."
    )
    lacks_category = graphene.List(
        graphene.NonNull(CategoryKey), description="Has no public disclosure in any of these."
    )
    approved_on = graphene.InputField(DateRange)
    started_on = graphene.InputField(DateRange)
    completed_on = graphene.InputField(DateRange)
    list = graphene.ID(
        description="On this list of major projects (projectLists) on the day asked "
        "(asOf, default today)."
    )
    major = graphene.Boolean(
        description="true: major projects on the day asked (on a list in force, or "
        "designated); false: the others."
    )
    updated_since = Timestamp(
        description="Registered or changed at or after this moment (a mirror's catch-up; "
        "the change stream, `changes`, says what changed)."
    )


class DisclosureFilter(graphene.InputObjectType):
    category = graphene.List(graphene.NonNull(CategoryKey))
    item = graphene.List(graphene.NonNull(graphene.String), description="Catalog item keys.")
    project_code = graphene.String()
    publisher = graphene.String(description="Department code.")
    region_code = graphene.String()
    formed_on = graphene.InputField(DateRange)
    published_from = Timestamp()
    published_to = Timestamp()
    withdrawn = graphene.Boolean(
        description="true: the withdrawn items (with when, why and by whom) instead of the "
        "public ones."
    )
    updated_since = Timestamp(
        description="Published (a revision) or withdrawn at or after this moment."
    )


def _range(value: Any) -> inputs.DateRange | None:
    if not value:
        return None
    return inputs.DateRange(value.get("from_"), value.get("to"))


def project_query(
    filter: Any = None,
    bbox: Any = None,
    intersects: Any = None,
    near: Any = None,
    order_by: Any = None,
    as_of: Any = None,
    after_id: int | None = None,
) -> inputs.ProjectQuery:
    f = filter or {}
    return inputs.validate_project_query(
        inputs.ProjectQuery(
            text=f.get("text"),
            region_code=f.get("region_code"),
            statuses=[unwrap(s) for s in f.get("status") or []],
            types=[unwrap(t) for t in f.get("type") or []],
            industries=f.get("industry") or [],
            responsible_department=f.get("responsible_department"),
            has_categories=[unwrap(c) for c in f.get("has_category") or []],
            lacks_categories=[unwrap(c) for c in f.get("lacks_category") or []],
            approved_on=_range(f.get("approved_on")),
            started_on=_range(f.get("started_on")),
            completed_on=_range(f.get("completed_on")),
            list_id=inputs.record_id(f["list"], "filter.list")
            if f.get("list") is not None
            else None,
            major=f.get("major"),
            bbox=bbox,
            intersects=intersects,
            near=inputs.Near(near["lon"], near["lat"], near["meters"]) if near else None,
            order=unwrap(order_by) or ("DISTANCE" if near else "CODE"),
            as_of=as_of,
            updated_since=f.get("updated_since"),
            after_id=after_id,
        )
    )


def disclosure_query(
    filter: Any = None, as_of: Any = None, after_id: int | None = None
) -> inputs.DisclosureQuery:
    f = filter or {}
    return inputs.DisclosureQuery(
        after_id=after_id,
        updated_since=f.get("updated_since"),
        categories=[unwrap(c) for c in f.get("category") or []],
        items=f.get("item") or [],
        project_code=f.get("project_code"),
        publisher=f.get("publisher"),
        region_code=f.get("region_code"),
        formed_on=_range(f.get("formed_on")),
        published_from=f.get("published_from"),
        published_to=f.get("published_to"),
        withdrawn=bool(f.get("withdrawn")),
        as_of=as_of,
    )


async def fetch_page(
    engine: Any, search: Any, count: Any, query: Any, limit: int, offset: int
) -> Page:
    async with engine.connect() as conn:
        rows = [
            {**row, "_as_of": query.as_of} for row in await search(conn, query, limit + 1, offset)
        ]

    async def total() -> int:
        async with engine.connect() as conn:
            return await count(conn, query)

    keyed = hasattr(query, "after_id")
    return Page(rows=rows[:limit], offset=offset, has_next=len(rows) > limit, count=total,
                keyed=keyed, after_key=keyed and query.after_id is not None)  # fmt: skip


class AuditEntry(graphene.ObjectType):
    """One write, or one refused write attempt."""

    id = graphene.ID(required=True)
    at = Timestamp(required=True)
    actor = graphene.String(
        required=True,
        description="Department code, admin:CODE, or why "
        "there was no actor (missing-key, revoked-key:ID…).",
    )
    path = graphene.String(required=True, description="mutation:NAME, loader:FILE, cli:…")
    action = graphene.String(required=True)
    target = graphene.String(required=True)
    outcome = graphene.String(required=True, description="ok or refused")
    detail = JSON(
        required=True,
        description="What changed (before/after ids, counts) or the problems that refused it.",
    )


AuditConnection = connection_type(AuditEntry, "Audit")


class ComplianceScore(graphene.ObjectType):
    """One department's record in one category (考核)."""

    department = graphene.Field(Department, required=True)
    category = graphene.Field(CategoryKey, required=True)
    published = graphene.Int(required=True)
    on_time = graphene.Int(required=True)
    late = graphene.Int(required=True)
    overdue = graphene.Int(required=True, description="Drafts past their deadline.")
    no_deadline = graphene.Int(
        required=True, description="Real-time, prompt or event-driven items."
    )
    on_time_rate = graphene.Float(
        description="on time / (on time + late); null when nothing counts."
    )
    working_days_late = graphene.Int(required=True, description="Sum over late items.")
    overdue_items = JSON(
        required=True,
        description="Drafts past their deadline: id, project, "
        "item, deadline, working_days_overdue.",
    )
    out_of_scope = graphene.Int(
        required=True,
        description="Of the published, those on projects not in scope (not major) that day: "
        "counted apart; overdue counts major projects only.",
    )


class Viewer(graphene.ObjectType):
    """Who the API takes the caller to be."""

    authenticated = graphene.Boolean(required=True)
    department = graphene.String()
    is_admin = graphene.Boolean(required=True)


def _actor(info: GraphQLResolveInfo, admin: bool = False) -> Any:
    actor = info.context.credentials.actor
    if actor is None:
        raise Unauthenticated.one("", "unauthenticated", say("this needs a department key"))
    if admin and not actor.is_admin:
        raise Forbidden.one("", "admin_only", say("only an administrator's key may read this"))
    return actor


ScoreScope = graphene.Enum(
    "ScoreScope",
    [("PUBLIC", "public"), ("ALL", "all")],
    description="What a scoreboard counts: what the public can see, or everything (admin).",
)

AS_OF_DESCRIPTION = (
    "Answer as the register stood at this moment: which items were public, in which "
    "revision, withdrawn or not (projects registered by then; their own fields as now)."
)


class Query(graphene.ObjectType):
    projects = graphene.Field(
        ProjectConnection,
        required=True,
        filter=ProjectFilter(),
        bbox=graphene.List(
            graphene.NonNull(graphene.Float),
            description="[minLon, minLat, maxLon, maxLat], WGS 84.",
        ),
        intersects=GeoJSON(description="Projects with a site intersecting this geometry (WGS 84)."),
        near=NearInput(description="Projects with a site within `meters` of the point."),
        order_by=ProjectOrder(),
        first=graphene.Int(),
        after=graphene.String(),
        as_of=Timestamp(description=AS_OF_DESCRIPTION),
        description="Projects, filtered and paged. With `near`, nearest first by default.",
    )
    project = graphene.Field(
        Project,
        code=graphene.String(required=True),
        as_of=Timestamp(description=AS_OF_DESCRIPTION),
    )
    disclosures = graphene.Field(
        DisclosureConnection,
        required=True,
        filter=DisclosureFilter(),
        first=graphene.Int(),
        after=graphene.String(),
        as_of=Timestamp(description=AS_OF_DESCRIPTION),
        description="Public disclosures (or, with `filter: {withdrawn: true}`, the withdrawn "
        "ones), newest first.",
    )
    disclosure = graphene.Field(
        Disclosure,
        id=graphene.ID(required=True),
        as_of=Timestamp(description=AS_OF_DESCRIPTION),
        description="Any revision the public may know of: the current one, an earlier one "
        "(SUPERSEDED), or one of a withdrawn item (WITHDRAWN, content hidden). Null for "
        "drafts, items for specific groups, and ids unknown (or not yet published at `asOf`).",
    )
    departments = graphene.List(graphene.NonNull(Department), required=True)
    department = graphene.Field(Department, code=graphene.String(required=True))
    categories = graphene.List(
        graphene.NonNull(CatalogCategory),
        required=True,
        description="The catalog: categories, items, elements, time limits.",
    )
    viewer = graphene.Field(Viewer, required=True)
    compliance_scoreboard = graphene.List(
        graphene.NonNull(ComplianceScore),
        required=True,
        from_=graphene.Date(name="from"),
        to=graphene.Date(),
        department=graphene.String(),
        list=graphene.ID(description="Only the projects on this list on the day judged."),
        as_of=Timestamp(description=AS_OF_DESCRIPTION),
        scope=graphene.Argument(
            lambda: ScoreScope,
            default_value="public",
            description="PUBLIC (default): what anyone can see and check. ALL (administrators' "
            "keys): every current item, drafts (overdue ones listed) and items for specific "
            "groups included.",
        ),
        description="Per department and category: published, on time, late, overdue (by "
        "formedOn). Timeliness: docs/compliance.md.",
    )
    my_drafts = graphene.Field(
        DisclosureConnection,
        required=True,
        first=graphene.Int(),
        after=graphene.String(),
        description="Your department's unpublished drafts (needs a key).",
    )
    audit_log = graphene.Field(
        AuditConnection,
        required=True,
        first=graphene.Int(),
        after=graphene.String(),
        actor=graphene.String(),
        outcome=graphene.String(),
        target=graphene.String(),
        description="Every write and refused write, newest first (admin).",
    )
    changes = CHANGES_FIELD
    resolve_changes = staticmethod(resolve_changes)

    @staticmethod
    async def resolve_projects(
        root: Any,
        info: GraphQLResolveInfo,
        filter: Any = None,
        bbox: Any = None,
        intersects: Any = None,
        near: Any = None,
        order_by: Any = None,
        first: Any = None,
        after: Any = None,
        as_of: Any = None,
    ) -> Any:
        ctx = info.context
        limit, offset, anchor = keyed_window(first, after, ctx.settings)
        query = project_query(filter, bbox, intersects, near, order_by, as_of, anchor)
        return await fetch_page(
            ctx.engine, queries.search_projects, queries.count_projects, query, limit, offset
        )

    @staticmethod
    async def resolve_project(
        root: Any, info: GraphQLResolveInfo, code: Any, as_of: Any = None
    ) -> Any:
        async with info.context.engine.connect() as conn:
            row = (await queries.projects_by_codes(conn, [code], as_of)).get(code)
        return {**row, "_as_of": as_of} if row else None

    @staticmethod
    async def resolve_disclosures(
        root: Any,
        info: GraphQLResolveInfo,
        filter: Any = None,
        first: Any = None,
        after: Any = None,
        as_of: Any = None,
    ) -> Any:
        ctx = info.context
        limit, offset, anchor = keyed_window(first, after, ctx.settings)
        return await fetch_page(
            ctx.engine,
            disclosures.search_disclosures,
            disclosures.count_disclosures,
            disclosure_query(filter, as_of, anchor),
            limit,
            offset,
        )

    @staticmethod
    async def resolve_disclosure(
        root: Any, info: GraphQLResolveInfo, id: Any, as_of: Any = None
    ) -> Any:
        if not digits(str(id)) or len(str(id)) > 18:
            return None
        async with info.context.engine.connect() as conn:
            row = await disclosures.disclosure_by_id(conn, int(id), as_of)
        return {**row, "_as_of": as_of} if row else None

    @staticmethod
    async def resolve_departments(root: Any, info: GraphQLResolveInfo) -> Any:
        async with info.context.engine.connect() as conn:
            return await queries.departments(conn)

    @staticmethod
    async def resolve_department(root: Any, info: GraphQLResolveInfo, code: Any) -> Any:
        async with info.context.engine.connect() as conn:
            found = await queries.departments(conn, code)
        return found[0] if found else None

    @staticmethod
    def resolve_categories(root: Any, info: GraphQLResolveInfo) -> Any:
        return catalog_categories()

    @staticmethod
    async def resolve_compliance_scoreboard(
        root: Any,
        info: GraphQLResolveInfo,
        from_: Any = None,
        to: Any = None,
        department: Any = None,
        as_of: Any = None,
        scope: Any = "public",
        list: Any = None,
    ) -> Any:
        public = unwrap(scope) != "all"
        if not public:
            _actor(info, admin=True)
        list_id = inputs.record_id(list, "list") if list is not None else None
        async with info.context.engine.connect() as conn:
            scores = await queries.scoreboard(conn, public, as_of, from_, to, list_id)
            departments = {d["code"]: d for d in await queries.departments(conn)}
        return [
            ComplianceScore(
                department=departments[s.department],
                category=s.category,
                published=s.published,
                on_time=s.on_time,
                late=s.late,
                overdue=s.overdue,
                no_deadline=s.no_deadline,
                on_time_rate=s.on_time_rate,
                working_days_late=s.working_days_late,
                overdue_items=s.overdue_items,
                out_of_scope=s.out_of_scope,
            )
            for s in scores
            if department in (None, s.department)
        ]

    @staticmethod
    def resolve_viewer(root: Any, info: GraphQLResolveInfo) -> Any:
        actor = info.context.credentials.actor
        return Viewer(
            authenticated=actor is not None,
            department=actor.department if actor else None,
            is_admin=bool(actor and actor.is_admin),
        )

    @staticmethod
    async def resolve_my_drafts(
        root: Any, info: GraphQLResolveInfo, first: Any = None, after: Any = None
    ) -> Any:
        actor = _actor(info)
        limit, offset = page_window(first, after, info.context.settings)
        async with info.context.engine.connect() as conn:
            rows = [
                {**row, "_as_of": None}
                for row in await disclosures.drafts_of(
                    conn, actor.department or "", limit + 1, offset
                )
            ]
        return Page(
            rows=rows[:limit],
            offset=offset,
            has_next=len(rows) > limit,
            count=lambda: _count_drafts(info, actor.department or ""),
        )

    @staticmethod
    async def resolve_audit_log(
        root: Any,
        info: GraphQLResolveInfo,
        first: Any = None,
        after: Any = None,
        actor: Any = None,
        outcome: Any = None,
        target: Any = None,
    ) -> Any:
        _actor(info, admin=True)
        limit, offset = page_window(first, after, info.context.settings)
        async with info.context.engine.connect() as conn:
            rows = await audit.entries(conn, actor, outcome, target, limit + 1, offset)
        return Page(
            rows=rows[:limit],
            offset=offset,
            has_next=len(rows) > limit,
            count=lambda: _count_audit(info, actor, outcome, target),
        )


async def _count_audit(info: GraphQLResolveInfo, actor: Any, outcome: Any, target: Any) -> Any:
    async with info.context.engine.connect() as conn:
        return await audit.count(conn, actor, outcome, target)


async def _count_drafts(info: GraphQLResolveInfo, department: Any) -> Any:
    async with info.context.engine.connect() as conn:
        return await disclosures.count_drafts(conn, department)


ALL_TYPES = list(DISCLOSURE_TYPES.values())
__all__ = ["Query", "ALL_TYPES", "Category"]

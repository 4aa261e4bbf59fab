"""Object types: projects, sites, departments, responsibilities and disclosures.

One disclosure type per category is generated from the catalog: its element fields come
from the catalog's single definition of each element (type, names), not from a copy.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import graphene
from graphql import GraphQLResolveInfo

from registry.catalog import Category, Element, get_catalog
from registry.compliance import scores as compliance
from registry.links import shown_url
from registry.models import DECLARATION_KINDS, LIST_LEVELS
from registry.reading.scope import scope_day
from schema import geometry as geo
from schema.catalog_types import CatalogItem, category_type_name, graphql_field_name
from schema.scalars import (
    JSON,
    CategoryKey,
    GeoJSON,
    OutputCRS,
    ProjectStatus,
    ProjectType,
    Timestamp,
    unwrap,
)


def _crs(value: Any) -> str:
    return unwrap(value) or "wgs84"


class Department(graphene.ObjectType):
    """A publishing body (公开主体)."""

    code = graphene.String(required=True)
    name = graphene.String(required=True)
    name_en = graphene.String()
    kind = graphene.String(required=True)
    uscc = graphene.String(description="统一社会信用代码 (unified social credit code).")
    region_code = graphene.String()
    roles = graphene.List(graphene.NonNull(graphene.String), required=True)
    is_synthetic = graphene.Boolean(required=True, description="Invented demo data (演示数据).")


class Site(graphene.ObjectType):
    """One geometry of a project (a line, its stations, a parcel...)."""

    id = graphene.ID(required=True)
    name = graphene.String()
    kind = graphene.String()
    geometry = GeoJSON(required=True, crs=OutputCRS(default_value="wgs84"))

    @staticmethod
    def resolve_geometry(root: Any, info: GraphQLResolveInfo, crs: Any = "wgs84") -> Any:
        return geo.geojson_out(root["geojson"], _crs(crs))


class Responsibility(graphene.ObjectType):
    """谁公开，谁负责: the department that must publish a category (or some of its items)."""

    category = graphene.Field(CategoryKey, required=True)
    category_name_zh = graphene.String(required=True)
    department = graphene.Field(Department, required=True)
    item_keys = graphene.List(
        graphene.NonNull(graphene.String),
        description="Only these items of the category; null: all of them.",
    )
    source = graphene.String(required=True, description="catalog (default) or assigned.")

    @staticmethod
    def resolve_category_name_zh(root: Any, info: GraphQLResolveInfo) -> Any:
        return get_catalog().category_name_zh(root["category"])

    @staticmethod
    def resolve_department(root: Any, info: GraphQLResolveInfo) -> Any:
        return info.context.loaders.departments.load(root["department_id"])


class Document(graphene.ObjectType):
    title = graphene.String(required=True)
    url = graphene.String(
        description="An http(s) address or a path of this register's; null where a stored link "
        "is neither (a javascript: or data: link is refused when written, and never handed on)."
    )

    link_status = graphene.Field(
        graphene.NonNull(lambda: LinkStatus),
        description="What the last link check (registry links check, daily) found at the URL "
        "now, whatever moment the item is read at: UNCHECKED until the first check.",
    )
    link_reason = graphene.String(
        description="Why the link is not OK (soft_404, login_page, home_redirect, "
        "html_for_document, content_changed, http_404, timeout, ...); null when it is."
    )
    checked_at = Timestamp(description="When the link was last checked.")
    moved_to = graphene.String(description="The new address of a link that MOVED.")
    archived_copy = graphene.Field(
        lambda: ArchivedCopy,
        description="The copy kept at the first good fetch, served by this register (null "
        "when none was kept, or when it holds personal data).",
    )

    @staticmethod
    def resolve_title(root: Any, info: GraphQLResolveInfo) -> Any:
        return root.get("title")

    @staticmethod
    def resolve_url(root: Any, info: GraphQLResolveInfo) -> Any:
        return shown_url(root.get("url"))

    @staticmethod
    async def _link(root: Any, info: GraphQLResolveInfo) -> Any:
        url = root.get("url")
        return await info.context.loaders.links.load(url) if shown_url(url) else None

    @staticmethod
    async def resolve_link_status(root: Any, info: GraphQLResolveInfo) -> Any:
        link = await Document._link(root, info)
        return link.shown.upper() if link else "UNCHECKED"

    @staticmethod
    async def resolve_link_reason(root: Any, info: GraphQLResolveInfo) -> Any:
        link = await Document._link(root, info)
        if link is not None and link.shown == "failing":
            return link.last_failure
        return link.reason if link and link.state != "ok" else None

    @staticmethod
    async def resolve_checked_at(root: Any, info: GraphQLResolveInfo) -> Any:
        link = await Document._link(root, info)
        return link.checked_at if link else None

    @staticmethod
    async def resolve_moved_to(root: Any, info: GraphQLResolveInfo) -> Any:
        link = await Document._link(root, info)
        return shown_url(link.moved_to) if link and link.state == "moved" else None

    @staticmethod
    async def resolve_archived_copy(root: Any, info: GraphQLResolveInfo) -> Any:
        link = await Document._link(root, info)
        if link is None or link.copy_path is None:
            return None
        return {"url": info.context.absolute(link.copy_path), "sha256": link.kept_sha256,
                "kept_at": link.kept_at}  # fmt: skip


class LinkStatus(graphene.Enum):
    """The state of a document link (杜绝错链、断链)."""

    UNCHECKED = "UNCHECKED"
    FAILING = "FAILING"
    OK = "OK"
    MOVED = "MOVED"
    BROKEN = "BROKEN"
    WRONG = "WRONG"
    CHANGED = "CHANGED"

    @property
    def description(self) -> str:
        return {
            "UNCHECKED": "Not checked yet.",
            "FAILING": "Never seen working, and failing so far; declared BROKEN once it failed "
            "several checks over several days (an outage is not a broken link).",
            "OK": "The document answers as published.",
            "MOVED": "Permanently redirected (movedTo proposes the new address).",
            "BROKEN": "Failing on several checks over several days (DNS, TLS, refused, "
            "timeout, 4xx/5xx, redirect loop).",
            "WRONG": "Answers, but not with the document: an error or login page, the site's "
            "home page, a web page where a file is promised, another kind of file.",
            "CHANGED": "A different file than the one published (see archivedCopy).",
        }[self.name]


class ArchivedCopy(graphene.ObjectType):
    """A document as it was first fetched, kept by this register (content-addressed)."""

    url = graphene.String(required=True)
    sha256 = graphene.String(required=True)
    kept_at = Timestamp(required=True)


DisclosureStatus = graphene.Enum(
    "DisclosureStatus",
    [(s.upper(), s) for s in ("draft", "published", "superseded", "withdrawn")],
    description="DRAFT (its department only), PUBLISHED, SUPERSEDED by a correction, or "
    "WITHDRAWN (its item was: content hidden, the withdrawal shown).",
)


class DisclosureRevision(graphene.ObjectType):
    """One revision in a disclosure's history: who published it, when, and why it changed."""

    id = graphene.ID(required=True)
    revision = graphene.Int(required=True)
    status = graphene.Field(
        DisclosureStatus,
        required=True,
        description=(
            "This revision's own fate: PUBLISHED (the current one), SUPERSEDED (a correction "
            "replaced it; it stays so if the item is withdrawn later) or WITHDRAWN (it was the "
            "current revision when the item was withdrawn)."
        ),
    )
    title = graphene.String(required=True)
    formed_on = graphene.Date(required=True)
    published_at = Timestamp()
    publisher = graphene.Field(Department, required=True)
    correction_reason = graphene.String(description="Why this revision corrected the one before.")
    superseded_at = Timestamp(description="When the correction that replaced it was published.")
    superseded_reason = graphene.String(description="Why it was corrected (that correction's).")
    superseded_by = graphene.ID(description="The id of the revision that replaced it.")
    withdrawn_reason = graphene.String(description="Set on the withdrawn revision only.")
    withdrawn_at = Timestamp(description="Set on the withdrawn revision only.")
    elements = JSON(
        required=True,
        description="The content elements of this revision (empty when its item is withdrawn).",
    )

    @staticmethod
    def resolve_status(root: Any, info: GraphQLResolveInfo) -> Any:
        return root["public_status"]

    @staticmethod
    def resolve_superseded_by(root: Any, info: GraphQLResolveInfo) -> Any:
        return root["superseded_by_id"]

    @staticmethod
    def resolve_withdrawn_reason(root: Any, info: GraphQLResolveInfo) -> Any:
        return root["lineage_withdrawn_reason"] if root["public_status"] == "withdrawn" else None

    @staticmethod
    def resolve_withdrawn_at(root: Any, info: GraphQLResolveInfo) -> Any:
        return root["lineage_withdrawn_at"] if root["public_status"] == "withdrawn" else None

    @staticmethod
    def resolve_publisher(root: Any, info: GraphQLResolveInfo) -> Any:
        return info.context.loaders.departments.load(root["publisher_id"])


class Timeliness(graphene.ObjectType):
    """Was it published within its time limit, in official working days?"""

    status = graphene.String(
        required=True, description="on_time, late, pending, overdue or no_deadline."
    )
    deadline = graphene.Date()
    working_days_late = graphene.Int(required=True)
    provisional = graphene.Boolean(
        required=True,
        description="The deadline falls in a year without official working-day data yet "
        "(weekends and statutory holidays only): it may move when the notice is published.",
    )


class Withdrawal(graphene.ObjectType):
    """When, why and by whom an item was withdrawn (撤回)."""

    at = Timestamp(required=True)
    reason = graphene.String(required=True)
    by = graphene.Field(Department, description="The department that withdrew it.")

    @staticmethod
    def resolve_by(root: Any, info: GraphQLResolveInfo) -> Any:
        by_id = root.get("by_id")
        return info.context.loaders.departments.load(by_id) if by_id is not None else None


class Completeness(graphene.ObjectType):
    """What a project at its stage should have published (catalog: expected_by_status)."""

    expected_items = graphene.List(graphene.NonNull(graphene.String), required=True)
    missing_items = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        description="Expected, not published and not declared (不涉及 / 尚未形成).",
    )
    declared_items = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        description="Expected, not published, declared by the responsible body instead.",
    )
    missing_categories = graphene.List(graphene.NonNull(CategoryKey), required=True)
    complete = graphene.Boolean(required=True)
    applies = graphene.Boolean(
        required=True,
        description="The obligation applies: the project is major (in scope) on the day; "
        "a project out of scope may publish, and is not held to what is expected.",
    )


@cache
def _catalog_item(key: str) -> CatalogItem:
    return CatalogItem.from_item(get_catalog().known_item(key))


catalog_item = _catalog_item


ListLevel = graphene.Enum(
    "ListLevel", [(k.upper(), k) for k in LIST_LEVELS],
    description="国家 national, 省级 provincial, 市级 municipal, 县区级 district.",
)  # fmt: skip
DeclarationKind = graphene.Enum(
    "DeclarationKind", [(k.upper(), k) for k in DECLARATION_KINDS],
    description="不涉及 not applicable, 尚未形成 not yet formed.",
)  # fmt: skip


class ScopeReason(graphene.ObjectType):
    """Why a project is major on a day: a list it is on, an administrator's designation, or
    a scope rule it meets."""

    kind = graphene.String(required=True, description="list, designation or rule.")
    name = graphene.String(required=True)
    list_id = graphene.ID()
    doc_no = graphene.String()
    level = graphene.Field(ListLevel)
    row_no = graphene.String()
    rule = graphene.String(description="The scope rule's key (kind rule).")
    since = graphene.Date()


class ProjectScope(graphene.ObjectType):
    major = graphene.Boolean(
        required=True, description="A 重大建设项目 on the day: in scope of the register's rules."
    )
    on = graphene.Date(required=True)
    reasons = graphene.List(graphene.NonNull(ScopeReason), required=True)


class DeclarationType(graphene.ObjectType):
    """ "Not applicable" or "not yet formed" for a category (or one item) of a project, said
    by its responsible body instead of leaving the category empty."""

    class Meta:
        name = "Declaration"

    id = graphene.ID(required=True)
    category = graphene.Field(CategoryKey, required=True)
    item = graphene.Field(CatalogItem, description="Null: the whole category.")
    kind = graphene.Field(DeclarationKind, required=True)
    reason = graphene.String(required=True)
    expected_stage = graphene.String(description="For 尚未形成: when it is expected.")
    department = graphene.Field(Department, required=True)
    declared_at = graphene.DateTime(required=True)

    @staticmethod
    def resolve_category(root: Any, info: GraphQLResolveInfo) -> Any:
        return root["category"]

    @staticmethod
    def resolve_item(root: Any, info: GraphQLResolveInfo) -> Any:
        return _catalog_item(root["item_key"]) if root["item_key"] else None

    @staticmethod
    def resolve_department(root: Any, info: GraphQLResolveInfo) -> Any:
        return {"code": root["department_code"], "name": root["department_name"]}


class Disclosure(graphene.Interface):
    """One item of the catalog published for a project: its current revision, or (through
    `disclosure(id)` and `history`) an earlier one, or a withdrawn item."""

    id = graphene.ID(required=True)
    category = graphene.Field(CategoryKey, required=True)
    item = graphene.Field(CatalogItem, required=True)
    title = graphene.String(required=True)
    ref = graphene.String(required=True, description="The publisher's own reference, if any.")
    project = graphene.Field(lambda: Project, required=True)
    publisher = graphene.Field(Department, required=True)
    responsible_department = graphene.Field(
        Department, description="The body responsible for this item of this project."
    )
    formed_on = graphene.Date(
        required=True,
        description="When the information was formed or "
        "changed (or the decision was made): the deadline counts from it.",
    )
    status = graphene.Field(DisclosureStatus, required=True)
    published_at = Timestamp(description="When this revision was published; null for a draft.")
    first_published_at = Timestamp(
        description="When the item was first published (its first revision): timeliness "
        "is judged by it."
    )
    withdrawal = graphene.Field(Withdrawal, description="Set when the item was withdrawn.")
    current_revision = graphene.Field(
        lambda: Disclosure,
        description="The item's latest public revision (itself when it is the latest).",
    )
    deadline = graphene.Date(
        description="Last day to publish, in official working days; null "
        "for real-time, prompt and event-driven items."
    )
    revision = graphene.Int(required=True)
    history = graphene.List(
        graphene.NonNull(DisclosureRevision),
        required=True,
        description="Every revision, oldest first, withdrawn ones included.",
    )
    documents = graphene.List(graphene.NonNull(Document), required=True)
    geometry = GeoJSON(crs=OutputCRS(default_value="wgs84"))
    is_synthetic = graphene.Boolean(required=True)
    timeliness = graphene.Field(Timeliness, required=True)

    @classmethod
    def resolve_type(cls, instance: Any, info: GraphQLResolveInfo) -> Any:
        return DISCLOSURE_TYPES[Category(instance["category"])]

    @staticmethod
    def resolve_item(root: Any, info: GraphQLResolveInfo) -> Any:
        return _catalog_item(root["item_key"])

    @staticmethod
    async def resolve_project(root: Any, info: GraphQLResolveInfo) -> Any:
        row = await info.context.loaders.projects.load(root["project_id"])
        return {**row, "_as_of": root.get("_as_of")}

    @staticmethod
    def resolve_status(root: Any, info: GraphQLResolveInfo) -> Any:
        return root["public_status"]

    @staticmethod
    def resolve_withdrawal(root: Any, info: GraphQLResolveInfo) -> Any:
        if root["lineage_withdrawn_at"] is None:
            return None
        return {
            "at": root["lineage_withdrawn_at"],
            "reason": root["lineage_withdrawn_reason"],
            "by_id": root["lineage_withdrawn_by_id"],
        }

    @staticmethod
    async def resolve_current_revision(root: Any, info: GraphQLResolveInfo) -> Any:
        loaders = info.context.loaders.at(root.get("_as_of"))
        current = await loaders.current_ids.load(root["lineage_id"])
        if current is None or current == root["id"]:
            return root if current is not None else None
        return await loaders.by_id.load(current)

    @staticmethod
    def resolve_publisher(root: Any, info: GraphQLResolveInfo) -> Any:
        return info.context.loaders.departments.load(root["publisher_id"])

    @staticmethod
    async def resolve_responsible_department(root: Any, info: GraphQLResolveInfo) -> Any:
        rows = await info.context.loaders.responsibilities.load(root["project_id"])
        for row in rows:
            if row["category"] == root["category"] and (
                row["item_keys"] is None or root["item_key"] in row["item_keys"]
            ):
                return await info.context.loaders.departments.load(row["department_id"])
        return None

    @staticmethod
    def resolve_deadline(root: Any, info: GraphQLResolveInfo) -> Any:
        return root["t_deadline"]

    @staticmethod
    def resolve_history(root: Any, info: GraphQLResolveInfo) -> Any:
        return info.context.loaders.at(root.get("_as_of")).history.load(root["lineage_id"])

    @staticmethod
    def resolve_timeliness(root: Any, info: GraphQLResolveInfo) -> Any:
        return Timeliness(
            status=root["t_status"],
            deadline=root["t_deadline"],
            working_days_late=root["t_working_days_late"],
            provisional=root["t_provisional"],
        )

    @staticmethod
    def resolve_geometry(root: Any, info: GraphQLResolveInfo, crs: Any = "wgs84") -> Any:
        return geo.geojson_out(root["geojson"], _crs(crs))


def _element_field(element: Element) -> Any:
    description = f"{element.name_zh} · {element.name_en}"
    if element.type == "date":
        key = element.key

        def resolve(root: Any, info: GraphQLResolveInfo) -> Any:
            value = root["elements"].get(key)
            return dt.date.fromisoformat(value) if value else None

        return graphene.Date(description=description), resolve
    scalar = graphene.Float if element.type == "amount" else graphene.String
    return scalar(description=description), (
        lambda root, info, k=element.key: root["elements"].get(k)
    )


def _disclosure_type(category: Category) -> type[graphene.ObjectType]:
    catalog = get_catalog()
    entry = catalog.category(category)
    attrs: dict = {}
    for element in catalog.elements_of(category):
        name = graphql_field_name(element.key)
        attrs[name], attrs[f"resolve_{name}"] = _element_field(element)
    attrs["Meta"] = type(
        "Meta",
        (),
        {
            "interfaces": (Disclosure,),
            "name": category_type_name(category),
            "description": f"{entry.name_zh} · {entry.name_en}: a disclosure with this category's "
            f"content elements as fields.",
        },
    )
    return type(category_type_name(category), (graphene.ObjectType,), attrs)


DISCLOSURE_TYPES = {category: _disclosure_type(category) for category in Category}

CATEGORY_FIELDS = {
    Category.APPROVAL_SERVICE: "approval_service",
    Category.APPROVAL_RESULT: "approval_results",
    Category.BIDDING: "bidding",
    Category.LAND_ACQUISITION: "land_acquisition",
    Category.DESIGN_CHANGE: "design_changes",
    Category.CONSTRUCTION: "construction",
    Category.QUALITY_SAFETY: "quality_safety",
    Category.COMPLETION: "completion",
}


def _category_resolver(category: Category) -> Any:
    async def resolve(root: Any, info: GraphQLResolveInfo) -> Any:
        rows = await info.context.loaders.at(root.get("_as_of")).disclosures.load(root["id"])
        return [row for row in rows if row["category"] == category.value]

    return resolve


class _ProjectBase(graphene.ObjectType):
    code = graphene.String(required=True, description="项目统一代码, the national project code.")
    name = graphene.String(required=True)
    description = graphene.String()
    project_type = graphene.Field(ProjectType, required=True)
    industry = graphene.String()
    region_code = graphene.String(required=True, description="6-digit administrative division.")
    owner = graphene.String()
    investment = graphene.Float(description="Total investment, 万元.")
    status = graphene.Field(ProjectStatus, required=True)
    approved_on = graphene.Date()
    started_on = graphene.Date()
    completed_on = graphene.Date()
    updated_at = Timestamp(required=True)
    is_synthetic = graphene.Boolean(required=True, description="Invented demo data (演示数据).")
    distance = graphene.Float(description="Metres from `near` to the nearest site (with `near`).")
    sites = graphene.List(graphene.NonNull(Site), required=True)
    geometry = GeoJSON(
        crs=OutputCRS(default_value="wgs84"),
        description="All sites: one geometry, or a GeometryCollection.",
    )
    centroid = GeoJSON(crs=OutputCRS(default_value="wgs84"))
    responsibilities = graphene.List(graphene.NonNull(Responsibility), required=True)
    completeness = graphene.Field(Completeness, required=True)
    scope = graphene.Field(
        ProjectScope,
        required=True,
        description="Is it a major project (重大建设项目) on the day (the project's moment: "
        "now, or `asOf`), and why: the lists it is on, a designation, a scope rule.",
    )
    declarations = graphene.List(
        graphene.NonNull(DeclarationType),
        required=True,
        description="不涉及 / 尚未形成 said by the responsible bodies, in force at the moment.",
    )

    @staticmethod
    async def resolve_completeness(root: Any, info: GraphQLResolveInfo) -> Any:
        loaders = info.context.loaders.at(root.get("_as_of"))
        rows = await loaders.disclosures.load(root["id"])
        declared = await loaders.declarations.load(root["id"])
        reasons = await loaders.scope.load(root["id"])
        result = compliance.completeness(
            root["status"], root["project_type"], {r["item_key"] for r in rows},
            declared={(d["category"], d["item_key"]) for d in declared},
        )  # fmt: skip
        return Completeness(
            expected_items=list(result.expected),
            missing_items=list(result.missing),
            declared_items=list(result.declared),
            missing_categories=list(result.missing_categories),
            complete=not result.missing,
            applies=bool(reasons),
        )

    @staticmethod
    async def resolve_scope(root: Any, info: GraphQLResolveInfo) -> Any:
        reasons = await info.context.loaders.at(root.get("_as_of")).scope.load(root["id"])
        return ProjectScope(major=bool(reasons), on=scope_day(root.get("_as_of")),
                            reasons=[ScopeReason(**{k: v for k, v in r.items() if k[0] != "_"})
                                     for r in reasons])  # fmt: skip

    @staticmethod
    def resolve_declarations(root: Any, info: GraphQLResolveInfo) -> Any:
        return info.context.loaders.at(root.get("_as_of")).declarations.load(root["id"])

    @staticmethod
    def resolve_sites(root: Any, info: GraphQLResolveInfo) -> Any:
        return info.context.loaders.sites.load(root["id"])

    @staticmethod
    async def resolve_geometry(root: Any, info: GraphQLResolveInfo, crs: Any = "wgs84") -> Any:
        sites = await info.context.loaders.sites.load(root["id"])
        return geo.geojson_out(geo.collection([s["geojson"] for s in sites]), _crs(crs))

    @staticmethod
    async def resolve_centroid(root: Any, info: GraphQLResolveInfo, crs: Any = "wgs84") -> Any:
        sites = await info.context.loaders.sites.load(root["id"])
        return geo.geojson_out(geo.centroid([s["geojson"] for s in sites]), _crs(crs))

    @staticmethod
    def resolve_responsibilities(root: Any, info: GraphQLResolveInfo) -> Any:
        return info.context.loaders.responsibilities.load(root["id"])


def _project_type() -> type[graphene.ObjectType]:
    attrs: dict = {}
    for category, name in CATEGORY_FIELDS.items():
        entry = get_catalog().category(category)
        attrs[name] = graphene.List(
            graphene.NonNull(DISCLOSURE_TYPES[category]),
            required=True,
            description=f"{entry.name_zh} · {entry.name_en}",
        )
        attrs[f"resolve_{name}"] = staticmethod(_category_resolver(category))
    attrs["Meta"] = type(
        "Meta",
        (),
        {"name": "Project", "description": "A major construction project (重大建设项目)."},
    )
    return type("Project", (_ProjectBase,), attrs)


Project: type[graphene.ObjectType] = _project_type()

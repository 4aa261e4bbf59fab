"""The read path: what the public may see, fetched in a fixed number of statements.

Framework-free and async. Filters are SQLAlchemy Core expressions (values always bound,
never interpolated); PostGIS does the spatial work and writes the GeoJSON. Functions that
take a list of ids serve the per-request batch loaders, so a page costs the same number
of statements whatever its size.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ARRAY,
    BindParameter,
    Date,
    DateTime,
    Float,
    Select,
    Text,
    and_,
    any_,
    bindparam,
    exists,
    func,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from registry.catalog import get_catalog
from registry.clock import china_date, today
from registry.compliance import scores, timeliness
from registry.errors import InvalidInput, Problem, not_one_of
from registry.geometry import STORAGE_SRID, geometry_problems, parse_geojson
from registry.identifiers import region_prefix
from registry.language import say
from registry.models import (
    PROJECT_STATUSES,
    PROJECT_TYPES,
    Department,
    Disclosure,
    Project,
    Responsibility,
    Site,
)
from registry.reading import visibility

P, S, D, R, DEP = (
    Project.__table__,
    Site.__table__,
    Disclosure.__table__,
    Responsibility.__table__,
    Department.__table__,
)
GEOJSON_DIGITS = 7  # about a centimetre


# --- inputs --------------------------------------------------------------------------


@dataclass
class Near:
    lon: float
    lat: float
    meters: float


@dataclass
class DateRange:
    start: dt.date | None = None
    end: dt.date | None = None


@dataclass
class ProjectQuery:
    text: str | None = None
    region_code: str | None = None
    statuses: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    industries: list[str] = field(default_factory=list)
    responsible_department: str | None = None
    has_categories: list[str] = field(default_factory=list)
    lacks_categories: list[str] = field(default_factory=list)
    approved_on: DateRange | None = None
    started_on: DateRange | None = None
    completed_on: DateRange | None = None
    bbox: list[float] | None = None
    intersects: Any = None
    near: Near | None = None
    order: str = "CODE"
    as_of: dt.datetime | None = None  # what was public then (projects registered by then)


def outside(value: object, limit: int) -> str:
    return say("{value} is outside [-{limit}, {limit}]", value=value, limit=limit)


def bbox_problems(bbox: list[float], path: str = "bbox") -> list[Problem]:
    if len(bbox) != 4 or not all(math.isfinite(v) for v in bbox):
        return [
            Problem(
                path,
                "invalid_bbox",
                say("must be four finite numbers: [minLon, minLat, maxLon, maxLat]"),
            )
        ]
    min_lon, min_lat, max_lon, max_lat = bbox
    problems = []
    for name, value, limit in (
        ("minLon", min_lon, 180),
        ("maxLon", max_lon, 180),
        ("minLat", min_lat, 90),
        ("maxLat", max_lat, 90),
    ):
        if abs(value) > limit:
            problems.append(Problem(path, "out_of_range", outside(f"{name} {value}", limit)))
    if min_lon > max_lon:
        problems.append(
            Problem(
                path,
                "min_greater_than_max",
                say("minLon {low} is greater than maxLon {high}", low=min_lon, high=max_lon),
            )
        )
    if min_lat > max_lat:
        problems.append(
            Problem(
                path,
                "min_greater_than_max",
                say("minLat {low} is greater than maxLat {high}", low=min_lat, high=max_lat),
            )
        )
    return problems


def near_problems(near: Near, path: str = "near") -> list[Problem]:
    problems = []
    if not (math.isfinite(near.lon) and abs(near.lon) <= 180):
        problems.append(Problem(f"{path}.lon", "out_of_range", outside(near.lon, 180)))
    if not (math.isfinite(near.lat) and abs(near.lat) <= 90):
        problems.append(Problem(f"{path}.lat", "out_of_range", outside(near.lat, 90)))
    if not (math.isfinite(near.meters) and near.meters >= 0):
        problems.append(
            Problem(
                f"{path}.meters",
                "negative_distance",
                say("{meters} must be a distance of 0 metres or more", meters=near.meters),
            )
        )
    elif near.meters > 1_000_000:
        problems.append(
            Problem(f"{path}.meters", "out_of_range", say("must be at most 1,000,000 metres"))
        )
    return problems


def validate_project_query(q: ProjectQuery) -> ProjectQuery:
    problems: list[Problem] = []
    if q.bbox is not None:
        problems += bbox_problems(q.bbox)
    if q.near is not None:
        problems += near_problems(q.near)
    if q.intersects is not None:
        try:
            geom = parse_geojson(q.intersects, "intersects")
            problems += [
                p
                for p in geometry_problems(geom, "intersects")
                if p.code in ("geometry_invalid", "geometry_empty")
            ]
        except InvalidInput as exc:
            problems += exc.problems
    if q.order == "DISTANCE" and q.near is None:
        problems.append(Problem("orderBy", "needs_near", say("DISTANCE ordering needs `near`")))
    for name in ("statuses", "types"):
        allowed = PROJECT_STATUSES if name == "statuses" else PROJECT_TYPES
        problems += [not_one_of(name, v, allowed) for v in getattr(q, name) if v not in allowed]
    if problems:
        raise InvalidInput(problems)
    return q


# --- SQL building --------------------------------------------------------------------


class Binds:
    """The bound parameters of one statement, each under a name of its own.

    Every value that comes from a request goes into a statement through here, so a compiled
    statement can be kept and run again with another request's values
    (schema/compiler.py's cache): the names, not the order, carry them."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self._made: dict[str, BindParameter] = {}

    def __call__(self, name: str, value: Any, type_: Any = None) -> BindParameter:
        key = f"{self.prefix}{name}"
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = bindparam(key, value, type_=type_)
        elif made.value != value:
            raise ValueError(f"bound parameter {key} given two values")
        return made

    def values(self) -> dict[str, Any]:
        return {key: bind.value for key, bind in self._made.items()}


def _point(near: Near, b: Binds):
    return func.ST_SetSRID(
        func.ST_MakePoint(b("near_lon", near.lon, Float), b("near_lat", near.lat, Float)),
        STORAGE_SRID,
    )


def _geography(geom):
    return func.geography(geom)


def _site_exists(condition):
    return exists(select(literal(1)).select_from(S).where(S.c.project_id == P.c.id, condition))


def as_of_bind(q: ProjectQuery, b: Binds) -> BindParameter | None:
    return None if q.as_of is None else b("as_of", q.as_of, DateTime(timezone=True))


def known_at(as_of: Any, project=None):
    """A project the register knew at ``as_of``: registered by then, or with an item
    public then (records moved from an earlier platform keep their publication dates)."""
    project = P if project is None else project
    x = visibility.public(as_of, name="known")
    return or_(
        project.c.created_at <= as_of,
        exists(select(literal(1)).select_from(x).where(x.c.project_id == project.c.id)),
    )


def _category_exists(category: str, as_of: Any, name: str, b: Binds):
    x = visibility.public(as_of, name="pc")
    return exists(
        select(literal(1))
        .select_from(x)
        .where(x.c.project_id == P.c.id, x.c.category == b(name, category, Text))
    )


def _in_range(column, span: DateRange | None, name: str, b: Binds) -> list:
    if span is None:
        return []
    return [
        *([column >= b(f"{name}_from", span.start, Date)] if span.start else []),
        *([column <= b(f"{name}_to", span.end, Date)] if span.end else []),
    ]


def _any(column, name: str, values: list[str], b: Binds):
    return column == any_(b(name, list(values), ARRAY(Text)))


def project_conditions(q: ProjectQuery, b: Binds | None = None) -> list:
    b = b or Binds()
    conditions = []
    if q.text:
        escaped = q.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = b("text_pattern", f"%{escaped}%", Text)
        given = b("text", q.text, Text)
        conditions.append(
            or_(
                and_(
                    # every character and pair of the query among the project's: the GIN
                    # index of migration 0011 answers this, the ILIKE checks the order
                    P.c.search_grams.op("@>")(func.text_grams(given)),
                    or_(
                        P.c.name.ilike(pattern, escape="\\"),
                        P.c.description.ilike(pattern, escape="\\"),
                    ),
                ),
                P.c.code == given,
            )
        )
    if q.region_code:
        conditions.append(
            P.c.region_code.like(b("region_pattern", region_prefix(q.region_code) + "%", Text))
        )
    if q.statuses:
        conditions.append(_any(P.c.status, "statuses", q.statuses, b))
    if q.types:
        conditions.append(_any(P.c.project_type, "types", q.types, b))
    if q.industries:
        conditions.append(_any(P.c.industry, "industries", q.industries, b))
    if q.responsible_department:
        conditions.append(
            exists(
                select(literal(1))
                .select_from(R.join(DEP, DEP.c.id == R.c.department_id))
                .where(
                    R.c.project_id == P.c.id,
                    DEP.c.code == b("responsible", q.responsible_department, Text),
                )
            )
        )
    as_of = as_of_bind(q, b)
    conditions += [
        _category_exists(c, as_of, f"has_{i}", b) for i, c in enumerate(q.has_categories)
    ]
    conditions += [
        ~_category_exists(c, as_of, f"lacks_{i}", b) for i, c in enumerate(q.lacks_categories)
    ]
    if as_of is not None:
        conditions.append(known_at(as_of))
    conditions += [
        *_in_range(P.c.approved_on, q.approved_on, "approved", b),
        *_in_range(P.c.started_on, q.started_on, "started", b),
        *_in_range(P.c.completed_on, q.completed_on, "completed", b),
    ]
    if q.bbox is not None:
        corners = [b(f"bbox_{i}", float(v), Float) for i, v in enumerate(q.bbox)]
        envelope = func.ST_MakeEnvelope(*corners, STORAGE_SRID)
        conditions.append(_site_exists(func.ST_Intersects(S.c.geom, envelope)))
    if q.intersects is not None:
        text = q.intersects if isinstance(q.intersects, str) else json.dumps(q.intersects)
        shape = func.ST_SetSRID(func.ST_GeomFromGeoJSON(b("intersects", text, Text)), STORAGE_SRID)
        conditions.append(_site_exists(func.ST_Intersects(S.c.geom, shape)))
    if q.near is not None:
        meters = b("near_meters", float(q.near.meters), Float)
        conditions.append(
            _site_exists(
                func.ST_DWithin(_geography(S.c.geom), _geography(_point(q.near, b)), meters)
            )
        )
    return conditions


def _distance(near: Near, b: Binds):
    return (
        select(func.min(func.ST_Distance(_geography(S.c.geom), _geography(_point(near, b)))))
        .where(S.c.project_id == P.c.id)
        .scalar_subquery()
    )


def _order(q: ProjectQuery, distance) -> list:
    orders: dict[str, list] = {
        "CODE": [P.c.code],
        "NAME": [P.c.name, P.c.code],
        "APPROVED_ON": [P.c.approved_on.asc().nulls_last(), P.c.code],
        "APPROVED_ON_DESC": [P.c.approved_on.desc().nulls_last(), P.c.code],
        "INVESTMENT_DESC": [P.c.investment.desc().nulls_last(), P.c.code],
        "UPDATED_DESC": [P.c.updated_at.desc(), P.c.code],
        "DISTANCE": [distance, P.c.code],
    }
    return orders[q.order]


PROJECT_COLUMNS = (
    P.c.id,
    P.c.code,
    P.c.name,
    P.c.description,
    P.c.project_type,
    P.c.industry,
    P.c.region_code,
    P.c.owner,
    P.c.investment,
    P.c.status,
    P.c.approved_on,
    P.c.started_on,
    P.c.completed_on,
    P.c.is_synthetic,
    P.c.updated_at,
)


def projects_select(q: ProjectQuery, b: Binds | None = None) -> Select:
    b = b or Binds()
    distance = _distance(q.near, b) if q.near is not None else literal(None)
    return (
        select(*PROJECT_COLUMNS, distance.label("distance"))
        .where(*project_conditions(q, b))
        .order_by(*_order(q, distance))
    )


def projects_matched(q: ProjectQuery, b: Binds, name: str = "hits") -> tuple[Select, Select]:
    """The rows of a project query (ordered; the caller pages them) and their count, for one
    statement. A spatial filter is the costly part of a query: the matching projects (and
    their distance) are then found once, in a CTE that both the page and the count read."""
    if q.bbox is None and q.intersects is None and q.near is None:
        count = select(func.count()).select_from(P).where(*project_conditions(q, b))
        return projects_select(q, b), count
    distance = _distance(q.near, b) if q.near is not None else literal(None)
    hits = (
        select(P.c.id.label("id"), distance.label("distance"))
        .where(*project_conditions(q, b))
        .cte(name)
    )
    rows = (
        select(*PROJECT_COLUMNS, hits.c.distance)
        .select_from(P.join(hits, hits.c.id == P.c.id))
        .order_by(*_order(q, hits.c.distance))
    )
    return rows, select(func.count()).select_from(hits)


async def search_projects(
    conn: AsyncConnection, q: ProjectQuery, limit: int, offset: int
) -> list[dict[str, Any]]:
    """One page of projects (limit rows); ask for limit+1 to learn whether more follow."""
    rows = await conn.execute(projects_select(q).limit(limit).offset(offset))
    return [dict(r._mapping) for r in rows]


async def count_projects(conn: AsyncConnection, q: ProjectQuery) -> int:
    total = await conn.scalar(select(func.count()).select_from(P).where(*project_conditions(q)))
    return int(total or 0)


async def projects_by_codes(
    conn: AsyncConnection, codes: list[str], as_of: dt.datetime | None = None
) -> dict[str, dict]:
    """Projects by code; with ``as_of``, only those registered by then."""
    query = select(*PROJECT_COLUMNS, literal(None).label("distance")).where(P.c.code.in_(codes))
    if as_of is not None:
        query = query.where(known_at(as_of))
    rows = await conn.execute(query)
    return {r.code: dict(r._mapping) for r in rows}


async def projects_by_ids(conn: AsyncConnection, ids: list[int]) -> dict[int, dict]:
    rows = await conn.execute(
        select(*PROJECT_COLUMNS, literal(None).label("distance")).where(P.c.id.in_(ids))
    )
    return {r.id: dict(r._mapping) for r in rows}


# --- batch loads by id --------------------------------------------------------------


def _grouped(rows, key: str) -> dict[int, list[dict]]:
    grouped: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return grouped


async def sites_by_project(conn: AsyncConnection, project_ids: list[int]) -> dict[int, list[dict]]:
    rows = await conn.execute(
        select(
            S.c.id,
            S.c.project_id,
            S.c.name,
            S.c.kind,
            func.ST_AsGeoJSON(S.c.geom, GEOJSON_DIGITS).label("geojson"),
        )
        .where(S.c.project_id.in_(project_ids))
        .order_by(S.c.project_id, S.c.id)
    )
    return _grouped([dict(r._mapping) for r in rows], "project_id")


async def responsibilities_by_project(
    conn: AsyncConnection, project_ids: list[int]
) -> dict[int, list[dict]]:
    rows = await conn.execute(
        select(R.c.project_id, R.c.category, R.c.department_id, R.c.item_keys, R.c.source)
        .where(R.c.project_id.in_(project_ids))
        .order_by(R.c.project_id, R.c.category, R.c.id)
    )
    return _grouped([dict(r._mapping) for r in rows], "project_id")


def disclosure_columns(x) -> tuple:
    """The columns a disclosure is read with, from ``disclosures`` or one of its views."""
    names = (
        "id", "lineage_id", "revision", "project_id", "category", "item_key", "ref",
        "publisher_id", "title", "elements", "documents", "formed_on", "published_at",
        "first_published_at", "status", "correction_reason", "withdrawn_reason",
        "withdrawn_at", "withdrawn_by_id", "is_synthetic",
    )  # fmt: skip
    return (
        *(x.c[name] for name in names),
        func.ST_AsGeoJSON(x.c.geom, GEOJSON_DIGITS).label("geojson"),
    )


def judging_day(as_of: dt.datetime | None) -> dt.date:
    """The day timeliness is judged on: today in China, or the as-of moment's day."""
    return china_date(as_of) if as_of is not None else today()


def _own_withdrawal(x) -> list:
    return [
        x.c.withdrawn_at.label("lineage_withdrawn_at"),
        x.c.withdrawn_reason.label("lineage_withdrawn_reason"),
        x.c.withdrawn_by_id.label("lineage_withdrawn_by_id"),
    ]


def _no_withdrawal() -> list:
    """What an item public at the moment shows of a withdrawal: none, even where the row
    was withdrawn after the moment (its stored withdrawal is the future, then)."""
    return [
        null().label("lineage_withdrawn_at"),
        null().label("lineage_withdrawn_reason"),
        null().label("lineage_withdrawn_by_id"),
    ]


def _not_superseded() -> list:
    return [null().label(n) for n in ("superseded_by_id", "superseded_at", "superseded_reason")]


def disclosure_select(x, as_of: dt.datetime | None, state: str) -> Select:
    """Disclosures of ``x`` with their timeliness on the judging day and the state the
    public sees them in. ``state``: "public" (x holds items public at the moment:
    published, no withdrawal), "withdrawn" (x holds items withdrawn by the moment), "seen"
    (any public revision: its own fate at the moment — superseded by which correction, or
    withdrawn — and its item's withdrawal), or "stored" (a writer's view: the stored
    status)."""
    judged = timeliness.judged(x, x, judging_day(as_of))
    fate = _not_superseded()
    if state == "seen":
        status, withdrawal = (
            visibility.public_status(x, as_of),
            visibility.withdrawal_columns(x, as_of),
        )
        fate = visibility.superseding_columns(x, as_of)
    elif state == "stored":
        status, withdrawal = x.c.status, _own_withdrawal(x)
    elif state == "withdrawn":
        status, withdrawal = literal("withdrawn"), _own_withdrawal(x)
    else:
        status, withdrawal = literal("published"), _no_withdrawal()
    return select(
        *disclosure_columns(x),
        *judged.columns(),
        status.label("public_status"),
        *withdrawal,
        *fate,
    ).select_from(judged.source)


WITHDRAWN_TITLE = "（已撤回 withdrawn）"


def shown(row: Any) -> dict[str, Any]:
    """A disclosure row as the public sees it: a withdrawn item keeps its identity, who
    withdrew it, when and why; its content (title, elements, documents, geometry) is hidden
    in every revision (a superseded one too: the item was withdrawn)."""
    shown_row = dict(row._mapping)
    if shown_row["lineage_withdrawn_at"] is not None:
        item = get_catalog().known_item(shown_row["item_key"])
        shown_row.update(
            title=f"{item.name_zh}{WITHDRAWN_TITLE}", elements={}, documents=[], geojson=None
        )
    return shown_row


async def disclosures_by_project(
    conn: AsyncConnection, project_ids: list[int], as_of: dt.datetime | None = None
) -> dict[int, list[dict]]:
    """Each project's public disclosures, now or at ``as_of``."""
    x = visibility.public(as_of, name="x")
    rows = await conn.execute(
        disclosure_select(x, as_of, "public")
        .where(x.c.project_id.in_(project_ids))
        .order_by(x.c.project_id, x.c.formed_on, x.c.id)
    )
    return _grouped([dict(r._mapping) for r in rows], "project_id")


async def history_by_lineage(
    conn: AsyncConnection, lineage_ids: list[int], as_of: dt.datetime | None = None
) -> dict[int, list[dict]]:
    """Every public revision of each lineage, oldest first, as the public saw them then."""
    x = visibility.PUBLIC_REVISIONS.alias("x")
    query = disclosure_select(x, as_of, "seen").where(x.c.lineage_id.in_(lineage_ids))
    if as_of is not None:
        query = query.where(x.c.published_at <= as_of)
    rows = await conn.execute(query.order_by(x.c.lineage_id, x.c.revision))
    return _grouped([shown(r) for r in rows], "lineage_id")


async def disclosure_by_id(
    conn: AsyncConnection, disclosure_id: int, as_of: dt.datetime | None = None
) -> dict | None:
    """Any revision the public may know of (published, superseded or withdrawn), in the
    state the public saw it at ``as_of`` (now by default); None for drafts, items for
    specific groups, and revisions not yet published then."""
    x = visibility.PUBLIC_REVISIONS.alias("x")
    query = disclosure_select(x, as_of, "seen").where(x.c.id == disclosure_id)
    if as_of is not None:
        query = query.where(x.c.published_at <= as_of)
    row = (await conn.execute(query)).first()
    return shown(row) if row else None


async def disclosures_by_ids(
    conn: AsyncConnection, ids: list[int], as_of: dt.datetime | None = None
) -> dict[int, dict]:
    """Public revisions by id, in the state the public saw them at ``as_of``."""
    x = visibility.PUBLIC_REVISIONS.alias("x")
    query = disclosure_select(x, as_of, "seen").where(x.c.id.in_(ids))
    if as_of is not None:
        query = query.where(x.c.published_at <= as_of)
    return {row["id"]: row for row in map(shown, await conn.execute(query))}


async def current_revision_ids(
    conn: AsyncConnection, lineage_ids: list[int], as_of: dt.datetime | None = None
) -> dict[int, int]:
    """lineage -> the id of its latest public revision at the moment (withdrawn included)."""
    x = visibility.public_revisions(as_of, name="x")
    if as_of is None:
        latest = (
            select(x.c.lineage_id, func.max(x.c.revision).label("revision"))
            .where(x.c.lineage_id.in_(lineage_ids))
            .group_by(x.c.lineage_id)
            .subquery()
        )
        rows = await conn.execute(
            select(x.c.lineage_id, x.c.id).join(
                latest,
                and_(latest.c.lineage_id == x.c.lineage_id, latest.c.revision == x.c.revision),
            )
        )
    else:
        rows = await conn.execute(
            select(x.c.lineage_id, x.c.id).where(x.c.lineage_id.in_(lineage_ids))
        )
    return {r.lineage_id: r.id for r in rows}


DEPARTMENT_COLUMNS = (
    DEP.c.id,
    DEP.c.code,
    DEP.c.name,
    DEP.c.name_en,
    DEP.c.kind,
    DEP.c.uscc,
    DEP.c.region_code,
    DEP.c.roles,
    DEP.c.is_synthetic,
)


async def departments(conn: AsyncConnection, code: str | None = None) -> list[dict]:
    query = select(*DEPARTMENT_COLUMNS).order_by(DEP.c.code)
    if code is not None:
        query = query.where(DEP.c.code == code)
    return [dict(r._mapping) for r in await conn.execute(query)]


# --- disclosures as a list ------------------------------------------------------------


@dataclass
class DisclosureQuery:
    categories: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    project_code: str | None = None
    publisher: str | None = None
    region_code: str | None = None
    formed_on: DateRange | None = None
    published_from: dt.datetime | None = None
    published_to: dt.datetime | None = None
    withdrawn: bool = False  # the withdrawn items instead of the public ones
    as_of: dt.datetime | None = None


def disclosure_conditions(q: DisclosureQuery, x) -> list:
    conditions = []
    if q.withdrawn:
        conditions.append(x.c.withdrawn_at <= visibility.moment_or_now(q.as_of))
    if q.categories:
        conditions.append(x.c.category.in_(q.categories))
    if q.items:
        conditions.append(x.c.item_key.in_(q.items))
    if q.project_code:
        conditions.append(
            x.c.project_id == select(P.c.id).where(P.c.code == q.project_code).scalar_subquery()
        )
    if q.region_code:
        conditions.append(
            x.c.project_id.in_(
                select(P.c.id).where(P.c.region_code.like(region_prefix(q.region_code) + "%"))
            )
        )
    if q.publisher:
        conditions.append(
            x.c.publisher_id == select(DEP.c.id).where(DEP.c.code == q.publisher).scalar_subquery()
        )
    conditions += _in_range(x.c.formed_on, q.formed_on, "formed", Binds())
    if q.published_from:
        conditions.append(x.c.published_at >= q.published_from)
    if q.published_to:
        conditions.append(x.c.published_at <= q.published_to)
    return conditions


def _listed(q: DisclosureQuery):
    """The public items now or then, or the withdrawn ones (their withdrawn revision)."""
    if q.withdrawn:
        return visibility.public_revisions(q.as_of, name="x")
    return visibility.public(q.as_of, name="x")


async def search_disclosures(
    conn: AsyncConnection, q: DisclosureQuery, limit: int, offset: int
) -> list[dict]:
    x = _listed(q)
    rows = await conn.execute(
        disclosure_select(x, q.as_of, "withdrawn" if q.withdrawn else "public")
        .where(*disclosure_conditions(q, x))
        .order_by(x.c.published_at.desc(), x.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [shown(r) for r in rows]


async def count_disclosures(conn: AsyncConnection, q: DisclosureQuery) -> int:
    x = _listed(q)
    total = await conn.scalar(
        select(func.count()).select_from(x).where(*disclosure_conditions(q, x))
    )
    return int(total or 0)


async def disclosure_written(conn: AsyncConnection, disclosure_id: int) -> dict | None:
    """Any revision, whatever its status, content shown: for the writer who just wrote it."""
    row = (
        await conn.execute(disclosure_select(D, None, "stored").where(D.c.id == disclosure_id))
    ).first()
    return dict(row._mapping) if row else None


def _drafts(department: str):
    return D.c.status == "draft", D.c.publisher_id == (
        select(DEP.c.id).where(DEP.c.code == department).scalar_subquery()
    )


async def drafts_of(conn: AsyncConnection, department: str, limit: int, offset: int) -> list[dict]:
    rows = await conn.execute(
        disclosure_select(D, None, "stored")
        .where(*_drafts(department))
        .order_by(D.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [dict(r._mapping) for r in rows]


async def count_drafts(conn: AsyncConnection, department: str) -> int:
    total = await conn.scalar(select(func.count()).select_from(D).where(*_drafts(department)))
    return int(total or 0)


# --- the scoreboard ---------------------------------------------------------------------


async def scoreboard(
    conn: AsyncConnection,
    public: bool = True,
    as_of: dt.datetime | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[scores.Score]:
    """The scoreboard of what the public can see (now, or at ``as_of``), or (``public``
    false, for administrators) of every current item: drafts, which may be overdue, and
    items for specific groups included."""
    source = visibility.public(as_of, name="x") if public else visibility.CURRENT.alias("x")
    return await scores.scoreboard(conn, source, judging_day(as_of), start, end)

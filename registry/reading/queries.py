"""The read path: what the public may see, fetched in a fixed number of statements.

Framework-free and async. Filters are SQLAlchemy Core expressions (values always bound,
never interpolated); PostGIS does the spatial work and writes the GeoJSON. Functions that
take a list of ids serve the per-request batch loaders, so a page costs the same number
of statements whatever its size.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    Float,
    Integer,
    Select,
    Text,
    and_,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from registry.compliance import scores
from registry.geometry import STORAGE_SRID
from registry.identifiers import region_prefix
from registry.reading import scope, visibility
from registry.reading.binds import (
    Binds,
    _any,
    _category_exists,
    _geography,
    _grouped,
    _in_range,
    _point,
    _site_exists,
    as_of_bind,
    known_at,
)
from registry.reading.disclosures import judging_day
from registry.reading.inputs import Near, ProjectQuery
from registry.reading.tables import DEP, GEOJSON_DIGITS, E, P, R, S


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
    if q.list_id is not None or q.major is not None:
        day = b("scope_day", q.scope_on or scope.scope_day(q.as_of), Date)
        if q.list_id is not None:
            entry = E.alias("on_list")
            conditions.append(
                exists(
                    select(literal(1)).where(
                        entry.c.project_id == P.c.id,
                        entry.c.list_id == b("list", q.list_id, Integer),
                        scope.on_list(entry, day),
                    )
                )
            )
        if q.major is not None:
            conditions.append(scope.in_scope(day) if q.major else ~scope.in_scope(day))
    as_of = as_of_bind(q, b)
    conditions += [
        _category_exists(c, as_of, f"has_{i}", b) for i, c in enumerate(q.has_categories)
    ]
    conditions += [
        ~_category_exists(c, as_of, f"lacks_{i}", b) for i, c in enumerate(q.lacks_categories)
    ]
    if as_of is not None:
        conditions.append(known_at(as_of))
    if q.updated_since is not None:
        since = b("updated_since", q.updated_since, DateTime(timezone=True))
        conditions.append(P.c.updated_at >= since)
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


def _distance(near: Near, b: Binds, project: Any = P) -> Any:
    return (
        select(func.min(func.ST_Distance(_geography(S.c.geom), _geography(_point(near, b)))))
        .where(S.c.project_id == project.c.id)
        .scalar_subquery()
    )


# each order as (key, descending) pairs, the last one unique: what a keyset cursor compares
ORDER_KEYS: dict[str, list[tuple[str, bool]]] = {
    "CODE": [("code", False)],
    "NAME": [("name", False), ("code", False)],
    "APPROVED_ON": [("approved_on", False), ("code", False)],
    "APPROVED_ON_DESC": [("approved_on", True), ("code", False)],
    "INVESTMENT_DESC": [("investment", True), ("code", False)],
    "UPDATED_DESC": [("updated_at", True), ("code", False)],
    "DISTANCE": [("distance", False), ("code", False)],
}


def _beyond(value: Any, anchor: Any, descending: bool) -> Any:
    """``value`` sorts after ``anchor`` (nulls last, as every order here puts them)."""
    further = value < anchor if descending else value > anchor
    return or_(further, and_(value.is_(None), anchor.is_not(None)))


def _after_anchor(q: ProjectQuery, b: Binds, distance: Any) -> Any:
    """The rows after the cursor's row in the query's order (keyset paging): true when the
    query has no cursor row. Always in the statement, so one compiled statement serves the
    first page and the next ones."""
    anchor_id = b("after_id", q.after_id, Integer)
    anchor = P.alias("anchor")
    anchor_distance = _distance(q.near, b, anchor) if q.near is not None else literal(None)

    def key(table: Any, name: str, dist: Any) -> Any:
        return dist if name == "distance" else table.c[name]

    pairs = [
        (key(P, name, distance),
         select(key(anchor, name, anchor_distance)).where(anchor.c.id == anchor_id)
         .scalar_subquery(),
         descending)
        for name, descending in ORDER_KEYS[q.order]
    ]  # fmt: skip
    alternatives = []
    for i, (value, at, descending) in enumerate(pairs):
        same = [v.is_not_distinct_from(a) for v, a, _ in pairs[:i]]
        alternatives.append(and_(*same, _beyond(value, at, descending)))
    return or_(anchor_id.is_(None), or_(*alternatives))


def _order(q: ProjectQuery, distance: Any) -> list:
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
        .where(*project_conditions(q, b), _after_anchor(q, b, distance))
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
        .where(_after_anchor(q, b, hits.c.distance))
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


# --- the scoreboard ---------------------------------------------------------------------


async def scoreboard(
    conn: AsyncConnection,
    public: bool = True,
    as_of: dt.datetime | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    list_id: int | None = None,
) -> list[scores.Score]:
    """The scoreboard of what the public can see (now, or at ``as_of``), or (``public``
    false, for administrators) of every current item: drafts, which may be overdue, and
    items for specific groups included. Obligations count for projects in scope on the
    day judged; ``list_id``: only the projects on that list that day."""
    source = visibility.public(as_of, name="x") if public else visibility.CURRENT.alias("x")
    day = judging_day(as_of)
    scoped = select(P.c.id).where(scope.in_scope(literal(day))).subquery("in_scope")
    only = None
    if list_id is not None:
        only = select(E.c.project_id).where(E.c.list_id == list_id, scope.on_list(E, literal(day)))
    return await scores.scoreboard(conn, source, day, start, end, in_scope=scoped, only=only)


# --- projects in code order, for exports ----------------------------------------------------


EXPORT_COLUMNS = (
    P.c.id, P.c.code, P.c.name, P.c.description, P.c.status, P.c.industry, P.c.region_code,
    P.c.investment, P.c.approved_on, P.c.updated_at, P.c.is_synthetic,
    DEP.c.code.label("owner_code"),
)  # fmt: skip


async def projects_after(
    conn: AsyncConnection,
    after: str,
    limit: int,
    code: str | None = None,
    as_of: dt.datetime | None = None,
) -> list[dict]:
    """The next ``limit`` projects in code order after ``after`` (one, with ``code``), those
    the register knew at ``as_of`` (the as-of rule, ``known_at``): a keyset walk."""
    query = (
        select(*EXPORT_COLUMNS)
        .select_from(P.outerjoin(DEP, DEP.c.id == P.c.owner_department_id))
        .where(P.c.code > after)
        .order_by(P.c.code)
        .limit(limit)
    )
    if code is not None:
        query = query.where(P.c.code == code)
    if as_of is not None:
        query = query.where(known_at(as_of))
    return [dict(r._mapping) for r in await conn.execute(query)]

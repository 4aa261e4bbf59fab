"""Disclosures as the public sees them, now or at a moment: a project's public items, an
item's history with each revision's fate, one revision by id, lists with filters, and a
department's drafts (for its own key) — each in a fixed number of statements."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Select,
    and_,
    func,
    literal,
    null,
    or_,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from registry.catalog import get_catalog
from registry.clock import china_date, today
from registry.compliance import timeliness
from registry.identifiers import region_prefix
from registry.reading import visibility
from registry.reading.binds import Binds, _grouped, _in_range
from registry.reading.inputs import DisclosureQuery
from registry.reading.tables import DEP, GEOJSON_DIGITS, D, P


def disclosure_columns(x: Any) -> tuple:
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


def _own_withdrawal(x: Any) -> list:
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


def disclosure_select(x: Any, as_of: dt.datetime | None, state: str) -> Select:
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


def disclosure_conditions(q: DisclosureQuery, x: Any) -> list:
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
    if q.updated_since:
        conditions.append(
            or_(x.c.published_at >= q.updated_since, x.c.withdrawn_at >= q.updated_since)
        )
    return conditions


def _listed(q: DisclosureQuery) -> Any:
    """The public items now or then, or the withdrawn ones (their withdrawn revision)."""
    if q.withdrawn:
        return visibility.public_revisions(q.as_of, name="x")
    return visibility.public(q.as_of, name="x")


async def search_disclosures(
    conn: AsyncConnection, q: DisclosureQuery, limit: int, offset: int
) -> list[dict]:
    x = _listed(q)
    after = []
    if q.after_id is not None:  # keyset: the rows after the cursor's, newest first
        anchor = D.alias("anchor")
        at = select(anchor.c.published_at).where(anchor.c.id == q.after_id).scalar_subquery()
        after.append(tuple_(x.c.published_at, x.c.id) < tuple_(at, literal(q.after_id)))
    rows = await conn.execute(
        disclosure_select(x, q.as_of, "withdrawn" if q.withdrawn else "public")
        .where(*disclosure_conditions(q, x), *after)
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


def _drafts(department: str) -> Any:
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


async def public_items(
    conn: AsyncConnection, project_ids: list[int], as_of: dt.datetime | None = None
) -> dict[int, list[dict]]:
    """Each project's public items (now or at ``as_of``) with what an export needs: content,
    documents, dates, geometry and the publisher's code, in the order they were formed."""
    x = visibility.public(as_of, name="x")
    rows = await conn.execute(
        select(
            x.c.id,
            x.c.project_id,
            x.c.item_key,
            x.c.title,
            x.c.elements,
            x.c.documents,
            x.c.formed_on,
            x.c.published_at,
            func.ST_AsGeoJSON(x.c.geom, GEOJSON_DIGITS).label("geojson"),
            DEP.c.code.label("publisher"),
        )  # fmt: skip
        .select_from(x.join(DEP, DEP.c.id == x.c.publisher_id))
        .where(x.c.project_id.in_(project_ids))
        .order_by(x.c.project_id, x.c.formed_on, x.c.id)
    )
    return _grouped([dict(r._mapping) for r in rows], "project_id")

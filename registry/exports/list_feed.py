"""An Atom feed of the lists of major projects: each project put on a list (as issued, or
增补 in an adjustment) and each taken off (调出, with the reason) is an entry, newest first,
by when the register recorded it; paged like the disclosures' feed (RFC 5005)."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from sqlalchemy import literal, select, tuple_, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from registry.clock import CST
from registry.exports.feed import LIMIT, Cursor, add, head
from registry.reading.tables import DEP, E, L, P


def _events(kind: str, limit: int, before: Cursor | None, list_id: int | None) -> Any:
    at = E.c.created_at if kind == "added" else E.c.removed_at
    query = (
        select(
            E.c.id,
            at.label("at"),
            literal(kind).label("kind"),
            E.c.row_no,
            E.c.section,
            E.c.added_on,
            E.c.added_by_adjustment,
            E.c.removed_on,
            E.c.removed_reason,
            L.c.id.label("list_id"),
            L.c.name.label("list_name"),
            L.c.doc_no,
            L.c.level,
            DEP.c.name.label("issuer_name"),
            P.c.code.label("project_code"),
            P.c.name.label("project_name"),
        )  # fmt: skip
        .select_from(
            E.join(L, L.c.id == E.c.list_id)
            .join(DEP, DEP.c.id == L.c.issuer_id)
            .join(P, P.c.id == E.c.project_id)
        )
        .where(at.is_not(None))
    )
    if list_id is not None:
        query = query.where(E.c.list_id == list_id)
    if before is not None:
        query = query.where(tuple_(at, E.c.id) < tuple_(literal(before[0]), literal(before[1])))
    return select(query.order_by(at.desc(), E.c.id.desc()).limit(limit).subquery(kind))


async def entries(
    conn: AsyncConnection, list_id: int | None = None, limit: int = LIMIT,
    before: Cursor | None = None,
) -> list[dict]:  # fmt: skip
    """The newest ``limit`` additions and removals (older than ``before``), merged."""
    events = union_all(
        _events("added", limit, before, list_id), _events("removed", limit, before, list_id)
    ).subquery("events")
    rows = await conn.execute(
        select(events).order_by(events.c.at.desc(), events.c.id.desc(), events.c.kind).limit(limit)
    )
    return [dict(r._mapping) for r in rows]


def atom(items: list[dict], base: str, self_url: str, first_url: str,
         next_url: str | None) -> bytes:  # fmt: skip
    feed = head(f"{base}/feeds/lists.atom",
                "重大建设项目名单 · projects put on and taken off the lists",
                items[0]["at"] if items else None, self_url, first_url, next_url)  # fmt: skip
    for item in items:
        entry = add(feed, "entry")
        removed = item["kind"] == "removed"
        add(entry, "id", f"{base}/lists/{item['list_id']}#entry-{item['id']}"
            + ("-removed" if removed else ""))  # fmt: skip
        verb = "调出" if removed else ("增补" if item["added_by_adjustment"] else "列入")
        add(entry, "title", f"【{verb}】{item['project_name']} · {item['list_name']}")
        add(entry, "updated", item["at"].astimezone(CST).isoformat())
        add(add(entry, "author"), "name", item["issuer_name"])
        add(entry, "category", term=item["level"])
        add(
            entry, "link", rel="alternate", type="text/html", href=f"{base}/lists/{item['list_id']}"
        )
        add(entry, "link", rel="related", type="text/html",
            href=f"{base}/projects/{item['project_code']}")  # fmt: skip
        summary = (f"{item['project_name']}（{item['project_code']}）{verb}"
                   f"{item['list_name']}{'（' + item['doc_no'] + '）' if item['doc_no'] else ''}")  # fmt: skip
        if removed:
            summary += f"；调出日期：{item['removed_on']}；原因：{item['removed_reason']}"
        else:
            summary += f"；列入日期：{item['added_on']}"
            if item["row_no"]:
                summary += f"；序号：{item['row_no']}"
        add(entry, "summary", summary)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)

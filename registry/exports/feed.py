"""An Atom feed (RFC 4287) of what happens on the register: each publication, each
correction (a new revision) and each withdrawal is an entry, newest first.

Every entry links to the revision it is about, which the public API answers (withdrawn
ones included, as withdrawn). Entries of a withdrawn item keep their place in the feed but
not its content: their titles read as the withdrawn item's do.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree as ET

from sqlalchemy import literal, select, tuple_, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from registry.catalog import Category, get_catalog
from registry.clock import CST, china_minute
from registry.documents.states import with_links
from registry.errors import InvalidInput, not_one_of
from registry.identifiers import digits, region_prefix
from registry.language import say
from registry.links import safe_url
from registry.reading import visibility
from registry.reading.disclosures import WITHDRAWN_TITLE
from registry.reading.tables import DEP, P

ATOM = "http://www.w3.org/2005/Atom"
LIMIT = 100


Cursor = tuple[dt.datetime, int]


def _events(
    x: Any, kind: str, filters: dict[str, str | None], limit: int, before: Cursor | None
) -> Any:
    """The newest ``limit`` publications (each public revision) or withdrawals, with what an
    entry shows: the top of the ``published_at`` or ``withdrawn_at`` index."""
    at = x.c.published_at if kind == "published" else x.c.withdrawn_at
    withdrawn = visibility.lineage_withdrawn_at(x).is_not(None)
    query = (
        select(
            x.c.id,
            x.c.lineage_id,
            x.c.title,
            x.c.item_key,
            x.c.category,
            x.c.revision,
            x.c.correction_reason,
            x.c.withdrawn_reason,
            x.c.formed_on,
            x.c.documents,
            at.label("at"),
            literal(kind).label("kind"),
            withdrawn.label("withdrawn"),
            P.c.code.label("project_code"),
            P.c.name.label("project_name"),
            P.c.region_code,
            DEP.c.code.label("department"),
            DEP.c.name.label("department_name"),
        )  # fmt: skip
        .select_from(x.join(P, P.c.id == x.c.project_id).join(DEP, DEP.c.id == x.c.publisher_id))
        .where(at.is_not(None))
    )
    if filters["category"]:
        query = query.where(x.c.category == filters["category"])
    if filters["region"]:
        query = query.where(P.c.region_code.like(region_prefix(filters["region"]) + "%"))
    if filters["department"]:
        query = query.where(DEP.c.code == filters["department"])
    if before is not None:  # the next page: the events older than the last one shown
        query = query.where(tuple_(at, x.c.id) < tuple_(literal(before[0]), literal(before[1])))
    return select(query.order_by(at.desc(), x.c.id.desc()).limit(limit).subquery(kind))


async def entries(
    conn: AsyncConnection,
    category: str | None = None,
    region: str | None = None,
    department: str | None = None,
    limit: int = LIMIT,
    before: Cursor | None = None,
) -> list[dict]:
    """The newest ``limit`` events (older than ``before``, for a later page): the newest of
    each kind, merged."""
    if category and category not in {c.value for c in Category}:
        raise InvalidInput(
            [not_one_of("category", category, [c.value for c in Category], "unknown_category")]
        )
    x = visibility.PUBLIC_REVISIONS.alias("x")
    filters = {"category": category, "region": region, "department": department}
    events = union_all(
        _events(x, "published", filters, limit, before),
        _events(x, "withdrawn", filters, limit, before),
    ).subquery("events")
    rows = await conn.execute(
        select(events).order_by(events.c.at.desc(), events.c.id.desc(), events.c.kind).limit(limit)
    )
    found = [dict(r._mapping) for r in rows]
    await with_links(conn, found)
    return found


def cursor(item: dict) -> str:
    """Where the page after ``item`` starts (RFC 5005 paging): its moment and id."""
    return f"{item['at'].astimezone(dt.UTC).isoformat()}~{item['id']}"


def parse_cursor(text: str) -> Cursor:
    moment, _, number = text.partition("~")
    try:
        at = dt.datetime.fromisoformat(moment)
        if at.tzinfo is None or not digits(number) or len(number) > 18:
            raise ValueError(text)
    except ValueError as exc:
        raise InvalidInput.one(
            "before", "invalid_cursor", say("{cursor!r} is not a cursor from this API", cursor=text)
        ) from exc
    return at, int(number)


def add(parent: Any, tag: str, value: str | None = None, **attributes: str) -> Any:
    """An Atom element under ``parent``, with its text and attributes."""
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
    if value is not None:
        element.text = value
    return element


def head(
    feed_id: str, title: str, updated: dt.datetime | None, self_url: str, first_url: str,
    next_url: str | None,
) -> Any:  # fmt: skip
    """A feed's element with what every feed of the register opens with: id, title, when
    it was updated (RFC 3339, China's offset), its self, first and (RFC 5005, older
    entries) next links, and the register as author."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    add(feed, "id", feed_id)
    add(feed, "title", title)
    moment = updated or dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    add(feed, "updated", moment.astimezone(CST).isoformat())
    add(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    add(feed, "link", rel="first", href=first_url, type="application/atom+xml")
    if next_url is not None:
        add(feed, "link", rel="next", href=next_url, type="application/atom+xml")
    add(add(feed, "author"), "name", "重大建设项目全链条信息公开 registry")
    return feed


def atom(
    items: list[dict], base: str, self_url: str, first_url: str, next_url: str | None
) -> bytes:
    catalog = get_catalog()
    updated = items[0]["at"] if items else None
    feed = head(f"{base}/feeds/disclosures.atom",
                "重大建设项目信息公开 · publications, corrections and withdrawals",
                updated, self_url, first_url, next_url)  # fmt: skip
    for item in items:
        item_name = catalog.known_item(item["item_key"]).name_zh
        title = f"{item_name}{WITHDRAWN_TITLE}" if item["withdrawn"] else item["title"]
        entry = add(feed, "entry")
        if item["kind"] == "withdrawn":
            add(entry, "id", f"{base}/disclosures/{item['id']}/withdrawal")
            add(entry, "title", f"【撤回】{title}")
        else:
            add(entry, "id", f"{base}/disclosures/{item['id']}")
            add(entry, "title", ("【更正】" if item["revision"] > 1 else "") + title)
        add(entry, "updated", item["at"].astimezone(CST).isoformat())
        add(add(entry, "author"), "name", item["department_name"])
        add(
            entry,
            "category",
            term=item["category"],
            label=catalog.category_name_zh(item["category"]),
        )
        add(
            entry,
            "link",
            rel="alternate",
            type="text/html",
            href=f"{base}/projects/{item['project_code']}#d{item['lineage_id']}",
        )
        add(entry, "link", rel="related", type="application/json", href=link(base, item["id"]))
        if not item["withdrawn"] and item["kind"] != "withdrawn":
            _documents(entry, item["documents"], base)
        summary = (
            f"{item['project_name']}（{item['project_code']}）{item_name}；"
            f"公开主体：{item['department_name']}；信息形成日期：{item['formed_on']}；"
            f"{'撤回' if item['kind'] == 'withdrawn' else '公开'}时间：{china_minute(item['at'])}"
        )
        if item["kind"] == "withdrawn":
            summary += f"；已撤回，撤回原因：{item['withdrawn_reason']}"
        elif item["revision"] > 1:
            summary += f"；第{item['revision']}版，更正原因：{item['correction_reason']}"
        add(entry, "summary", summary)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _documents(entry: Any, documents: list[dict], base: str) -> None:
    """The item's documents (enclosures), and the copy this register kept of each (its URL
    names its SHA-256)."""
    for document in documents:
        if safe_url(document.get("url")) and str(document["url"]).startswith("http"):
            add(entry, "link", rel="enclosure", href=document["url"], title=document["title"])
        kept = document.get("link")
        if kept is not None and kept.copy_path is not None:
            add(entry, "link", rel="related", href=base + kept.copy_path,
                title=f"存档副本 · archived copy: {document['title']}")  # fmt: skip


LINK_QUERY = (
    '{{ disclosure(id: "{id}") {{ id status title revision publishedAt '
    "withdrawal {{ at reason by {{ name }} }} currentRevision {{ id }} }} }}"
)


def link(base: str, disclosure_id: int) -> str:
    """Where an entry's revision is answered: the public API, which knows every public
    revision (superseded and withdrawn ones too)."""
    return f"{base}/graphql?query={quote(LINK_QUERY.format(id=disclosure_id), safe='')}"


__all__ = ["add", "atom", "cursor", "entries", "head", "link", "parse_cursor"]

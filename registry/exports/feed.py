"""An Atom feed (RFC 4287) of newly published and corrected disclosures."""

from __future__ import annotations

import datetime as dt
from xml.etree import ElementTree as ET

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from registry.catalog import Category, get_catalog
from registry.errors import InvalidInput
from registry.identifiers import region_prefix

ATOM = "http://www.w3.org/2005/Atom"
LIMIT = 100


async def entries(
    conn: AsyncConnection,
    category: str | None = None,
    region: str | None = None,
    department: str | None = None,
    limit: int = LIMIT,
) -> list[dict]:
    if category and category not in {c.value for c in Category}:
        raise InvalidInput.one(
            "category",
            "unknown_category",
            f"{category!r} is not one of {', '.join(c.value for c in Category)}",
        )
    rows = await conn.execute(
        text(
            "SELECT x.id, x.title, x.item_key, x.category, x.revision, x.correction_reason, x.published_at, "
            "x.formed_on, p.code AS project_code, p.name AS project_name, d.code AS department, "
            "d.name AS department_name FROM public_revisions x JOIN projects p ON p.id = x.project_id "
            "JOIN departments d ON d.id = x.publisher_id WHERE x.withdrawn_at IS NULL "
            "AND (CAST(:category AS text) IS NULL OR x.category = :category) "
            "AND (CAST(:region AS text) IS NULL OR p.region_code LIKE :region) "
            "AND (CAST(:department AS text) IS NULL OR d.code = :department) "
            "ORDER BY x.published_at DESC, x.id DESC LIMIT :limit"
        ),
        {
            "category": category,
            "region": region_prefix(region) + "%" if region else None,
            "department": department,
            "limit": limit,
        },
    )
    return [dict(r._mapping) for r in rows]


def atom(items: list[dict], base: str, self_url: str) -> bytes:
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    catalog = get_catalog()

    def add(parent, tag, value=None, **attributes):
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
        if value is not None:
            element.text = value
        return element

    add(feed, "id", f"{base}/feeds/disclosures.atom")
    add(feed, "title", "重大建设项目信息公开 · new and corrected disclosures")
    updated = items[0]["published_at"] if items else dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    add(feed, "updated", updated.astimezone(dt.UTC).isoformat())
    add(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    add(add(feed, "author"), "name", "重大建设项目全链条信息公开 registry")
    for item in items:
        entry = add(feed, "entry")
        add(entry, "id", f"{base}/disclosures/{item['id']}")
        corrected = item["revision"] > 1
        add(entry, "title", ("【更正】" if corrected else "") + item["title"])
        add(entry, "updated", item["published_at"].astimezone(dt.UTC).isoformat())
        add(add(entry, "author"), "name", item["department_name"])
        add(
            entry,
            "category",
            term=item["category"],
            label=catalog.category_name_zh(item["category"]),
        )
        query = f'{{ disclosure(id: "{item["id"]}") {{ title publishedAt }} }}'
        add(entry, "link", rel="alternate", href=f"{base}/graphql?query={_quote(query)}")
        summary = (
            f"{item['project_name']}（{item['project_code']}）{catalog.known_item(item['item_key']).name_zh}；"
            f"公开主体：{item['department_name']}；信息形成日期：{item['formed_on']}"
        )
        if corrected:
            summary += f"；第{item['revision']}版，更正原因：{item['correction_reason']}"
        add(entry, "summary", summary)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _quote(text_value: str) -> str:
    from urllib.parse import quote

    return quote(text_value, safe="")

"""Relay-style connections, with the page-size cap enforced.

``projects`` and ``disclosures`` page by keys: a cursor names a row (``key:<id>``) and the
next page is the rows that sort after it, so a crawl while others write neither skips nor
repeats a row (a row inserted before the cursor is simply not in this crawl). Other
connections (drafts, the audit log) page by offsets. Offset cursors are still accepted
everywhere, for clients that kept one."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import graphene
from graphql import GraphQLResolveInfo

from registry.errors import InvalidInput
from registry.identifiers import digits
from registry.language import say

PREFIX = "offset:"
KEY_PREFIX = "key:"


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{PREFIX}{offset}".encode()).decode()


def encode_key(row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{KEY_PREFIX}{row_id}".encode()).decode()


def decode_any(cursor: str | None) -> tuple[str, int]:
    """("offset", n) or ("key", row id); ("offset", -1) for no cursor."""
    if cursor is None:
        return "offset", -1
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        for kind, prefix in (("offset", PREFIX), ("key", KEY_PREFIX)):
            if text.startswith(prefix):
                number = text[len(prefix) :]
                if digits(number) and len(number) <= 18:
                    return kind, int(number)
    except (ValueError, UnicodeDecodeError):
        pass
    raise InvalidInput.one(
        "after", "invalid_cursor", say("{cursor!r} is not a cursor from this API", cursor=cursor)
    )


def decode_cursor(cursor: str | None) -> int:
    """The offset an offset cursor stands for (connections that page by offsets)."""
    kind, value = decode_any(cursor)
    if kind != "offset":
        raise InvalidInput.one(
            "after",
            "invalid_cursor",
            say("{cursor!r} is not a cursor from this API", cursor=cursor),
        )
    return max(value, 0) if cursor is None else value


def page_window(first: int | None, after: str | None, settings: Any) -> tuple[int, int]:
    """(limit, offset) for a page; InvalidInput past the cap."""
    size = settings.default_page_size if first is None else first
    if size < 0 or size > settings.max_page_size:
        raise InvalidInput.one(
            "first",
            "page_size",
            say(
                "{size} is outside 0..{cap} (the page-size cap)",
                size=size,
                cap=settings.max_page_size,
            ),
        )
    return size, decode_cursor(after) + 1 if after is not None else 0


def keyed_window(
    first: int | None, after: str | None, settings: Any
) -> tuple[int, int, int | None]:
    """(limit, offset, anchor row id) for a connection paged by keys; an old offset cursor
    still gives its offset."""
    size, _ = page_window(first, None, settings)
    kind, value = decode_any(after)
    if kind == "key":
        return size, 0, value
    return size, value + 1, None


@dataclass
class Page:
    """A fetched page: ``rows`` (at most ``limit``), whether more follow, and how to count."""

    rows: list[dict[str, Any]]
    offset: int
    has_next: bool
    count: Callable[[], Awaitable[int]]  # counted only when asked
    keyed: bool = False  # cursors name rows (their ids), not positions
    after_key: bool = False  # this page follows a row cursor


class PageInfo(graphene.ObjectType):
    has_next_page = graphene.Boolean(required=True)
    has_previous_page = graphene.Boolean(required=True)
    start_cursor = graphene.String()
    end_cursor = graphene.String()


def connection_type(node_type: Any, name: str) -> type[graphene.ObjectType]:
    edge = type(
        f"{name}Edge",
        (graphene.ObjectType,),
        {
            "cursor": graphene.String(required=True),
            "node": graphene.Field(node_type, required=True),
        },
    )

    def cursor(page: Page, i: int) -> str:
        return encode_key(page.rows[i]["id"]) if page.keyed else encode_cursor(page.offset + i)

    def resolve_edges(page: Page, info: GraphQLResolveInfo) -> Any:
        return [{"cursor": cursor(page, i), "node": row} for i, row in enumerate(page.rows)]

    def resolve_page_info(page: Page, info: GraphQLResolveInfo) -> Any:
        return PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.offset > 0 or page.after_key,
            start_cursor=cursor(page, 0) if page.rows else None,
            end_cursor=cursor(page, len(page.rows) - 1) if page.rows else None,
        )

    def resolve_total_count(page: Page, info: GraphQLResolveInfo) -> Any:
        return page.count()

    return type(
        f"{name}Connection",
        (graphene.ObjectType,),
        {
            "total_count": graphene.Int(required=True, description="All matches, on every page."),
            "edges": graphene.List(graphene.NonNull(edge), required=True),
            "nodes": graphene.List(graphene.NonNull(node_type), required=True),
            "page_info": graphene.Field(PageInfo, required=True),
            "resolve_edges": staticmethod(resolve_edges),
            "resolve_nodes": staticmethod(lambda page, info: page.rows),
            "resolve_page_info": staticmethod(resolve_page_info),
            "resolve_total_count": staticmethod(resolve_total_count),
        },
    )

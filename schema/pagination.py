"""Relay-style connections over offset cursors, with the page-size cap enforced."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import graphene
from graphql import GraphQLResolveInfo

from registry.errors import InvalidInput
from registry.language import say

PREFIX = "offset:"


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{PREFIX}{offset}".encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        if text.startswith(PREFIX) and (value := int(text[len(PREFIX) :])) >= 0:
            return value
    except (ValueError, UnicodeDecodeError):
        pass
    raise InvalidInput.one(
        "after", "invalid_cursor", say("{cursor!r} is not a cursor from this API", cursor=cursor)
    )


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


@dataclass
class Page:
    """A fetched page: ``rows`` (at most ``limit``), whether more follow, and how to count."""

    rows: list[dict[str, Any]]
    offset: int
    has_next: bool
    count: Callable[[], Awaitable[int]]  # counted only when asked


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

    def resolve_edges(page: Page, info: GraphQLResolveInfo) -> Any:
        return [
            {"cursor": encode_cursor(page.offset + i), "node": row}
            for i, row in enumerate(page.rows)
        ]

    def resolve_page_info(page: Page, info: GraphQLResolveInfo) -> Any:
        last = page.offset + len(page.rows) - 1
        return PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.offset > 0,
            start_cursor=encode_cursor(page.offset) if page.rows else None,
            end_cursor=encode_cursor(last) if page.rows else None,
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

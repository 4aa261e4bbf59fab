"""``changes``: the change stream in GraphQL (registry/reading/changes.py), oldest first."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import graphene
from graphql import GraphQLResolveInfo

from registry.reading import changes
from schema.pagination import page_window
from schema.scalars import JSON, CategoryKey, Timestamp, unwrap

KIND_DESCRIPTION = (
    "Kinds or families of kinds: "
    + ", ".join(changes.KINDS)
    + "; or "
    + ", ".join(changes.FAMILIES)
)


class ChangeFilter(graphene.InputObjectType):
    region = graphene.String(description="A division code: 360100 is 南昌市 and its districts.")
    department = graphene.String(description="The department the change is by or about.")
    category = graphene.List(graphene.NonNull(CategoryKey))
    project = graphene.String(description="A project code.")
    kinds = graphene.List(graphene.NonNull(graphene.String), description=KIND_DESCRIPTION)


class Change(graphene.ObjectType):
    """One public change: what happened, to what, and what the public may see of it."""

    cursor = graphene.String(required=True, description="Ask `changes(after:)` with it.")
    seq = graphene.Float(required=True, description="The committing transaction's number.")
    kind = graphene.String(required=True, description=KIND_DESCRIPTION)
    at = Timestamp(required=True, description="When the change was committed.")
    project = graphene.String(description="The project's code.")
    region = graphene.String()
    department = graphene.String(description="The department's code.")
    category = graphene.String()
    item = graphene.String(description="The catalog item's key.")
    list = graphene.Int(description="The list's id.")
    data = graphene.Field(JSON, required=True, description="What changed (see docs/api.md).")

    @staticmethod
    def resolve_at(root: dict, info: GraphQLResolveInfo) -> dt.datetime:
        return dt.datetime.fromisoformat(root["at"])


class ChangePage(graphene.ObjectType):
    events = graphene.List(graphene.NonNull(Change), required=True)
    end_cursor = graphene.String(
        required=True, description="Where to continue (the given cursor when nothing came)."
    )
    has_more = graphene.Boolean(required=True)


CHANGES_FIELD = graphene.Field(
    ChangePage,
    required=True,
    after=graphene.String(description="A cursor from an earlier page; absent: the beginning."),
    first=graphene.Int(),
    filter=graphene.Argument(ChangeFilter),
    description="Every public change after a cursor, oldest first, each once, in commit "
    "order (docs/api.md).",
)


async def resolve_changes(
    root: Any,
    info: GraphQLResolveInfo,
    after: Any = None,
    first: Any = None,
    filter: Any = None,  # noqa: A002 - the argument's name in the schema
) -> ChangePage:
    limit, _ = page_window(first, None, info.context.settings)
    chosen = changes.change_filter(unwrap(filter) or {}, "filter.")
    start = changes.parse_cursor(after)
    async with info.context.engine.connect() as conn:
        found = await changes.page(conn, chosen, start, limit)
    return ChangePage(
        events=[json.loads(event) for event in found.events],
        end_cursor=found.end_cursor,
        has_more=found.has_more,
    )

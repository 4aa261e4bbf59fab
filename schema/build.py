"""Assemble the graphene schema."""

from __future__ import annotations

from functools import cache

import graphene


@cache
def build_schema() -> graphene.Schema:
    from schema.mutations import Mutation
    from schema.query import ALL_TYPES, Query

    return graphene.Schema(query=Query, mutation=Mutation, types=ALL_TYPES, auto_camelcase=True)

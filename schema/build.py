"""Assemble the graphene schema."""

from __future__ import annotations

from functools import cache

import graphene


@cache
def build_schema() -> graphene.Schema:
    from schema.mutations import Mutation
    from schema.query import ALL_TYPES, Query
    from schema.scope import TYPES, ScopeMutation, ScopeQuery

    query = type("Query", (ScopeQuery, Query), {})
    mutation = type("Mutation", (ScopeMutation, Mutation), {})
    return graphene.Schema(
        query=query, mutation=mutation, types=[*ALL_TYPES, *TYPES], auto_camelcase=True
    )

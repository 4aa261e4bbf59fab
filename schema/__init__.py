"""The public GraphQL schema (graphene 3). Resolvers are thin: they call ``registry``."""

from schema.build import build_schema

__all__ = ["build_schema"]

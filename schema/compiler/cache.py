"""Compiled statements kept by document, operation and the shape of the variables, and
``prepare``: the SQL that answers an operation, or None (graphene answers it)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from cachetools import LRUCache
from graphql import (
    GraphQLSchema,
    OperationType,
)
from graphql.execution import ExecutionContext
from graphql.execution.collect_fields import collect_fields
from sqlalchemy import (
    select,
)
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect

from schema.compiler.jsontext import (
    Unsupported,
    constant,
    json_object,
)
from schema.compiler.plan import Compiler


@dataclass(frozen=True)
class Prepared:
    """SQL text for psycopg and its parameters: the `data` JSON comes back as text."""

    sql: str
    params: dict[str, Any]


DIALECT = psycopg_dialect()
CACHE_SIZE = 512


class StatementCache:
    """Compiled statements by (document, operation, shape of the variables), least
    recently used first out. The shape keeps what decides a statement's form (which
    arguments are given, booleans, enum values, lengths) and drops the values, which reach
    the statement as named parameters: a client paging through results with variables
    compiles once."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.entries: LRUCache[Any, tuple[str, dict[str, Any]]] = LRUCache(maxsize=size)
        self.hits = self.misses = 0
        self.answered = 0  # requests answered by a compiled statement (tests and metrics)

    def get(self, key: Any) -> tuple[str, dict[str, Any]] | None:
        found = self.entries.get(key)
        if found is not None:
            self.hits += 1
        else:
            self.misses += 1
        return found

    def put(self, key: Any, value: tuple[str, dict[str, Any]]) -> None:
        self.entries[key] = value


def shape(value: Any) -> Any:
    """The form of a coerced variable value, without the values a parameter carries."""
    if isinstance(value, dict):
        return tuple(sorted((k, shape(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return ("list", tuple(shape(v) for v in value))
    if isinstance(value, bool) or value is None or isinstance(value, Enum):
        return value
    if isinstance(value, str):
        return "s" if value else ""
    return type(value).__name__


def prepare(
    schema: GraphQLSchema,
    execution: ExecutionContext,
    settings: Any,
    document_text: str,
    cache: StatementCache | None = None,
) -> Prepared | None:
    """The SQL that answers the operation, or None (use graphene).

    ``execution`` is graphql-core's ExecutionContext for the request: the operation, its
    fragments and its coerced variables. With a ``cache``, a statement of the same
    document, operation and variable shape is reused with this request's parameters."""
    operation = execution.operation
    if operation.operation != OperationType.QUERY or schema.query_type is None:
        return None
    compiler = Compiler(schema, execution)
    try:
        roots = collect_fields(
            schema, execution.fragments, execution.variable_values, schema.query_type,
            operation.selection_set,
        )  # fmt: skip
        plans = {
            key: compiler.plan(index, nodes, settings)
            for index, (key, nodes) in enumerate(roots.items())
            if nodes[0].name.value != "__typename"
        }
    except Unsupported:
        return None
    params = {k: v for plan in plans.values() for k, v in plan.binds.values().items()}
    cache_key = (
        document_text,
        operation.name.value if operation.name else None,
        shape(execution.variable_values),
    )
    cached = cache.get(cache_key) if cache is not None else None
    if cached is not None:
        sql, constants = cached
        return Prepared(sql, {**constants, **params})
    try:
        pairs = []
        for index, (key, nodes) in enumerate(roots.items()):
            name = nodes[0].name.value
            if name == "__typename":
                pairs.append((key, constant("Query")))
            elif name == "projects":
                pairs.append((key, compiler.projects(plans[key], index)))
            else:
                pairs.append((key, compiler.project_root(plans[key], index)))
        statement = select(json_object(pairs))
    except Unsupported:
        return None
    compiled = statement.compile(dialect=DIALECT)
    sql, constants = str(compiled), dict(compiled.params)
    if cache is not None:
        cache.put(cache_key, (sql, constants))
    return Prepared(sql, {**constants, **params})

"""JSON text written by PostgreSQL, piece by piece, as orjson writes it for the resolvers:
strings through ``to_json``, floats through ``json_number`` (migration 0007), objects and
lists by concatenation in selection order. ``Unsupported`` is what any piece raises for
what it does not fully understand: the query then runs through graphene."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from graphql import (
    FieldNode,
)
from sqlalchemy import (
    Float,
    Text,
    cast,
    func,
    literal,
    literal_column,
    true,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

from registry.catalog import Category, get_catalog
from registry.reading import tables
from schema.catalog_types import graphql_field_name


class Unsupported(Exception):
    """This query shape is left to the graphene resolvers."""


Nodes = list[FieldNode]
NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")


def concat(*parts: Any) -> Any:
    """Text pieces joined by ``concat()``, nested when there are more than it takes (100)."""
    if len(parts) <= 90:
        return func.concat(*parts)
    return func.concat(*(concat(*parts[i : i + 90]) for i in range(0, len(parts), 90)))


def literal_text(value: str) -> Any:
    """A constant piece of JSON text, inlined as SQL (only names and punctuation)."""
    if not re.fullmatch(r'[\[\]{}:,"_0-9A-Za-z]*', value):
        raise Unsupported("not a literal piece of JSON")
    return literal_column(f"'{value}'", Text)


def string(expression: Any) -> Any:
    """Any SQL value as a JSON string (or null), escaped as orjson escapes it."""
    return func.coalesce(cast(func.to_json(expression), Text), literal_column("'null'"))


def integer(expression: Any) -> Any:
    return func.coalesce(cast(expression, Text), literal_column("'null'"))


def boolean(expression: Any) -> Any:
    return func.coalesce(cast(func.to_json(expression), Text), literal_column("'null'"))


def number(expression: Any) -> Any:
    """A GraphQL Float as orjson writes it (52000.0, 1.5e-7): migration 0007's json_number."""
    return func.json_number(cast(expression, Float))


def raw(expression: Any) -> Any:
    """Text that is JSON already (PostGIS GeoJSON, a nested object or list)."""
    return func.coalesce(expression, literal_column("'null'"))


def constant(value: str) -> Any:
    return literal_text(f'"{value}"') if NAME.match(value) else string(literal(value))


NULL = literal_column("'null'", Text)


def timestamp(column: Any) -> Any:
    return string(
        func.to_char(column.op("AT TIME ZONE")(literal("UTC")), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
    )


def geojson(column: Any) -> Any:
    return raw(func.ST_AsGeoJSON(column, tables.GEOJSON_DIGITS))


def json_object(pairs: list[tuple[str, Any]]) -> Any:
    """The JSON text of an object whose values are JSON text, keys in selection order."""
    if not pairs or len(pairs) > 60:
        raise Unsupported("object size")
    pieces: list[Any] = []
    for index, (key, value) in enumerate(pairs):
        if not NAME.match(key):
            raise Unsupported("not a GraphQL name")
        pieces += [literal_text(("{" if index == 0 else ",") + f'"{key}":'), value]
    return concat(*pieces, literal_text("}"))


def json_list(item: Any, *order_by: Any) -> Any:
    """The JSON text of a list of JSON texts (an aggregate: [] when there are none)."""
    joined = func.string_agg(item, aggregate_order_by(literal_column("','"), *order_by))
    return concat(literal_text("["), func.coalesce(joined, literal_column("''")),
                   literal_text("]"))  # fmt: skip


def list_text(aggregated: Any) -> Any:
    """An aggregated list's items (text, or NULL for none) as a JSON list."""
    return concat(literal_text("["), func.coalesce(aggregated, literal_column("''")),
                   literal_text("]"))  # fmt: skip


def beside(row: Any, laterals: list) -> Any:
    """``row`` with each LATERAL subquery joined to it (every row kept)."""
    for lateral in laterals:
        row = row.outerjoin(lateral, true())
    return row


@cache
def element_columns(category: Category) -> dict[str, tuple[str, str]]:
    """GraphQL field -> (element key, element type) for a category's type."""
    return {graphql_field_name(e.key): (e.key, e.type) for e in get_catalog().elements_of(category)}

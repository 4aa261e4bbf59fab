"""Scalars and enums shared by the schema."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import graphene
from graphql.language import ast

from registry.catalog import Category
from registry.clock import parse_moment
from registry.models import PROJECT_STATUSES, PROJECT_TYPES


def unwrap(value: Any) -> Any:
    """An enum argument's Python value: graphene gives a member (``.value``) or the value
    itself, depending on how it was passed; both mean the same."""
    return getattr(value, "value", value)


def _literal(node: ast.ValueNode) -> Any:
    if isinstance(node, ast.StringValueNode):
        return json.loads(node.value) if node.value.lstrip().startswith("{") else node.value
    if isinstance(node, ast.ObjectValueNode):
        return {f.name.value: _literal(f.value) for f in node.fields}
    if isinstance(node, ast.ListValueNode):
        return [_literal(v) for v in node.values]
    if isinstance(node, ast.IntValueNode):
        return int(node.value)
    if isinstance(node, ast.FloatValueNode):
        return float(node.value)
    if isinstance(node, ast.BooleanValueNode):
        return node.value
    return None


class JSON(graphene.Scalar):
    """Any JSON value."""

    serialize = staticmethod(lambda value: value)
    parse_value = staticmethod(lambda value: value)
    parse_literal = staticmethod(lambda node, _variables=None: _literal(node))


class GeoJSON(graphene.Scalar):
    """A GeoJSON geometry object (RFC 7946): longitude, latitude, WGS 84 unless a `crs`
    argument asked for GCJ-02 or BD-09. As input: an object, or the same as a JSON string."""

    serialize = staticmethod(lambda value: value)
    parse_value = staticmethod(lambda value: value)
    parse_literal = staticmethod(lambda node, _variables=None: _literal(node))


class Timestamp(graphene.Scalar):
    """A moment in UTC, ISO 8601 to the second: 2024-03-10T02:00:00Z. As input, any ISO 8601
    moment from 0001-01-02 to 9999-12-30 (UTC when it names no zone)."""

    @staticmethod
    def serialize(value: dt.datetime) -> str:
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    @staticmethod
    def parse_value(value: Any) -> dt.datetime:
        if not isinstance(value, str):
            raise TypeError("a Timestamp is a string")
        return parse_moment(value)

    @staticmethod
    def parse_literal(node: ast.ValueNode, _variables: Any = None) -> dt.datetime:
        if not isinstance(node, ast.StringValueNode):
            raise TypeError("a Timestamp is a string")
        return parse_moment(node.value)


CategoryKey = graphene.Enum(
    "CategoryKey",
    [(c.name, c.value) for c in Category],
    description="The eight disclosure categories (国办发〔2017〕94号).",
)
ProjectStatus = graphene.Enum(
    "ProjectStatus",
    [(k.upper(), k) for k in PROJECT_STATUSES],
    description="Life-cycle status: " + ", ".join(f"{k} {v}" for k, v in PROJECT_STATUSES.items()),
)
ProjectType = graphene.Enum(
    "ProjectType",
    [(k.upper(), k) for k in PROJECT_TYPES],
    description="审批 (approval), 核准 (authorization), 备案 (filing).",
)


class OutputCRS(graphene.Enum):
    """Coordinates for the base map: WGS 84 (as stored; OpenStreetMap, Tianditu), GCJ-02
    (AMap, Tencent) or BD-09 (Baidu)."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"


class ProjectOrder(graphene.Enum):
    CODE = "CODE"
    NAME = "NAME"
    APPROVED_ON = "APPROVED_ON"
    APPROVED_ON_DESC = "APPROVED_ON_DESC"
    INVESTMENT_DESC = "INVESTMENT_DESC"
    UPDATED_DESC = "UPDATED_DESC"
    DISTANCE = "DISTANCE"

"""SQL plumbing every reader shares: named bound parameters (``Binds``), the as-of rule
(``known_at``: which projects the register knew at a moment), spatial and range
conditions, and grouping rows by key."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import (
    ARRAY,
    BindParameter,
    Date,
    DateTime,
    Float,
    Text,
    any_,
    bindparam,
    exists,
    func,
    literal,
    or_,
    select,
)

from registry.geometry import STORAGE_SRID
from registry.reading import visibility
from registry.reading.inputs import DateRange, Near, ProjectQuery
from registry.reading.tables import P, S


class Binds:
    """The bound parameters of one statement, each under a name of its own.

    Every value that comes from a request goes into a statement through here, so a compiled
    statement can be kept and run again with another request's values
    (schema/compiler/'s cache): the names, not the order, carry them."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self._made: dict[str, BindParameter] = {}

    def __call__(self, name: str, value: Any, type_: Any = None) -> BindParameter:
        key = f"{self.prefix}{name}"
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = bindparam(key, value, type_=type_)
        elif made.value != value:
            raise ValueError(f"bound parameter {key} given two values")
        return made

    def values(self) -> dict[str, Any]:
        return {key: bind.value for key, bind in self._made.items()}


def _point(near: Near, b: Binds) -> Any:
    return func.ST_SetSRID(
        func.ST_MakePoint(b("near_lon", near.lon, Float), b("near_lat", near.lat, Float)),
        STORAGE_SRID,
    )


def _geography(geom: Any) -> Any:
    return func.geography(geom)


def _site_exists(condition: Any) -> Any:
    return exists(select(literal(1)).select_from(S).where(S.c.project_id == P.c.id, condition))


def as_of_bind(q: ProjectQuery, b: Binds) -> BindParameter | None:
    return None if q.as_of is None else b("as_of", q.as_of, DateTime(timezone=True))


def known_at(as_of: Any, project: Any = None) -> Any:
    """A project the register knew at ``as_of``: registered by then, or with an item
    public then (records moved from an earlier platform keep their publication dates)."""
    project = P if project is None else project
    x = visibility.public(as_of, name="known")
    return or_(
        project.c.created_at <= as_of,
        exists(select(literal(1)).select_from(x).where(x.c.project_id == project.c.id)),
    )


def _category_exists(category: str, as_of: Any, name: str, b: Binds) -> Any:
    x = visibility.public(as_of, name="pc")
    return exists(
        select(literal(1))
        .select_from(x)
        .where(x.c.project_id == P.c.id, x.c.category == b(name, category, Text))
    )


def _in_range(column: Any, span: DateRange | None, name: str, b: Binds) -> list:
    if span is None:
        return []
    return [
        *([column >= b(f"{name}_from", span.start, Date)] if span.start else []),
        *([column <= b(f"{name}_to", span.end, Date)] if span.end else []),
    ]


def _any(column: Any, name: str, values: list[str], b: Binds) -> Any:
    return column == any_(b(name, list(values), ARRAY(Text)))


def _grouped(rows: Any, key: str) -> dict[int, list[dict]]:
    grouped: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return grouped

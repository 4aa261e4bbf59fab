"""What a reader asks for: a project query (filters, spatial arguments, order, moment) and a
disclosure query, with the checks that refuse what cannot be answered, each problem named
by its parameter."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from registry.errors import InvalidInput, Problem, not_one_of
from registry.geometry import geometry_problems, parse_geojson
from registry.identifiers import digits
from registry.language import say
from registry.models import (
    PROJECT_STATUSES,
    PROJECT_TYPES,
)


@dataclass
class Near:
    lon: float
    lat: float
    meters: float


@dataclass
class DateRange:
    start: dt.date | None = None
    end: dt.date | None = None


@dataclass
class ProjectQuery:
    text: str | None = None
    region_code: str | None = None
    statuses: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    industries: list[str] = field(default_factory=list)
    responsible_department: str | None = None
    has_categories: list[str] = field(default_factory=list)
    lacks_categories: list[str] = field(default_factory=list)
    approved_on: DateRange | None = None
    started_on: DateRange | None = None
    completed_on: DateRange | None = None
    bbox: list[float] | None = None
    intersects: dict[str, Any] | str | None = None  # GeoJSON, as an object or its text
    near: Near | None = None
    order: str = "CODE"
    as_of: dt.datetime | None = None  # what was public then (projects registered by then)
    list_id: int | None = None  # on this list (its current entries on the day)
    major: bool | None = None  # in scope (a major project) on the day, or not
    scope_on: dt.date | None = None  # the day of list_id and major (default: as_of's, or today)
    updated_since: dt.datetime | None = None  # registered or changed since
    after_id: int | None = None  # the page after this row, in the query's order (keyset)


def outside(value: object, limit: int) -> str:
    return say("{value} is outside [-{limit}, {limit}]", value=value, limit=limit)


def bbox_problems(bbox: list[float], path: str = "bbox") -> list[Problem]:
    if len(bbox) != 4 or not all(math.isfinite(v) for v in bbox):
        return [
            Problem(
                path,
                "invalid_bbox",
                say("must be four finite numbers: [minLon, minLat, maxLon, maxLat]"),
            )
        ]
    min_lon, min_lat, max_lon, max_lat = bbox
    problems = []
    for name, value, limit in (
        ("minLon", min_lon, 180),
        ("maxLon", max_lon, 180),
        ("minLat", min_lat, 90),
        ("maxLat", max_lat, 90),
    ):
        if abs(value) > limit:
            problems.append(Problem(path, "out_of_range", outside(f"{name} {value}", limit)))
    if min_lon > max_lon:
        problems.append(
            Problem(
                path,
                "min_greater_than_max",
                say("minLon {low} is greater than maxLon {high}", low=min_lon, high=max_lon),
            )
        )
    if min_lat > max_lat:
        problems.append(
            Problem(
                path,
                "min_greater_than_max",
                say("minLat {low} is greater than maxLat {high}", low=min_lat, high=max_lat),
            )
        )
    return problems


def near_problems(near: Near, path: str = "near") -> list[Problem]:
    problems = []
    if not (math.isfinite(near.lon) and abs(near.lon) <= 180):
        problems.append(Problem(f"{path}.lon", "out_of_range", outside(near.lon, 180)))
    if not (math.isfinite(near.lat) and abs(near.lat) <= 90):
        problems.append(Problem(f"{path}.lat", "out_of_range", outside(near.lat, 90)))
    if not (math.isfinite(near.meters) and near.meters >= 0):
        problems.append(
            Problem(
                f"{path}.meters",
                "negative_distance",
                say("{meters} must be a distance of 0 metres or more", meters=near.meters),
            )
        )
    elif near.meters > 1_000_000:
        problems.append(
            Problem(f"{path}.meters", "out_of_range", say("must be at most 1,000,000 metres"))
        )
    return problems


def record_id(value: Any, field: str = "id") -> int:
    """A record id as a client gives it (GraphQL ID, path segment): digits, within int4."""
    text = str(value)
    if not digits(text) or int(text) > 2_147_483_647:
        raise InvalidInput.one(field, "invalid_id", say("{id!r} is not a record id", id=text[:40]))
    return int(text)


def iso_day(text: str, field: str, problems: list[Problem]) -> dt.date | None:
    """A day as a query string gives it (YYYY-MM-DD), or a problem."""
    try:
        day = dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None or day.year < 1900:
        problems.append(Problem(field, "not_a_date", say(
            "{value!r} is not a date (YYYY-MM-DD)", value=text[:40])))  # fmt: skip
        return None
    return day


def validate_project_query(q: ProjectQuery) -> ProjectQuery:
    problems: list[Problem] = []
    if q.bbox is not None:
        problems += bbox_problems(q.bbox)
    if q.near is not None:
        problems += near_problems(q.near)
    if q.intersects is not None:
        try:
            geom = parse_geojson(q.intersects, "intersects")
            problems += [
                p
                for p in geometry_problems(geom, "intersects")
                if p.code in ("geometry_invalid", "geometry_empty")
            ]
        except InvalidInput as exc:
            problems += exc.problems
    if q.order == "DISTANCE" and q.near is None:
        problems.append(Problem("orderBy", "needs_near", say("DISTANCE ordering needs `near`")))
    for name in ("statuses", "types"):
        allowed = PROJECT_STATUSES if name == "statuses" else PROJECT_TYPES
        problems += [not_one_of(name, v, allowed) for v in getattr(q, name) if v not in allowed]
    if problems:
        raise InvalidInput(problems)
    return q


@dataclass
class DisclosureQuery:
    categories: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    project_code: str | None = None
    publisher: str | None = None
    region_code: str | None = None
    formed_on: DateRange | None = None
    published_from: dt.datetime | None = None
    published_to: dt.datetime | None = None
    withdrawn: bool = False  # the withdrawn items instead of the public ones
    as_of: dt.datetime | None = None
    updated_since: dt.datetime | None = None  # published (a revision) or withdrawn since
    after_id: int | None = None  # the page after this row (newest first), keyset

"""The query of an OGC API items request: its parameters, limits and formats, below both
the layers that answer it and the handlers that parse it."""

from __future__ import annotations

from dataclasses import dataclass

from registry.language import say

MAX_LIMIT, DEFAULT_LIMIT = 1000, 10
MAX_OFFSET = 2**31 - 1
MAX_ID = 2**63 - 1  # PostgreSQL bigint
COMMON_PARAMS = {"bbox", "limit", "offset", "crs", "f"}
FORMATS = ("json", "html")


@dataclass
class ItemsQuery:
    bbox: list[float] | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    crs: str = "wgs84"
    status: list[str] | None = None
    region: str | None = None
    category: list[str] | None = None
    item: list[str] | None = None
    list_id: int | None = None  # projects: on this list today
    major: bool | None = None  # projects: major (in scope) today, or not


def between(low: int, high: int) -> str:
    return say("must be a whole number from {low} to {high}", low=low, high=high)

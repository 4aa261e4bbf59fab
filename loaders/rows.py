"""Turn mapped rows into publishing inputs. Value problems name the column key; the
runner turns keys back into the file's own headers."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import cache
from typing import Any

from shapely import wkt as shapely_wkt
from shapely.errors import GEOSException
from shapely.geometry import Point

from loaders.base import Row, blank
from loaders.columns import Column, Kind, choice, normalise
from registry import publishing as pub
from registry.catalog import Category, get_catalog
from registry.errors import InvalidInput, Problem
from registry.language import phrase, said, say
from registry.models import PROJECT_STATUSES, PROJECT_TYPES
from registry.publishing.content import date_problem, parse_date
from registry.suggest import hint

# Columns whose full-width characters (a Chinese input method's digits, letters, hyphens)
# mean their half-width forms: NFKC makes ２０２３－０３－１０ 2023-03-10. Free text is kept.
NORMALISED_TYPES = frozenset({"code", "number", "amount", "date", "phone"})
WIDTH_NOTE = say("full-width digits or punctuation read as half-width")
DATE_NOTE = say("dates written otherwise (2024/3/5, 2024年3月5日, 2024.3.5) read as YYYY-MM-DD")
SERIAL_NOTE = say("Excel date numbers (such as 45356) read as dates")
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def values_by_key(
    row: Row, mapping: dict[str, Column], noted: list[str] | None = None
) -> dict[str, Any]:
    """The row's values by column key, trimmed; codes, numbers and dates NFKC-normalised
    (each cell so changed adds WIDTH_NOTE to ``noted``, each date written otherwise than
    YYYY-MM-DD a DATE_NOTE or SERIAL_NOTE)."""
    values = {}
    for header, value in row.values.items():
        column = mapping.get(header)
        if column is None or blank(value):
            continue
        if isinstance(value, str):
            value = value.strip()
            if column.type in NORMALISED_TYPES:
                normal = unicodedata.normalize("NFKC", value)
                if normal != value and noted is not None:
                    noted.append(WIDTH_NOTE)
                value = normal
        if column.type == "date" and noted is not None:
            _note_date(value, noted)
        values[column.key] = value
    return values


def _note_date(value: Any, noted: list[str]) -> None:
    if isinstance(value, str) and not ISO_DAY.fullmatch(value) and parse_date(value):
        noted.append(SERIAL_NOTE if value.isdigit() and len(value) == 5 else DATE_NOTE)
    elif isinstance(value, int | float) and not isinstance(value, bool) and parse_date(value):
        noted.append(SERIAL_NOTE)


def row_geometry(row: Row, values: dict[str, Any]) -> Any:
    """The row's geometry: native (GIS files), WKT, or a longitude/latitude pair."""
    if row.geometry is not None:
        return row.geometry
    if "wkt" in values:
        try:
            return shapely_wkt.loads(str(values["wkt"]))
        except (GEOSException, ValueError) as exc:
            raise InvalidInput.one(
                "wkt", "invalid_wkt", say("is not valid WKT ({why})", why=exc)
            ) from exc
    if "lon" in values or "lat" in values:
        try:
            return Point(float(values["lon"]), float(values["lat"]))
        except (KeyError, ValueError) as exc:
            raise InvalidInput.one(
                "lon", "invalid_point", say("a point needs both 经度 and 纬度 as numbers")
            ) from exc
    return None


def _date(values: Any, key: Any, problems: Any) -> dt.date | None:
    if key not in values:
        return None
    parsed = parse_date(values[key])
    if parsed is None:
        problems.append(Problem(key, "not_a_date", date_problem(values[key])))
    return parsed


def _choice(
    values: Any, key: Any, options: Any, what: Any, problems: Any, default: Any = None
) -> Any:
    if key not in values:
        return default
    try:
        return choice(str(values[key]), options, what)
    except ValueError as exc:
        problems.append(Problem(key, "unknown_value", str(exc)))
        return default


PROJECT_TEXT = ("name", "region_code", "industry", "description", "owner", "owner_department",
                "investment")  # fmt: skip


def project_input(values: Any, geometry: Any, crs: Any, synthetic: bool) -> pub.ProjectInput:
    """A row of a projects file: the columns it fills are the fields it sets; an empty cell
    (or a column the file does not have) leaves the registered value as it is."""
    problems: list[Problem] = []
    given: dict[str, Any] = {name: values[name] for name in PROJECT_TEXT if name in values}
    if "region_code" in given:
        given["region_code"] = str(given["region_code"])
    if "project_type" in values:
        given["project_type"] = _choice(values, "project_type", PROJECT_TYPES,
                                        phrase("project type"), problems, "")  # fmt: skip
    if "status" in values:
        given["status"] = _choice(
            values, "status", PROJECT_STATUSES, phrase("project status"), problems
        )
    for name in ("approved_on", "started_on", "completed_on"):
        if name in values:
            given[name] = _date(values, name, problems)
    data = pub.ProjectInput(
        code=str(values.get("code", "")),
        sites=[pub.SiteInput(geometry, name=values.get("site_name"), crs=crs)]
        if geometry
        else None,
        is_synthetic=synthetic,
        **given,
    )
    if problems:
        raise InvalidInput(problems)
    return data


@cache
def _items_by_name(category: Category | None) -> dict[str, str]:
    catalog = get_catalog()
    items = catalog.category(category).items if category else catalog.items()
    return {
        **{normalise(i.name_zh): i.key for i in items},
        **{normalise(i.key): i.key for i in items},
    }


def item_for(kind: Kind, values: Any) -> str:
    if kind.item is not None:
        return kind.item.key
    text = str(values.get("item", ""))
    if not text.strip():
        raise InvalidInput.one(
            "item",
            "required",
            say("the item is empty: every row names its item"),
        )
    found = _items_by_name(kind.category).get(normalise(text))
    if found is None:
        catalog = get_catalog()
        names = [i.name_zh for i in (catalog.category(kind.category).items if kind.category
                                     else catalog.items())]  # fmt: skip
        where = (
            said("category {category}", category=catalog.category(kind.category).phrase)
            if kind.category
            else phrase("the catalog")
        )
        raise InvalidInput.one(
            "item",
            "unknown_item",
            say(
                "{text!r} is not an item of {where}{hint} (`registry catalog` lists them)",
                text=text,
                where=where,
                hint=hint(text, names),
            ),
        )
    return found


def disclosure_input(
    kind: Kind, values: Any, geometry: Any, crs: Any, synthetic: bool
) -> pub.DisclosureInput:
    item = get_catalog().known_item(item_for(kind, values))
    element_keys = _element_keys(item.key)
    stray = [k for k in values if k in _all_elements() and k not in element_keys]
    if stray:
        raise InvalidInput(
            [
                Problem(
                    k,
                    "not_for_item",
                    say(
                        "is not an element of {item}; leave it empty on this row",
                        item=item.phrase,
                    ),
                )
                for k in stray
            ]
        )
    problems: list[Problem] = []
    published_at = _date(values, "published_at", problems)
    documents = []
    if "document_url" in values or "document_title" in values:
        documents.append(
            {"title": values.get("document_title", ""), "url": values.get("document_url", "")}
        )
    if problems:
        raise InvalidInput(problems)
    return pub.DisclosureInput(
        project_code=str(values.get("project_code", "")),
        item=item.key,
        formed_on=values.get("formed_on"),
        title=values.get("title"),
        ref=str(values.get("ref", "")),
        publisher=values.get("publisher"),
        elements={k: v for k, v in values.items() if k in element_keys},
        documents=documents,
        geometry=geometry,
        crs=crs,
        is_synthetic=synthetic,
        published_at=dt.datetime.combine(
            published_at, dt.time(10), tzinfo=dt.timezone(dt.timedelta(hours=8))
        )
        if published_at
        else None,
    )


@cache
def _element_keys(item_key: str) -> frozenset[str]:
    return frozenset(ie.element.key for ie in get_catalog().known_item(item_key).elements)


@cache
def _all_elements() -> frozenset[str]:
    return frozenset(get_catalog().elements)


def category_of(values: Any) -> Category:
    text = normalise(str(values.get("category", "")))
    catalog = get_catalog()
    for category in Category:
        if text in (normalise(category.value), normalise(catalog.category_name_zh(category))):
            return category
    raise InvalidInput.one(
        "category",
        "unknown_category",
        say(
            "{value!r} is not a category{hint} ({allowed})",
            value=values.get("category"),
            hint=hint(values.get("category"), [c.name_zh for c in catalog.categories]),
            allowed="、".join(c.name_zh for c in catalog.categories),
        ),
    )

"""Content rules shared by every write: element types, dates, amounts, personal
identifiers, and a disclosure's validated content (``Content``).

Each function returns the problems it finds (empty when the input passes) so that one
pass can report everything wrong with a row at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

import orjson
from shapely.geometry.base import BaseGeometry

from registry.catalog import Category, Element, Item, get_catalog
from registry.clock import EARLIEST_YEAR, today
from registry.errors import InvalidInput, Problem
from registry.geometry import HEIGHTS_DROPPED, geometry_problems, parse_geojson, to_storage
from registry.identifiers import digits, personal_identifiers
from registry.language import Phrase, phrase, say
from registry.links import MAX_URL, safe_url

PHONE = re.compile(r"^[0-9()+\- ]{3,30}(转\d{1,6})?$")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d",
                "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")  # fmt: skip
# day 1 of Excel's serial dates (1900 system, with its phantom 1900-02-29)
EXCEL_EPOCH = dt.date(1899, 12, 30)
EXCEL_SERIALS = range(20_000, 80_000)  # 1954-10-03 to 2119-01-10: nothing else is a date here
LOOKS_LIKE_A_DAY = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def parse_date(value: Any) -> dt.date | None:
    """A day from what people write: ISO dates, 2024/3/5, 2024.3.5, 2024年3月5日, 20240305,
    full-width digits and punctuation (NFKC), Excel date cells and Excel serial numbers."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _excel_day(value)
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text)  # the common case, in C
    except ValueError:
        pass
    text = unicodedata.normalize("NFKC", text).strip()
    if digits(text) and len(text) == 5:
        return _excel_day(int(text))
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _excel_day(serial: float) -> dt.date | None:
    if serial != int(serial) or int(serial) not in EXCEL_SERIALS:
        return None
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


def date_problem(value: Any) -> str:
    """Why a value is not a date, in Chinese then English, saying how to write one."""
    text = unicodedata.normalize("NFKC", str(value)).strip()
    day = LOOKS_LIKE_A_DAY.match(text)
    if day:
        year, month, number = (int(part) for part in day.groups())
        return say(
            "{value!r} is not a day of the calendar ({year}-{month:02d} has no day {day})",
            value=value,
            year=year,
            month=month,
            day=number,
        )
    return say("{value!r} is not a date (write it as YYYY-MM-DD, e.g. 2024-03-05)", value=value)


def parse_amount(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


# an amount's unit as lists write it, in 万元 (the register's unit of investment)
UNITS_IN_WAN = (("亿元", Decimal(10000)), ("亿", Decimal(10000)), ("万元", Decimal(1)),
                ("万", Decimal(1)), ("元", Decimal("0.0001")))  # fmt: skip


def parse_wan(value: Any, unit: Decimal = Decimal(1)) -> Decimal | None:
    """An amount in 万元: a number in ``unit`` 万元 (10000 for a column headed 亿元), or a
    number followed by its own unit (5.2亿元, 52000万元)."""
    text = str(value).strip().replace("，", ",") if not isinstance(value, bool) else ""
    for suffix, factor in UNITS_IN_WAN:
        if text.endswith(suffix):
            text, unit = text.removesuffix(suffix), factor
            break
    amount = parse_amount(text)
    return None if amount is None else amount * unit


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def raise_if(problems: list[Problem]) -> None:
    if problems:
        raise InvalidInput(problems)


def date_field(value: Any, path: str, problems: list[Problem]) -> dt.date | None:
    if is_blank(value):
        return None
    parsed = parse_date(value)
    if parsed is None:
        problems.append(Problem(path, "not_a_date", date_problem(value)))
    return parsed


def element_value(element: Element, value: Any, path: str) -> tuple[Any, list[Problem]]:
    """The value normalised for storage (dates ISO, amounts numbers), or the problems."""
    if isinstance(value, dict | list | tuple | set):
        return None, [
            Problem(path, "not_a_scalar", say("must be a single value, not a list or an object"))
        ]
    if element.type == "date":
        date = parse_date(value)
        if date is None:
            return None, [Problem(path, "not_a_date", date_problem(value))]
        if element.past and date > today():
            return None, [
                Problem(
                    path,
                    "date_in_future",
                    say(
                        "{date} lies in the future ({element} records a decision already made)",
                        date=date.isoformat(),
                        element=element.phrase,
                    ),
                )
            ]
        return date.isoformat(), []
    if element.type == "amount":
        amount = parse_amount(value)
        if amount is None:
            return None, [
                Problem(path, "not_a_number", say("{value!r} is not a number", value=value))
            ]
        if amount < 0 and not element.signed:
            return None, [
                Problem(path, "negative_amount", say("{value!r} must not be negative", value=value))
            ]
        return float(amount), []
    text = str(value).strip()
    if element.type == "phone" and not PHONE.match(text):
        return None, [
            Problem(path, "not_a_phone", say("{value!r} is not a telephone number", value=text))
        ]
    return text, []


def elements_problems(
    item: Item, elements: Mapping[str, Any]
) -> tuple[dict[str, Any], list[Problem]]:
    """Check a disclosure's elements against its catalog item; return them normalised."""
    problems: list[Problem] = []
    normalised: dict[str, Any] = {}
    known = {ie.element.key for ie in item.elements}
    for key in elements:
        if key not in known:
            problems.append(
                Problem(
                    f"elements.{key}",
                    "unknown_element",
                    say(
                        "{key!r} is not an element of {item}; expected one of: {known}",
                        key=key,
                        item=item.phrase,
                        known=", ".join(sorted(known)),
                    ),
                )
            )
    for ie in item.elements:
        key, value = ie.element.key, elements.get(ie.element.key)
        path = f"elements.{key}"
        if is_blank(value):
            if ie.required:
                problems.append(
                    Problem(
                        path,
                        "required",
                        say(
                            "{element} is required for {item}",
                            element=ie.element.phrase,
                            item=item.phrase,
                        ),
                    )
                )
            continue
        clean, found = element_value(ie.element, value, path)
        problems.extend(found)
        if not found:
            normalised[key] = clean
    return normalised, problems


# C0 controls but tab, line feed and carriage return; DEL; unpaired UTF-16 surrogates
# (PostgreSQL refuses NUL and lone surrogates in text; the others garble what readers see).
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# invisible characters that change how text reads: bidirectional embeddings, overrides and
# isolates (a title shown backwards, "Trojan Source"), zero-width spaces and joiners, word
# joiners, a byte-order mark inside text
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def text_problems(
    texts: Iterable[tuple[str, Any]], official_numbers: frozenset[str] = frozenset()
) -> list[Problem]:
    """Text that will be published: no control characters, and no personal identifiers
    (resident ID, mobile number).

    Paths in ``official_numbers`` hold permit or document numbers, whose 18-digit form
    (region + date + sequence) can pass the resident-ID check; only mobiles are sought there.
    """
    problems = []
    for path, value in texts:
        if not isinstance(value, str):
            continue
        if CONTROL.search(value):
            problems.append(
                Problem(
                    path,
                    "control_character",
                    say(
                        "contains a control character (such as NUL) or an unpaired surrogate; "
                        "remove it (it often comes from copying out of another program)"
                    ),
                )
            )
            continue
        if invisible := INVISIBLE.search(value):
            problems.append(
                Problem(
                    path,
                    "invisible_character",
                    say(
                        "contains the invisible character {code} ({name}), which changes how "
                        "the text reads; remove it",
                        code=f"U+{ord(invisible.group()):04X}",
                        name=unicodedata.name(invisible.group(), "format character"),
                    ),
                )
            )
            continue
        for found in personal_identifiers(value, resident_ids=path not in official_numbers):
            problems.append(
                Problem(
                    path,
                    "personal_identifier",
                    say(
                        "contains {found}; personal information must not be published "
                        "(remove it or publish a summary)",
                        found=found,
                    ),
                )
            )
    return problems


def url_problems(documents: list[dict[str, Any]]) -> list[Problem]:
    return [
        Problem(
            f"documents[{index}].url",
            "unsafe_url",
            say(
                "{url!r} is not a web address: a document link starts with https:// or "
                "http:// (at most {most} characters)",
                url=str(doc.get("url"))[:80],
                most=MAX_URL,
            ),
        )
        for index, doc in enumerate(documents)
        if not is_blank(doc.get("url")) and not safe_url(doc.get("url"))
    ]


def not_in_future(value: dt.date | None, path: str, why: Phrase) -> list[Problem]:
    if value is not None and value > today():
        return [
            Problem(
                path,
                "date_in_future",
                say("{date} lies in the future ({why})", date=value.isoformat(), why=why),
            )
        ]
    return []


# --- a disclosure's content ---------------------------------------------------------


@dataclass
class Content:
    """A disclosure's validated content: what a revision stores and what its digest covers."""

    title: str
    elements: dict[str, Any]
    documents: list[dict[str, str]]
    formed_on: dt.date
    geometry: BaseGeometry | None
    draft: bool
    warnings: tuple[str, ...] = ()  # what was changed on the way in (not part of the digest)

    def digest(self) -> str:
        """The content's fingerprint: the same content always gives the same digest, so
        loading the same row again is recognised as unchanged."""
        payload = {
            "title": self.title,
            "elements": self.elements,
            "documents": self.documents,
            "formed_on": self.formed_on.isoformat(),
            "draft": self.draft,
            "geometry": self.geometry.wkb_hex if self.geometry is not None else None,
        }
        return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


@cache
def _official_numbers(item_key: str) -> frozenset[str]:
    item = get_catalog().known_item(item_key)
    return frozenset(f"elements.{ie.element.key}" for ie in item.elements if ie.element.code)


def disclosure_content(
    project_name: str,
    approved_on: dt.date | None,
    item: Item,
    data: Any,
) -> Content:
    """Validate a ``DisclosureInput`` of ``item`` for a project; InvalidInput naming every
    problem, or its ``Content``."""
    elements, problems = elements_problems(item, data.elements or {})
    formed_on = date_field(data.formed_on, "formed_on", problems)
    if formed_on is None and not any(p.path == "formed_on" for p in problems):
        problems.append(
            Problem(
                "formed_on",
                "required",
                say("the date the information was formed or changed is required"),
            )
        )
    problems += not_in_future(formed_on, "formed_on", phrase("information not yet formed"))
    if formed_on is not None and formed_on.year < EARLIEST_YEAR:
        problems.append(
            Problem(
                "formed_on",
                "date_too_early",
                say(
                    "{date} is before {year}, earlier than any record of this register",
                    date=formed_on,
                    year=EARLIEST_YEAR,
                ),
            )
        )
    if item.category == Category.COMPLETION and approved_on:
        for key, value in elements.items():
            element = item.element(key)
            if element and element.element.type == "date" and value < approved_on.isoformat():
                problems.append(
                    Problem(
                        f"elements.{key}",
                        "completion_before_approval",
                        say(
                            "{date} is before the project's approval {approved}",
                            date=value,
                            approved=approved_on,
                        ),
                    )
                )
    documents = [dict(d) for d in data.documents or []]
    for index, doc in enumerate(documents):
        if is_blank(doc.get("title")) or is_blank(doc.get("url")):
            problems.append(
                Problem(
                    f"documents[{index}]", "required", say("a document needs a title and a url")
                )
            )
    problems += url_problems(documents)
    title = (data.title or f"{project_name} {item.name_zh}").strip()
    problems += text_problems(
        [
            ("title", title),
            ("ref", data.ref),
            *((f"elements.{k}", v) for k, v in elements.items()),
            *((f"documents[{i}].title", d.get("title")) for i, d in enumerate(documents)),
            *((f"documents[{i}].url", d.get("url")) for i, d in enumerate(documents)),
        ],
        official_numbers=_official_numbers(item.key),
    )
    geometry: BaseGeometry | None = None
    warnings: tuple[str, ...] = ()
    if data.geometry is not None:
        try:
            geometry = (
                data.geometry
                if isinstance(data.geometry, BaseGeometry)
                else parse_geojson(data.geometry)
            )
            warnings = (HEIGHTS_DROPPED,) if geometry.has_z else ()
            geometry = to_storage(geometry, data.crs)
            problems += geometry_problems(geometry)
        except InvalidInput as exc:
            problems += exc.problems
    raise_if(problems)
    assert formed_on is not None
    return Content(title, elements, documents, formed_on, geometry, data.draft, warnings)

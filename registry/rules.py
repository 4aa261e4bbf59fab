"""Content rules shared by every write: element types, dates, personal identifiers.

Each function returns the problems it finds (empty when the input passes) so that one
pass can report everything wrong with a row at once.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from registry.catalog import Element, Item
from registry.errors import Problem
from registry.identifiers import personal_identifiers

PHONE = re.compile(r"^[0-9()+\- ]{3,30}(转\d{1,6})?$")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


CST = dt.timezone(dt.timedelta(hours=8))
_today: list = [0.0, None]


def today() -> dt.date:
    """Today in China Standard Time (deadlines and 'not in the future' are local rules).
    Looked up at most once a second: loaders ask for every date of every row."""
    now = time.monotonic()
    if now - _today[0] > 1.0:
        _today[:] = [now, dt.datetime.now(CST).date()]
    return _today[1]


def parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text)  # the common case, in C
    except ValueError:
        pass
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_amount(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def element_value(element: Element, value: Any, path: str) -> tuple[Any, list[Problem]]:
    """The value normalised for storage (dates ISO, amounts numbers), or the problems."""
    if isinstance(value, dict | list | tuple | set):
        return None, [
            Problem(path, "not_a_scalar", "must be a single value, not a list or an object")
        ]
    if element.type == "date":
        date = parse_date(value)
        if date is None:
            return None, [Problem(path, "not_a_date", f"{value!r} is not a date (use YYYY-MM-DD)")]
        if element.past and date > today():
            return None, [
                Problem(
                    path,
                    "date_in_future",
                    f"{date.isoformat()} lies in the future ({element.name_zh} "
                    f"records a decision already made)",
                )
            ]
        return date.isoformat(), []
    if element.type == "amount":
        amount = parse_amount(value)
        if amount is None:
            return None, [Problem(path, "not_a_number", f"{value!r} is not a number")]
        if amount < 0 and not element.signed:
            return None, [Problem(path, "negative_amount", f"{value!r} must not be negative")]
        return float(amount), []
    text = str(value).strip()
    if element.type == "phone" and not PHONE.match(text):
        return None, [Problem(path, "not_a_phone", f"{text!r} is not a telephone number")]
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
                    f"is not an element of {item.key} ({item.name_zh}); "
                    f"expected one of: {', '.join(sorted(known))}",
                )
            )
    for ie in item.elements:
        key, value = ie.element.key, elements.get(ie.element.key)
        path = f"elements.{key}"
        if is_blank(value):
            if ie.required:
                problems.append(
                    Problem(
                        path, "required", f"{ie.element.name_zh} is required for {item.name_zh}"
                    )
                )
            continue
        clean, found = element_value(ie.element, value, path)
        problems.extend(found)
        if not found:
            normalised[key] = clean
    return normalised, problems


def privacy_problems(
    texts: Iterable[tuple[str, Any]], official_numbers: frozenset[str] = frozenset()
) -> list[Problem]:
    """Public fields must carry no personal identifiers (resident ID, mobile number).

    Paths in ``official_numbers`` hold permit or document numbers, whose 18-digit form
    (region + date + sequence) can pass the resident-ID check; only mobiles are sought there.
    """
    problems = []
    for path, value in texts:
        if isinstance(value, str):
            for found in personal_identifiers(value, resident_ids=path not in official_numbers):
                problems.append(
                    Problem(
                        path,
                        "personal_identifier",
                        f"contains {found}; personal information must not be "
                        f"published (remove it or publish a summary)",
                    )
                )
    return problems


def not_in_future(value: dt.date | None, path: str, what: str) -> list[Problem]:
    if value is not None and value > today():
        return [Problem(path, "date_in_future", f"{value.isoformat()} lies in the future ({what})")]
    return []

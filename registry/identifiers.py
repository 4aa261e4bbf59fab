"""Codes the registry checks: project codes, organisation codes, region codes, and the
personal identifiers that must never appear in public fields."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from registry.clock import today
from registry.language import Phrase, phrase, say

PROJECT_CODE = re.compile(r"^(\d{4})-(\d{6})-(\d{2})-(\d{2})-(\d{6})$", re.ASCII)
REGION_CODE = re.compile(r"^[1-8]\d{5}$", re.ASCII)
# 11–15 north, 21–23 north-east, 31–37 east, 41–46 centre-south, 50–54 south-west,
# 61–65 north-west, 71 Taiwan, 81–82 Hong Kong and Macao (GB/T 2260).
PROVINCE_PREFIXES = frozenset(
    str(n)
    for n in (
        *range(11, 16),
        *range(21, 24),
        *range(31, 38),
        *range(41, 47),
        *range(50, 55),
        *range(61, 66),
        71,
        81,
        82,
    )
)


def digits(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also says yes to "¹" and "①", which ``int`` refuses
    (a 500 where a refusal was due); every number read from outside is checked by this."""
    return text.isascii() and text.isdigit()


def project_code_problem(code: str) -> str | None:
    """Why ``code`` is not a valid 项目统一代码, or None when it is.

    Current codes (since November 2020) start with YYMM; legacy ones with a four-digit year.
    """
    match = PROJECT_CODE.match(code)
    if not match:
        return say(
            "{code!r} is not a valid project code (expected NNNN-NNNNNN-NN-NN-NNNNNN, "
            "24 characters)",
            code=code,
        )
    time_code, region = match.group(1), match.group(2)
    year, yy, mm = int(time_code), int(time_code[:2]), int(time_code[2:])
    legacy = 1990 <= year <= 2020
    current = 1 <= mm <= 12 and (yy, mm) >= (20, 11)
    if not (legacy or current):
        return say(
            "{code!r} is not a valid project code (time segment {time} is neither a year "
            "1990–2020 nor a YYMM from 2011, i.e. November 2020, on)",
            code=code,
            time=time_code,
        )
    if not _region_ok(region):
        return say(
            "{code!r} is not a valid project code (region segment {region} is not a 6-digit "
            "administrative division code, GB/T 2260)",
            code=code,
            region=region,
        )
    return None


def _region_ok(code: str) -> bool:
    return bool(REGION_CODE.match(code)) and code[:2] in PROVINCE_PREFIXES


def region_code_problem(code: str) -> str | None:
    if not _region_ok(code):
        return say("{code!r} is not a 6-digit administrative division code (GB/T 2260)", code=code)
    return None


def uscc_problem(code: str) -> str | None:
    """Why ``code`` is not a valid 统一社会信用代码 (GB 32100-2015), or None."""
    try:
        uscc.validate(code)
    except StdnumError as exc:
        return say(
            "{code!r} is not a valid unified social credit code ({why})",
            code=code,
            why=str(exc).lower().rstrip("."),
        )
    return None


RESIDENT_ID_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])", re.ASCII)
MOBILE_NUMBER = re.compile(
    r"(?<![0-9])(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?![0-9])", re.ASCII
)


PERSONAL = re.compile(
    f"(?P<id>{RESIDENT_ID_CANDIDATE.pattern})|(?P<mobile>{MOBILE_NUMBER.pattern})", re.ASCII
)


RESIDENT_ID_WEIGHTS = tuple(2 ** (17 - i) % 11 for i in range(17))
RESIDENT_ID_CHECK = "10X98765432"


def is_resident_id(candidate: str) -> bool:
    """Whether 18 characters are a resident ID number by the standard's own rules
    (GB 11643-1999): 17 digits and a check character (ISO 7064 MOD 11-2), a province that
    exists, and a birth date that is a real day from 1900 to today. Whether the district
    existed in the birth year is not asked: half the real numbers of people born before
    their district was created would pass otherwise."""
    text = candidate.upper()
    if len(text) != 18 or not text[:17].isascii() or not text[:17].isdigit():
        return False
    if text[:2] not in PROVINCE_PREFIXES:
        return False
    total = sum(int(d) * w for d, w in zip(text[:17], RESIDENT_ID_WEIGHTS, strict=True))
    if RESIDENT_ID_CHECK[total % 11] != text[17]:
        return False
    try:
        born = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return False
    return dt.date(1900, 1, 1) <= born <= today()


def personal_identifiers(text: str, resident_ids: bool = True) -> Iterator[Phrase]:
    """Names of the personal identifiers found in ``text`` (resident ID, mobile number).
    One pass of one expression: this runs on every text field of every row loaded."""
    found_id = found_mobile = False
    for match in PERSONAL.finditer(text):
        if match.group("mobile") and not found_mobile:
            found_mobile = True
        elif (
            match.group("id")
            and resident_ids
            and not found_id
            and is_resident_id(match.group("id"))
        ):
            found_id = True
    if found_id:
        yield phrase("a resident ID number")
    if found_mobile:
        yield phrase("a mobile phone number")


def region_prefix(code: str) -> str:
    """The prefix a division code stands for: 360100 (南昌市) -> 3601, 360000 -> 36."""
    while code.endswith("00") and len(code) > 2:
        code = code[:-2]
    return code

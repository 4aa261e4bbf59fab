"""Which registered project a row of an official list means, when the row has no project
code: names normalised as clerks write them, scored with rapidfuzz, the owner and the
district weighed in. A unique, strong match is taken; anything else goes to a review with
its candidates.

Normalising: full-width and half-width alike (NFKC), spaces and brackets gone, Chinese
numerals before 期/号线/标段 as digits (一期 = 1期 = （一期）), place prefixes (江西省, 南昌市,
the districts the register knows) and trailing 项目/工程/建设项目 dropped.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

from registry.identifiers import region_prefix

TAKE = 92  # a candidate this strong ...
MARGIN = 8  # ... and this far ahead of the next is taken without asking
SHOWN = 5  # candidates offered in a review
LOOKED_AT = 12  # candidates scored by name before the owner and the district weigh in
PHASE_MISMATCH = 20  # points off when the phases, lines or sections differ (一期 vs 二期)
PHASE_MISSING = 6  # points off when only one of the two names has one
DISTRICT_MISMATCH = 15  # points off when the row's district is not the project's
OWNER_MISMATCH = 8  # points off when the row's unit is clearly not the project's owner
OWNER_AGREES = 3

NUMERALS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
            "八": 8, "九": 9}  # fmt: skip
NUMBERED = re.compile(r"第?([零一二两三四五六七八九十]+)(期|号线|标段|号|座|条)")
TRAILING_PHASE = re.compile(r"\d+(期|标段)$")
BRACKETS = str.maketrans("", "", "()[]{}<>（）【】〔〕《》“”\"'‘’、·-—")
SPACES = re.compile(r"\s+")
SUFFIXES = ("建设项目", "建设工程", "工程项目", "项目", "工程")
ORG_SUFFIXES = ("有限责任公司", "股份有限公司", "有限公司", "集团", "人民政府", "管理委员会",
                "管委会")  # fmt: skip
PROVINCES = ("江西省",)


def chinese_number(text: str) -> int:
    """十一 = 11, 二十 = 20, 三 = 3 (the small numbers phases and lines have)."""
    if "十" in text:
        tens, _, units = text.partition("十")
        return (NUMERALS.get(tens, 1) if tens else 1) * 10 + (
            NUMERALS.get(units, 0) if units else 0
        )
    value = 0
    for character in text:
        value = value * 10 + NUMERALS[character]
    return value


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    return SPACES.sub("", text).translate(BRACKETS)


def normalise(name: str, places: Iterable[str] = ()) -> str:
    """A project name as a comparison key: 南昌市（二期）青山湖大道改造工程 → 2期青山湖大道改造."""
    text = _plain(name)
    text = NUMBERED.sub(lambda m: f"{chinese_number(m.group(1))}{m.group(2)}", text)
    text = re.sub(r"第(\d+)", r"\1", text)
    for _ in range(3):  # 江西省南昌市青山湖区…
        for prefix in sorted((*PROVINCES, *places), key=len, reverse=True):
            if text.startswith(prefix) and len(text) > len(prefix) + 1:
                text = text[len(prefix) :]
                break
    tail = ""
    for _ in range(3):  # …工程项目, …工程3期, …3期项目
        for suffix in SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix) + 1:
                text = text[: -len(suffix)]
                break
        else:
            phase = TRAILING_PHASE.search(text)
            if phase is None or tail:
                break
            text, tail = text[: phase.start()], phase.group(0)
    return text + tail


DIRECTIONS = frozenset("东西南北中")
ROAD_WORDS = ("路", "大道", "大街", "街", "巷", "桥")


def distinct_roads(a: str, b: str) -> bool:
    """Whether two normalised names differ in a road's direction (昌北路 and 昌北北路,
    广场路 and 广场南路: two roads), which a name score barely sees."""
    for opcode in Indel.opcodes(a, b):
        if opcode.tag == "equal":
            continue
        spans = ((a, opcode.src_start, opcode.src_end), (b, opcode.dest_start, opcode.dest_end))
        for text, start, end in spans:
            for i in range(start, end):
                if text[i] in DIRECTIONS and text[i + 1 : i + 3].startswith(ROAD_WORDS):
                    return True
    return False


PHASED = re.compile(r"(\d+)(期|号线|标段)")


def phases(key: str) -> frozenset[tuple[str, str]]:
    """The phases, lines and sections a normalised name names: {("2", "期")}."""
    return frozenset(PHASED.findall(key))


def normalise_org(name: str, places: Iterable[str] = ()) -> str:
    """An owner's or a responsible unit's name as a comparison key."""
    text = _plain(name)
    for prefix in sorted((*PROVINCES, *places), key=len, reverse=True):
        text = text.removeprefix(prefix)
    for suffix in ORG_SUFFIXES:
        text = text.removesuffix(suffix)
    return text


@dataclass(frozen=True)
class Registered:
    """A registered project as the matcher sees it."""

    id: int
    code: str
    name: str
    region_code: str
    owner: str = ""  # the owner's name (项目单位) or its department's


@dataclass(frozen=True)
class Candidate:
    project: Registered
    score: float  # 0–100 after the owner and the district weighed in
    name_score: float


@dataclass
class Match:
    """What the matcher says of one row: ``taken`` (certain: by code, or a unique strong
    match), else the candidates for a review, best first, and why it did not decide."""

    taken: Candidate | None
    candidates: list[Candidate] = field(default_factory=list)
    by: str = ""  # code | name | ""
    why: str = ""  # no_candidate | weak | close | unknown_code | ""


class Matcher:
    """Matches rows of a list against the registered projects (built once per load)."""

    def __init__(self, projects: Iterable[Registered], places: dict[str, str] | None = None):
        self.places = dict(places or {})  # 青山湖区 -> 360111, 南昌市 -> 360100
        names = tuple(self.places)
        self.projects = list(projects)
        self.by_code = {p.code: p for p in self.projects}
        self.keys = [normalise(p.name, names) for p in self.projects]
        self.exact = Counter(self.keys)
        self.owners = [normalise_org(p.owner, names) for p in self.projects]
        self.phases = [phases(k) for k in self.keys]

    def region_of(self, text: str) -> str | None:
        """The division code a district's name in a row stands for (南昌县 → 360121)."""
        plain = _plain(text)
        for name in sorted(self.places, key=len, reverse=True):
            if name in plain:
                return self.places[name]
        return None

    def candidates(self, name: str, owner: str = "", district: str = "") -> list[Candidate]:
        key = normalise(name, tuple(self.places))
        found = process.extract(key, self.keys, scorer=fuzz.ratio, limit=LOOKED_AT,
                                score_cutoff=40)  # fmt: skip
        region = self.region_of(district) if district else None
        wanted = phases(key)
        unit = normalise_org(owner, tuple(self.places)) if owner else ""
        scored = []
        for _, name_score, index in found:
            project, score = self.projects[index], float(name_score)
            if wanted != self.phases[index]:
                score -= PHASE_MISMATCH if wanted and self.phases[index] else PHASE_MISSING
            if distinct_roads(key, self.keys[index]):
                score -= PHASE_MISMATCH
            if region is not None:
                if project.region_code.startswith(region_prefix(region)):
                    score += 2
                else:
                    score -= DISTRICT_MISMATCH
            if unit and self.owners[index]:
                agreement = fuzz.partial_ratio(unit, self.owners[index])
                score += (
                    OWNER_AGREES if agreement >= 85 else (-OWNER_MISMATCH if agreement < 50 else 0)
                )
            scored.append(Candidate(project, min(score, 100.0), float(name_score)))
        scored.sort(key=lambda c: (-c.score, -c.name_score, c.project.code))
        return scored[:SHOWN]

    def match(self, name: str, code: str = "", owner: str = "", district: str = "") -> Match:
        code = SPACES.sub("", unicodedata.normalize("NFKC", code or ""))
        if code:
            project = self.by_code.get(code)
            if project is not None:
                return Match(Candidate(project, 100.0, 100.0), by="code")
            return Match(None, self.candidates(name, owner, district), why="unknown_code")
        found = self.candidates(name, owner, district)
        if not found:
            return Match(None, [], why="no_candidate")
        best = found[0]
        second = found[1].score if len(found) > 1 else 0.0
        key = normalise(name, tuple(self.places))
        unique_exact = (best.name_score == 100 and self.exact[key] == 1
                        and best.score >= 100 - OWNER_MISMATCH + OWNER_AGREES)  # fmt: skip
        if unique_exact or (best.score >= TAKE and best.score - second >= MARGIN):
            return Match(best, found, by="name")
        return Match(None, found, why="weak" if best.score < TAKE else "close")

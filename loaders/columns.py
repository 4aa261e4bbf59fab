"""The columns each kind of file may have, by Chinese label or English key.

Element columns come from the catalog's single definition of each element; the other
columns are defined here once and drive header mapping, templates and the docs.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

from registry.catalog import Category, Item, get_catalog
from registry.errors import InvalidInput, Problem
from registry.language import Phrase, say
from registry.suggest import hint

FIXED_KINDS = ("projects", "sites", "responsibilities", "disclosures")
KIND_NAMES_ZH = {"projects": "项目", "sites": "项目位置", "responsibilities": "公开责任",
                 "disclosures": "公开事项"}  # fmt: skip


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # the Chinese header
    meaning: str
    type: str = "text"
    required: bool = False
    example: str = ""


def normalise(header: str) -> str:
    """Full-width to half-width, no spaces or required-markers, lower case for keys."""
    text = unicodedata.normalize("NFKC", str(header or "")).strip().strip("*").strip()
    return "".join(text.split()).lower()


GEOMETRY = [
    Column(
        "wkt",
        "几何(WKT)",
        "Geometry as WKT, in the file's coordinate system (--crs)",
        "wkt",
        example="POINT(115.8921 28.6765)",
    ),
    Column("lon", "经度", "Longitude (with 纬度, for a point)", "number", example="115.8921"),
    Column("lat", "纬度", "Latitude (with 经度, for a point)", "number", example="28.6765"),
]
PROJECT_CODE = Column(
    "project_code",
    "项目统一代码",
    "National project code (24 characters)",
    "code",
    True,
    "2303-360111-48-01-123456",
)

PROJECTS = [
    Column(
        "code",
        "项目统一代码",
        "National project code (24 characters)",
        "code",
        True,
        "2303-360111-48-01-123456",
    ),
    Column("name", "项目名称", "Project name", "text", True, "青山湖大道综合改造"),
    Column(
        "project_type",
        "项目类型",
        "审批 / 核准 / 备案 (approval, authorization, filing)",
        "choice",
        True,
        "审批",
    ),
    Column(
        "region_code",
        "行政区划代码",
        "6-digit administrative division code",
        "code",
        True,
        "360111",
    ),
    Column("industry", "所属行业", "Industry", "text", example="市政道路"),
    Column(
        "owner",
        "项目单位",
        "Project owner (legal person)",
        "text",
        example="南昌市政公用集团有限公司",
    ),
    Column(
        "owner_department",
        "项目单位部门代码",
        "The owner's department code in this registry, if it publishes its own bidding notices",
        "code",
        example="NCMUNI",
    ),
    Column(
        "investment", "总投资(万元)", "Total investment in 10,000 CNY", "amount", example="52000"
    ),
    Column(
        "status", "项目状态", "前期 / 已批复 / 在建 / 已竣工 / 停缓建", "choice", example="在建"
    ),
    Column("approved_on", "批复日期", "Approval date", "date", example="2023-03-10"),
    Column("started_on", "开工日期", "Construction start date", "date", example="2023-09-01"),
    Column("completed_on", "竣工日期", "Completion date", "date", example=""),
    Column("description", "项目简介", "Description", "text"),
    Column(
        "site_name",
        "位置名称",
        "Name of the site given by the geometry columns",
        "text",
        example="项目红线",
    ),
    *GEOMETRY,
]
SITES = [
    PROJECT_CODE,
    Column("site_name", "位置名称", "Site name", "text", example="车站"),
    Column(
        "site_kind",
        "位置类型",
        "Site kind (alignment, station, parcel...)",
        "text",
        example="station",
    ),
    *GEOMETRY,
]
RESPONSIBILITIES = [
    PROJECT_CODE,
    Column("category", "公开类别", "Category key or Chinese name", "choice", True, "施工有关信息"),
    Column("department", "部门代码", "Code of the responsible department", "code", True, "NCSLJ"),
    Column(
        "items",
        "公开事项",
        "Only these items (keys or names, separated by ; ), empty: all",
        "text",
        example="",
    ),
]
DISCLOSURE_COMMON = [
    PROJECT_CODE,
    Column(
        "item",
        "公开事项",
        "Catalog item key or Chinese name",
        "choice",
        True,
        "政府投资项目可行性研究报告审批",
    ),
    Column(
        "formed_on",
        "信息形成日期",
        "When the information was formed or changed (or the decision "
        "made): the deadline counts from it",
        "date",
        True,
        "2023-03-10",
    ),
    Column("title", "标题", "Title (default: project name + item name)", "text"),
    Column(
        "ref",
        "编号",
        "Your own reference, to tell apart several items of one kind on one project",
        "text",
        example="2023-001",
    ),
    Column(
        "publisher", "发布部门代码", "Publishing department (only when loading as admin)", "code"
    ),
    Column(
        "published_at",
        "发布时间",
        "When it was first published, for records moved from an "
        "earlier platform (only when loading as admin)",
        "date",
    ),
    Column("document_title", "附件名称", "Title of an attached document", "text"),
    Column("document_url", "附件链接", "Link to the attached document", "text"),
    *GEOMETRY,
]


# What each fixed column means, for the clerk (the template's 说明 sheet). Element columns
# are explained by the catalog's own one-line meanings (meaning_zh).
MEANINGS_ZH = {
    "wkt": "几何图形，WKT 格式，坐标系与文件一致（--crs）",
    "lon": "经度（与纬度一起表示一个点）",
    "lat": "纬度（与经度一起表示一个点）",
    "project_code": "项目统一代码（投资项目在线审批监管平台赋予，24 位）",
    "code": "项目统一代码（投资项目在线审批监管平台赋予，24 位）",
    "name": "项目的正式名称，与投资项目在线审批监管平台一致",
    "project_type": "项目类型：审批、核准或备案",
    "region_code": "项目所在地的 6 位行政区划代码",
    "industry": "项目所属行业（如：市政道路、城市轨道交通、教育）",
    "owner": "项目单位（法人）名称",
    "owner_department": "项目单位在本系统中的部门代码（自行发布招标信息时填写）",
    "investment": "总投资，单位万元",
    "status": "项目状态：前期、已批复、在建、已竣工或停缓建",
    "approved_on": "项目审批、核准或备案的日期",
    "started_on": "项目实际开工的日期（未开工不填）",
    "completed_on": "项目竣工验收的日期（未竣工不填）",
    "description": "项目简介：建设地点、规模和主要内容",
    "site_name": "位置名称（如：项目红线、车站）",
    "site_kind": "位置类型（如：线路、车站、地块）",
    "category": "公开类别的名称（如：施工有关信息）",
    "department": "负责公开的部门代码（见 `registry departments`）",
    "items": "只负责其中这些事项时填写，多个用分号隔开；不填表示该类别全部事项",
    "item": "公开事项的名称，从下拉列表中选择",
    "formed_on": "信息形成（或变更、作出决定）的日期，公开时限从这一天起算",
    "title": "标题（不填时为：项目名称 + 事项名称）",
    "ref": "本单位的编号，同一项目有多条同类事项时用来区分",
    "publisher": "发布部门代码（仅管理员导入时填写）",
    "published_at": "首次发布的日期，从原平台迁移历史记录时填写（仅管理员导入时填写）",
    "document_title": "附件（公开的文件）的名称，如批复文件的标题",
    "document_url": "附件的网址，以 https:// 或 http:// 开头",
}


def element_columns(items: tuple[Item, ...]) -> list[Column]:
    columns: dict[str, Column] = {}
    for item in items:
        for ie in item.elements:
            e = ie.element
            columns.setdefault(
                e.key,
                Column(
                    e.key,
                    e.name_zh,
                    e.name_en,
                    e.type,
                    ie.required and len(items) == 1,
                    e.example or "",
                ),
            )
    return list(columns.values())


@dataclass(frozen=True)
class Kind:
    """What a file holds: a fixed kind, or disclosures of a category or of one item."""

    name: str  # projects | sites | responsibilities | disclosures
    category: Category | None = None
    item: Item | None = None

    @property
    def label(self) -> str:
        return self.item.key if self.item else self.category.value if self.category else self.name

    @property
    def phrase(self) -> Phrase:
        return Phrase(self.label_zh, self.label)

    @property
    def label_zh(self) -> str:
        if self.item:
            return self.item.name_zh
        if self.category:
            return get_catalog().category_name_zh(self.category)
        return KIND_NAMES_ZH[self.name]

    def columns(self) -> list[Column]:
        if self.name == "projects":
            return PROJECTS
        if self.name == "sites":
            return SITES
        if self.name == "responsibilities":
            return RESPONSIBILITIES
        catalog = get_catalog()
        items = (
            (self.item,)
            if self.item
            else catalog.category(self.category).items
            if self.category
            else catalog.items()
        )
        common = [c for c in DISCLOSURE_COMMON if not (self.item and c.key == "item")]
        return common + element_columns(items)


def parse_kind(text: str) -> Kind:
    if text in FIXED_KINDS:
        return Kind(text)
    if text in {c.value for c in Category}:
        return Kind("disclosures", category=Category(text))
    item = get_catalog().item(text)
    if item is not None:
        return Kind("disclosures", category=item.category, item=item)
    raise InvalidInput.one(
        "kind",
        "unknown_kind",
        say(
            "{text!r} is not one of {kinds}, a category key or an item key",
            text=text,
            kinds=", ".join(FIXED_KINDS),
        ),
    )


@cache
def _lookup(kind: Kind) -> dict[str, Column]:
    table = {}
    for column in kind.columns():
        table[normalise(column.label)] = column
        table[normalise(column.key)] = column
    # Short names for Shapefile attributes (DBF field names hold at most 10 bytes).
    aliases = {
        "longitude": "lon",
        "latitude": "lat",
        "geometry": "wkt",
        "几何": "wkt",
        "wkt": "wkt",
        "项目代码": "project_code" if kind.name != "projects" else "code",
        "事项": "item",
        "形成日期": "formed_on",
        "名称": "site_name",
        "类型": "site_kind",
    }
    by_key = {c.key: c for c in kind.columns()}
    for alias, key in aliases.items():
        if key in by_key:
            table.setdefault(normalise(alias), by_key[key])
    return table


def map_headers(kind: Kind, headers: list[str]) -> tuple[dict[str, Column], list[Problem]]:
    """header -> column for a kind; problems for unknown and repeated columns."""
    table = _lookup(kind)
    mapping: dict[str, Column] = {}
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for header in headers:
        if not str(header or "").strip():
            continue
        column = table.get(normalise(header))
        if column is None:
            problems.append(
                Problem(
                    str(header),
                    "unknown_column",
                    say(
                        "is not a column of {kind} files{hint}; see `registry template {label}` "
                        "for the columns",
                        kind=kind.phrase,
                        label=kind.label,
                        hint=hint(header, [c.label for c in kind.columns()]),
                    ),
                )
            )
        elif column.key in seen:
            problems.append(
                Problem(
                    str(header),
                    "repeated_column",
                    say("means the same as column {other!r}", other=seen[column.key]),
                )
            )
        else:
            mapping[header] = column
            seen[column.key] = header
    return mapping, problems


def infer_kind(headers: list[str]) -> Kind:
    """The kind whose required columns are all there and which explains the most headers
    (the rest are then reported as unknown); an error naming the candidates on a tie."""
    known = {normalise(h) for h in headers if str(h or "").strip()}
    scored = []
    for kind in (Kind("projects"), Kind("sites"), Kind("responsibilities"), Kind("disclosures")):
        table = _lookup(kind)
        required = {c.key for c in kind.columns() if c.required}
        present = {table[h].key for h in known if h in table}
        if required <= present:
            scored.append((len(known & set(table)), kind))
    best = max((score for score, _ in scored), default=0)
    candidates = [kind for score, kind in scored if score == best]
    if len(candidates) == 1:
        return candidates[0]
    raise InvalidInput.one(
        "kind",
        "ambiguous_kind" if candidates else "unknown_kind",
        say(
            "cannot tell the kind of file from its headers (candidates: {names}); name it "
            "with --kind",
            names=", ".join(k.name for k in candidates) or "-",
        ),
    )


def choice(value: str, options: dict[str, str], what: Phrase) -> str:
    """A key from a key or its Chinese name."""
    text = normalise(value)
    for key, name in options.items():
        if text in (normalise(key), normalise(name)):
            return key
    raise ValueError(
        say(
            "{value!r} is not a {what}{hint} ({allowed})",
            value=value,
            what=what,
            hint=hint(value, [*options.values(), *options]),
            allowed=", ".join(f"{n}/{k}" for k, n in options.items()),
        )
    )

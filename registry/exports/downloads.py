"""The register as files: projects (CSV, XLSX), each category's public items with their
content elements (CSV, and one XLSX with a sheet per category), the sites and the land
parcels (GeoJSON, and one GeoPackage with a layer per geometry type, which GIS software and
`ogr2ogr -f "ESRI Shapefile"` take as they are).

Each file is written from one snapshot of the register, a few thousand rows at a time (a
server-side cursor), so memory stays bounded whatever the register's size; PostgreSQL
builds the GeoJSON. The project list's filters give the same files for a part of the
register (``ProjectQuery``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from openpyxl import Workbook
from sqlalchemy import (
    DateTime,
    Float,
    Select,
    Text,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncConnection

from registry.catalog import Category, get_catalog
from registry.cells import neutral_sql, string_cells
from registry.clock import today
from registry.compliance.timeliness import CHINA_OFFSET
from registry.models import LIST_NATURES, PROJECT_STATUSES, PROJECT_TYPES
from registry.reading import inputs, layers, queries, scope, visibility
from registry.reading.layers import Layer
from registry.reading.tables import DEP, E, L, P, S

CHUNK = 2000
CSV_MEDIA = "text/csv; charset=utf-8"
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GEOJSON_MEDIA = "application/geo+json"
GPKG_MEDIA = "application/geopackage+sqlite3"

PROJECT_HEADERS = ["项目代码 code", "项目名称 name", "项目类型 type", "项目状态 status",
                   "区划代码 region", "项目单位 owner", "所属行业 industry", "总投资（万元） investment",
                   "批复日期 approved", "开工日期 started", "竣工日期 completed",
                   "已公开类别 categories published", "重大建设项目 major",
                   "所在名单 on lists", "演示数据 synthetic"]  # fmt: skip


async def _rows(conn: AsyncConnection, query: Select) -> AsyncIterator[list[Any]]:
    """The rows of ``query``, a chunk at a time, from a server-side cursor."""
    result = await conn.stream(query.execution_options(yield_per=CHUNK))
    async for chunk in result.partitions(CHUNK):
        yield [tuple(row) for row in chunk]


# --- projects ----------------------------------------------------------------------------


def project_rows(q: inputs.ProjectQuery | None = None) -> Select:
    p = queries.projects_select(q or inputs.ProjectQuery()).subquery("p")
    public = visibility.public(name="pd")
    categories = (
        select(func.string_agg(public.c.category.distinct(), literal(";")))
        .where(public.c.project_id == p.c.id)
        .scalar_subquery()
    )
    day = literal(today())
    entry = E.alias("listed")
    lists = (
        select(func.string_agg(L.c.name, aggregate_order_by(literal("；"), L.c.issued_on)))
        .select_from(entry.join(L, L.c.id == entry.c.list_id))
        .where(entry.c.project_id == p.c.id, scope.on_list(entry, day), scope.in_force(day))
        .scalar_subquery()
    )
    return select(
        p.c.code, p.c.name, _named(p.c.project_type, PROJECT_TYPES),
        _named(p.c.status, PROJECT_STATUSES), p.c.region_code, p.c.owner, p.c.industry,
        cast(p.c.investment, Float), p.c.approved_on, p.c.started_on, p.c.completed_on,
        categories, case((scope.in_scope(day, p), literal("是")), else_=literal("否")), lists,
        _yes(p.c.is_synthetic),
    )  # fmt: skip


def _named(column: Any, names: dict[str, str]) -> Any:
    """The Chinese name of a code, by PostgreSQL."""
    return case(names, value=column, else_=column)


def _yes(column: Any) -> Any:
    return case((column, literal("是")), else_=literal(""))


def _china_time(column: Any) -> Any:
    """A moment as China's wall-clock time (Excel keeps no time zone): UTC+8, as
    timeliness judges days (a zone name would bring back 1986-1991's summer time)."""
    return func.timezone(CHINA_OFFSET, column, type_=DateTime)


async def projects_csv(conn: AsyncConnection, path: Path, q: Any = None) -> int:
    return await _csv(conn, path, PROJECT_HEADERS, project_rows(q))


async def projects_xlsx(conn: AsyncConnection, path: Path, q: Any = None) -> int:
    book = Workbook(write_only=True)
    count = await _sheet(book, "项目 projects", PROJECT_HEADERS, conn, project_rows(q))
    book.save(path)
    return count


async def _csv(conn: AsyncConnection, path: Path, headers: list[str], query: Select) -> int:
    """A CSV file Excel opens as it is (UTF-8 with a byte-order mark): the header, then the
    rows as PostgreSQL's COPY writes them."""
    rows = query.subquery("written")
    neutral = select(*(neutral_sql(column) for column in rows.c))  # no text reads as a formula
    compiled = neutral.compile(dialect=conn.dialect)
    statement = f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv)"
    raw = (await conn.get_raw_connection()).driver_connection
    assert raw is not None
    with path.open("wb") as handle:
        buffer = io.StringIO()
        csv.writer(buffer).writerow(headers)
        handle.write(buffer.getvalue().encode("utf-8-sig"))
        async with raw.cursor() as cursor:
            async with cursor.copy(statement, compiled.params) as copy:
                async for data in copy:
                    handle.write(data)
            count = cursor.rowcount
    return count


async def _sheet(
    book: Any, title: str, headers: list[str], conn: AsyncConnection, query: Select
) -> int:
    sheet = book.create_sheet(title[:31])
    sheet.append(headers)
    count = 0
    async for chunk in _rows(conn, query):
        for row in chunk:
            sheet.append(string_cells(sheet, row))
        count += len(chunk)
    return count


# --- a list of major projects: its entries as on a day --------------------------------------

LIST_HEADERS = ["名单 list", "序号 row", "分组 section", "项目代码 code", "项目名称 name",
                "区划代码 region", "建设性质 nature", "建设规模及内容 scale and content",
                "建设起止年限 period", "总投资（万元） total investment",
                "年度计划投资（万元） annual investment", "责任单位 responsible unit",
                "列入日期 added", "增补 added by adjustment", "调出日期 removed",
                "调出原因 why removed", "在列 on the list"]  # fmt: skip


def list_rows(list_id: int, day: dt.date) -> Select:
    current = scope.on_list(E, literal(day))
    return (
        select(
            L.c.name,
            E.c.row_no,
            E.c.section,
            P.c.code,
            P.c.name,
            P.c.region_code,
            _named(E.c.nature, LIST_NATURES),
            E.c.scale_content,
            E.c.period,
            cast(E.c.total_investment, Float),
            cast(E.c.annual_investment, Float),
            E.c.responsible_unit,
            E.c.added_on,
            _yes(E.c.added_by_adjustment),
            case((current, None), else_=E.c.removed_on),
            case((current, None), else_=E.c.removed_reason),
            case((current, literal("是")), else_=literal("否")),
        )  # fmt: skip
        .select_from(E.join(L, L.c.id == E.c.list_id).join(P, P.c.id == E.c.project_id))
        .where(E.c.list_id == list_id, E.c.added_on <= day)
        .order_by(current.desc(), E.c.id)
    )


async def list_csv(conn: AsyncConnection, path: Path, list_id: int, day: dt.date) -> int:
    return await _csv(conn, path, LIST_HEADERS, list_rows(list_id, day))


async def list_xlsx(conn: AsyncConnection, path: Path, list_id: int, day: dt.date) -> int:
    book = Workbook(write_only=True)
    count = await _sheet(book, "名单 list", LIST_HEADERS, conn, list_rows(list_id, day))
    book.save(path)
    return count


LIST_FILES: dict[str, tuple[Callable[..., Awaitable[int]], str]] = {
    "csv": (list_csv, CSV_MEDIA),
    "xlsx": (list_xlsx, XLSX_MEDIA),
}


# --- disclosures of a category --------------------------------------------------------------


def _element_keys(category: Category) -> list[tuple[str, str]]:
    """(key, header) of each content element the category's items use, in catalog order."""
    seen: dict[str, str] = {}
    for item in get_catalog().category(category).items:
        for ie in item.elements:
            seen.setdefault(ie.element.key, f"{ie.element.name_zh} {ie.element.key}")
    return list(seen.items())


def disclosure_headers(category: Category) -> list[str]:
    return [
        "项目代码 project", "项目名称 project name", "事项 item", "事项名称 item name",
        "标题 title", "公开主体 publisher", "信息形成日期 formed", "首次公开 first published",
        "本版公开 published", "版本 revision", "更正原因 correction",
        *(header for _, header in _element_keys(category)), "文件 documents",
    ]  # fmt: skip


def disclosure_rows(category: Category) -> Select:
    x = visibility.public(name="x")
    documents = (
        select(
            func.string_agg(literal_column("(d->>'title') || ' ' || (d->>'url')"), literal("；"))
        )
        .select_from(func.jsonb_array_elements(x.c.documents).alias("d"))
        .scalar_subquery()
    )
    return (
        select(
            P.c.code,
            P.c.name,
            x.c.item_key,
            _named(x.c.item_key, item_names()),
            x.c.title,
            DEP.c.name,
            x.c.formed_on,
            _china_time(x.c.first_published_at),
            _china_time(x.c.published_at),
            x.c.revision,
            x.c.correction_reason,
            *(x.c.elements[key].astext for key, _ in _element_keys(category)),
            documents,
        )  # fmt: skip
        .select_from(x.join(P, P.c.id == x.c.project_id).join(DEP, DEP.c.id == x.c.publisher_id))
        .where(x.c.category == category.value)
        .order_by(P.c.code, x.c.id)
    )


def item_names() -> dict[str, str]:
    return {item.key: item.name_zh for item in get_catalog().items()}


async def disclosures_csv(conn: AsyncConnection, path: Path, category: Category) -> int:
    return await _csv(conn, path, disclosure_headers(category), disclosure_rows(category))


async def disclosures_xlsx(conn: AsyncConnection, path: Path) -> int:
    book = Workbook(write_only=True)
    count = 0
    for entry in get_catalog().categories:
        count += await _sheet(
            book, entry.name_zh, disclosure_headers(entry.category), conn,
            disclosure_rows(entry.category),
        )  # fmt: skip
    book.save(path)
    return count


# --- the map layers: sites and parcels, as registry/reading/layers.py defines them ---------


async def geojson(conn: AsyncConnection, path: Path, layer: Layer, conditions: Any = ()) -> int:
    """A layer's public features as a FeatureCollection, each feature written by PostgreSQL."""
    query = (
        select(cast(layer.feature(), Text))
        .select_from(layer.source)
        .where(*layer.conditions, *conditions)
        .order_by(layer.order)
    )
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        handle.write('{"type":"FeatureCollection","features":[\n')
        async for chunk in _rows(conn, query):
            handle.write((",\n" if count else "") + ",\n".join(row[0] for row in chunk))
            count += len(chunk)
        handle.write("\n]}\n")
    return count


async def project_sites_geojson(conn: AsyncConnection, path: Path, q: Any = None) -> int:
    """The sites of the projects a project query selects."""
    conditions = []
    if q is not None:
        matched = queries.projects_select(q).subquery("matched")
        conditions.append(S.c.project_id.in_(select(matched.c.id)))
    return await geojson(conn, path, layers.sites(), conditions)


# one layer per kind of geometry: GIS formats (Shapefile above all) take one type a layer
DIMENSIONS = {"points": ("MultiPoint", 0), "lines": ("MultiLineString", 1),
              "polygons": ("MultiPolygon", 2)}  # fmt: skip


async def geopackage(conn: AsyncConnection, path: Path) -> int:
    """Sites as three layers (points, lines, polygons) and the land parcels as a fourth."""
    import pyogrio.raw

    count = 0
    written_layers = [(f"sites_{name}", layers.sites(), kind, dimension)
                      for name, (kind, dimension) in DIMENSIONS.items()]  # fmt: skip
    written_layers.append(("land_parcels", layers.land_parcels(), "MultiPolygon", 2))
    for name, layer, kind, dimension in written_layers:
        properties = layer.property_sql()
        query = (
            select(func.ST_AsBinary(func.ST_Multi(layer.geometry)), *properties.values())
            .select_from(layer.source)
            .where(*layer.conditions, func.ST_Dimension(layer.geometry) == dimension)
            .order_by(layer.order)
        )
        written = 0
        async for chunk in _rows(conn, query):
            columns = list(zip(*chunk, strict=True))
            pyogrio.raw.write(
                str(path),
                np.array([bytes(g) for g in columns[0]], dtype=object),
                [np.array(values, dtype=object) for values in columns[1:]],
                list(properties),
                layer=name,
                driver="GPKG",
                geometry_type=kind,
                crs="EPSG:4326",
                append=path.exists() and written > 0,
            )
            written += len(chunk)
        count += written
    if not path.exists():  # an empty register: an empty GeoPackage still opens
        pyogrio.raw.write(str(path), None, [], [], layer="sites_points", driver="GPKG")
    return count


# --- the files a /downloads page lists ----------------------------------------------------------


@dataclass(frozen=True)
class Download:
    name: str
    title_zh: str
    title_en: str
    media_type: str
    build: Callable[[AsyncConnection, Path], Awaitable[int]]


def _per_category(category: Category) -> Callable[[AsyncConnection, Path], Awaitable[int]]:
    async def build(conn: AsyncConnection, path: Path) -> int:
        return await disclosures_csv(conn, path, category)

    return build


async def _sites(conn: AsyncConnection, path: Path) -> int:
    return await geojson(conn, path, layers.sites())


async def _parcels(conn: AsyncConnection, path: Path) -> int:
    return await geojson(conn, path, layers.land_parcels())


def downloads() -> list[Download]:
    catalog = get_catalog()
    return [
        Download("projects.csv", "项目", "projects", CSV_MEDIA, projects_csv),
        Download("projects.xlsx", "项目", "projects", XLSX_MEDIA, projects_xlsx),
        Download("disclosures.xlsx", "全部公开信息（每类一个工作表）",
                 "every public item, a sheet per category", XLSX_MEDIA, disclosures_xlsx),
        *(
            Download(f"disclosures-{e.category.value}.csv", e.name_zh, e.name_en, CSV_MEDIA,
                     _per_category(e.category))
            for e in catalog.categories
        ),
        Download("sites.geojson", "项目位置", "project sites", GEOJSON_MEDIA, _sites),
        Download("land-parcels.geojson", "征收土地范围", "land acquisition parcels",
                 GEOJSON_MEDIA, _parcels),
        Download("register.gpkg", "项目位置和征地范围（GeoPackage，每种几何一个图层）",
                 "sites and parcels, a layer per geometry type", GPKG_MEDIA, geopackage),
    ]  # fmt: skip


def by_name(name: str) -> Download | None:
    return next((d for d in downloads() if d.name == name), None)

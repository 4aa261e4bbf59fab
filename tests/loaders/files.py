"""Builders of real input files, as departments' tools write them."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import shapefile
from openpyxl import Workbook
from pyproj import CRS


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list], sheet: str = "Sheet1") -> Path:
    book = Workbook()
    book.active.title = sheet
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def write_geojson(path: Path, features: list[tuple[dict, dict]]) -> Path:
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": props, "geometry": geometry}
                    for props, geometry in features
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    return path


def write_zipped_shapefile(
    path: Path,
    fields: list[tuple[str, str, int]],
    records: list[tuple[list, list]],
    shape_type: int = shapefile.POINT,
    epsg: int | None = 4527,
    encoding: str = "gbk",
) -> Path:
    """records: (attribute values, coordinates: [(x, y)] for a point, or a ring for a polygon)."""
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    with shapefile.Writer(
        shp=shp, shx=shx, dbf=dbf, shapeType=shape_type, encoding=encoding
    ) as writer:
        for name, kind, size in fields:
            writer.field(name, kind, size=size)
        for values, coords in records:
            if shape_type == shapefile.POINT:
                writer.point(*coords[0])
            else:
                writer.poly([coords])
            writer.record(*values)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("parcels.shp", shp.getvalue())
        archive.writestr("parcels.shx", shx.getvalue())
        archive.writestr("parcels.dbf", dbf.getvalue())
        archive.writestr("parcels.cpg", {"gbk": "GBK", "utf-8": "UTF-8"}[encoding])
        if epsg is not None:
            archive.writestr("parcels.prj", CRS.from_epsg(epsg).to_wkt("WKT1_ESRI"))
    return path

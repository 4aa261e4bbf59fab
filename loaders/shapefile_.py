"""Zipped Shapefiles (.shp/.shx/.dbf, .prj for the CRS, .cpg for the attribute encoding).

Natural-resources data often comes in CGCS2000 Gauss-Krüger (EPSG:4527/4548) with GBK
attributes; both are read from the files themselves. No .prj and no --crs is refused.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path, PurePosixPath

import shapefile
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely.geometry import shape

from loaders.base import Row, Table, UnreadableFile, remarks
from registry.language import say

CODE_PAGES = {
    "936": "gbk",
    "cp936": "gbk",
    "gbk": "gbk",
    "gb2312": "gbk",
    "gb18030": "gb18030",
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "65001": "utf-8",
}


def _members(archive: zipfile.ZipFile, name: str) -> dict[str, bytes]:
    shps = [m for m in archive.namelist() if m.lower().endswith(".shp")]
    if len(shps) != 1:
        raise UnreadableFile.one(
            name,
            "shapefile_count",
            say("must hold exactly one .shp (found {count})", count=len(shps)),
        )
    stem = str(PurePosixPath(shps[0]).with_suffix("")).lower()
    parts = {}
    for member in archive.namelist():
        path = PurePosixPath(member)
        if str(path.with_suffix("")).lower() == stem:
            parts[path.suffix.lower()] = archive.read(member)
    missing = [s for s in (".shp", ".shx", ".dbf") if s not in parts]
    if missing:
        raise UnreadableFile.one(
            name,
            "shapefile_incomplete",
            say("lacks {parts} (a Shapefile needs .shp, .shx and .dbf)", parts=", ".join(missing)),
        )
    return parts


def _crs(prj: bytes | None, name: str) -> str | None:
    if prj is None:
        return None
    try:
        crs = CRS.from_wkt(prj.decode("utf-8", errors="replace"))
    except CRSError as exc:
        raise UnreadableFile.one(
            name, "unreadable_prj", say("has a .prj PROJ cannot read ({why})", why=exc)
        ) from exc
    epsg = crs.to_epsg(min_confidence=70)
    return f"EPSG:{epsg}" if epsg else crs.to_wkt()


# the dBASE language driver byte (LDID, byte 29 of the .dbf) of files without a .cpg, as
# ArcView and older ArcGIS write them: 0x4D is code page 936 (GBK), 0x57 the system's ANSI
LANGUAGE_DRIVERS = {0x4D: "gbk", 0x7A: "gbk"}


def _encoding(parts: dict[str, bytes]) -> str:
    if ".cpg" in parts:
        page = parts[".cpg"].decode("ascii", errors="ignore").strip().lower()
        return CODE_PAGES.get(page, page or "utf-8")
    dbf = parts[".dbf"]
    if len(dbf) > 29 and dbf[29] in LANGUAGE_DRIVERS:
        return LANGUAGE_DRIVERS[dbf[29]]
    try:
        parts[".dbf"].decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def _damaged(path: Path, exc: BaseException) -> UnreadableFile:
    why = f"{type(exc).__name__}: {str(exc)[:80]}"
    return UnreadableFile.one(  # type: ignore[return-value]
        path.name,
        "unreadable_shapefile",
        say(
            "the ZIP or the Shapefile in it is damaged ({why}); export it again and reload", why=why
        ),
    )


# pyshp prints its remarks on a shape (rings wound the wrong way) to stderr, after our report
shapefile.VERBOSE = False
RINGS_REVERSED = say(
    "polygon rings wound counter-clockwise only (a Shapefile's outer rings are clockwise), "
    "read as outer rings"
)


SIZES = re.compile(r"(\.\w+) header: (\d+) (?:smaller|larger) than actual file size: (\d+)")


def _remark(warning: Warning) -> str:
    """pyshp 3's header check, said for a clerk: the records were read all the same."""
    found = SIZES.search(str(warning))
    if not found:
        return ""
    part, declared, actual = found.groups()
    return say(
        "the {part} header gives its size as {declared} bytes but the file has {actual}; "
        "every record was read: compare the count with what you exported",
        part=part,
        declared=declared,
        actual=actual,
    )


def read_zipped_shapefile(path: Path, sheet: str | None = None) -> Table:
    # A damaged archive or Shapefile raises anything at all (zip, zlib, struct, pyshp,
    # shapely): any of it means "this file cannot be read".
    notes: list[str] = []
    try:
        with zipfile.ZipFile(path) as archive:
            parts = _members(archive, path.name)
        encoding = _encoding(parts)
        with remarks(notes, _remark):
            reader = shapefile.Reader(
                shp=io.BytesIO(parts[".shp"]),
                shx=io.BytesIO(parts[".shx"]),
                dbf=io.BytesIO(parts[".dbf"]),
                encoding=encoding,
            )
        headers = [f[0] for f in reader.fields[1:]]
        crs = _crs(parts.get(".prj"), path.name)
    except UnreadableFile:
        raise
    except Exception as exc:
        raise _damaged(path, exc) from exc

    def rows():
        with reader:
            records = reader.iterShapeRecords()
            number = 0
            while True:
                said: list[str] = []
                try:
                    with remarks(said, _remark):
                        record = next(records, None)
                    if record is None:
                        return
                    number += 1
                    geometry = record.shape.__geo_interface__ if record.shape.shapeType else None
                    geom = shape(geometry) if geometry else None
                except Exception as exc:
                    raise _damaged(path, exc) from exc
                # pyshp's own remark on the shape, said in the report instead of on stderr
                if getattr(record.shape, "_errors", None):
                    said.append(RINGS_REVERSED)
                yield Row(f"record {number}", record.record.as_dict(), geom, notes=tuple(said))

    return Table(
        path.name,
        headers,
        rows(),
        crs=crs,
        has_geometry=True,
        notes=[say("attributes: {encoding}", encoding=encoding), *notes],
        close=reader.close,
    )

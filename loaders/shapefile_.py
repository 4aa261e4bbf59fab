"""Zipped Shapefiles (.shp/.shx/.dbf, .prj for the CRS, .cpg for the attribute encoding).

Natural-resources data often comes in CGCS2000 Gauss-Krüger (EPSG:4527/4548) with GBK
attributes; both are read from the files themselves. No .prj and no --crs is refused.

The archive's directory is checked first (loaders/limits.py); its members are inflated,
each capped, into a temporary folder that pyshp reads from record by record, so memory
holds one record, not the file; each record's size in the .shx index gives its vertices
before the record is parsed.
"""

from __future__ import annotations

import codecs
import re
import shutil
import struct
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import shapefile
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely.geometry import shape

from loaders import limits
from loaders.base import Row, Table, UnreadableFile, remarks
from registry.errors import InvalidInput
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


SMALL_PARTS = (".prj", ".cpg")  # read into memory; the rest stay in files


def _members(archive: zipfile.ZipFile, name: str, folder: Path) -> dict[str, Path]:
    """The Shapefile's parts, each inflated (capped) into ``folder``."""
    members = limits.check_zip(archive, name)
    shps = [m for m in members if m.filename.lower().endswith(".shp")]
    if len(shps) != 1:
        raise UnreadableFile.one(
            name,
            "shapefile_count",
            say("must hold exactly one .shp (found {count})", count=len(shps)),
        )
    stem = str(PurePosixPath(shps[0].filename).with_suffix("")).lower()
    parts = {}
    for member in members:
        path = PurePosixPath(member.filename)
        if str(path.with_suffix("")).lower() == stem:
            suffix = path.suffix.lower()
            parts[suffix] = folder / f"part{suffix}"
            with parts[suffix].open("wb") as out:
                limits.inflate(archive, member, out, name)
    missing = [s for s in (".shp", ".shx", ".dbf") if s not in parts]
    if missing:
        raise UnreadableFile.one(
            name,
            "shapefile_incomplete",
            say("lacks {parts} (a Shapefile needs .shp, .shx and .dbf)", parts=", ".join(missing)),
        )
    return parts


def _vertices(shx: Path, name: str) -> list[int]:
    """Each record's vertices as its size in the .shx index tells (a record of n points
    takes 16n bytes and a header of under 60): counted before pyshp parses anything."""
    given = limits.limits()
    data = shx.read_bytes()[100:]  # 8 bytes a record: offset and length, in 16-bit words
    index = struct.iter_unpack(">ii", data[: len(data) // 8 * 8])
    counts = [max(0, (length * 2 - 44) // 16) for _, length in index]
    if len(counts) > given.rows:
        raise limits.too_many_rows(name)
    if sum(counts) > given.file_vertices:
        raise limits.too_many_vertices_in_all(name)
    return counts


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


def _encoding(parts: dict[str, Path]) -> str:
    if ".cpg" in parts:
        page = parts[".cpg"].read_bytes()[:64].decode("ascii", errors="ignore").strip().lower()
        return CODE_PAGES.get(page, page or "utf-8")
    with parts[".dbf"].open("rb") as dbf:
        head = dbf.read(32)
        if len(head) > 29 and head[29] in LANGUAGE_DRIVERS:
            return LANGUAGE_DRIVERS[head[29]]
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            decoder.decode(head)
            while piece := dbf.read(1 << 20):
                decoder.decode(piece)
            decoder.decode(b"", final=True)
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
    folder = Path(tempfile.mkdtemp(prefix="registry-shp-"))
    files: list = []

    def close() -> None:
        for handle in files:  # the reader's files: closing them closes the reader
            handle.close()
        shutil.rmtree(folder, ignore_errors=True)

    try:
        with zipfile.ZipFile(path) as archive:
            parts = _members(archive, path.name, folder)
        vertices = _vertices(parts[".shx"], path.name)
        encoding = _encoding(parts)
        files += [parts[s].open("rb") for s in (".shp", ".shx", ".dbf")]
        with remarks(notes, _remark):
            reader = shapefile.Reader(shp=files[0], shx=files[1], dbf=files[2], encoding=encoding)
        headers = [f[0] for f in reader.fields[1:]]
        prj = parts[".prj"].read_bytes()[: 1 << 16] if ".prj" in parts else None
        crs = _crs(prj, path.name)
    except UnreadableFile:
        close()
        raise
    except Exception as exc:
        close()
        raise _damaged(path, exc) from exc
    most = limits.limits().vertices

    def rows() -> Any:
        with reader:
            for number in range(1, len(vertices) + 1):
                label = f"record {number}"
                if vertices[number - 1] > most:
                    problem = InvalidInput.one("geometry", "too_many_vertices",
                                               limits.too_many_vertices(vertices[number - 1]))  # fmt: skip
                    yield Row(label, {}, problem=problem)
                    continue
                said: list[str] = []
                try:
                    with remarks(said, _remark):
                        record = reader.shapeRecord(number - 1)
                    geometry = record.shape.__geo_interface__ if record.shape.shapeType else None
                    geom = shape(geometry) if geometry else None
                except Exception as exc:
                    raise _damaged(path, exc) from exc
                # pyshp's own remark on the shape, said in the report instead of on stderr
                if getattr(record.shape, "_errors", None):
                    said.append(RINGS_REVERSED)
                yield Row(label, record.record.as_dict(), geom, notes=tuple(said))

    return Table(
        path.name,
        headers,
        rows(),
        crs=crs,
        has_geometry=True,
        notes=[say("attributes: {encoding}", encoding=encoding), *notes],
        close=close,
    )

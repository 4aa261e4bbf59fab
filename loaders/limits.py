"""What a file may hold, checked before the work it would cost: a file's size, a ZIP's
directory (members, inflated sizes, compression ratios, overlapping or nested members), an
XLSX workbook's shared strings, rows, cell lengths and vertices. Each refusal names the
limit and the setting that sets it (``REGISTRY_LIMIT_*``, docs/configuration.md).

A ZIP's directory can lie: a member is inflated only through ``inflate``, which stops at
the smaller of its declared size and the limit, whatever the data holds.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import IO

from loaders.base import UnreadableFile
from registry.language import say
from registry.settings import LimitSettings, get_settings

MB = 1 << 20
RATIO_FLOOR = MB  # members smaller than this inflated may have any ratio (a blank .dbf)
ARCHIVES = (".zip", ".xlsx", ".xlsm", ".gz", ".tgz", ".7z", ".rar", ".tar", ".bz2", ".xz", ".jar")
ZIP_MAGIC = b"PK\x03\x04"
LOCAL_HEADER = 30  # bytes of a ZIP local file header before its name and extra field


def limits() -> LimitSettings:
    return get_settings().limits


def setting(name: str) -> str:
    return f"REGISTRY_LIMIT_{name.upper()}"


def refused(source: str, code: str, message: str) -> UnreadableFile:
    return UnreadableFile.one(source, code, message)  # type: ignore[return-value]


def check_file(path: Path) -> None:
    """The file's own size, before it is opened (GeoJSON has a lower limit: it is one
    document)."""
    size, given = path.stat().st_size, limits()
    if size > given.file_mb * MB:
        raise refused(path.name, "file_too_large", say(
            "is {size} MB, over the {limit} MB limit ({setting}); split it into smaller files",
            size=_mb(size), limit=given.file_mb, setting=setting("file_mb")))  # fmt: skip
    if path.suffix.lower() in (".geojson", ".json") and size > given.geojson_mb * MB:
        raise refused(path.name, "geojson_too_large", say(
            "is {size} MB, over the {limit} MB limit for GeoJSON ({setting}); split it, or "
            "send the layer as a zipped Shapefile",
            size=_mb(size), limit=given.geojson_mb, setting=setting("geojson_mb")))  # fmt: skip


def _mb(size: int) -> str:
    return f"{size / MB:,.1f}"


def check_zip(archive: zipfile.ZipFile, source: str, xlsx: bool = False) -> list[zipfile.ZipInfo]:
    """The members of a ZIP, once its directory shows nothing too large, too compressed,
    overlapping or nested; nothing has been inflated."""
    given, members = limits(), archive.infolist()
    if len(members) > given.zip_members:
        raise refused(source, "zip_members", say(
            "holds {count} files, over the limit of {limit} ({setting})",
            count=len(members), limit=given.zip_members, setting=setting("zip_members")))  # fmt: skip
    _overlapping(members, source)
    total = sum(m.file_size for m in members)
    if total > given.unzipped_mb * MB:
        raise refused(source, "zip_too_large", say(
            "would inflate to {size} MB, over the {limit} MB limit ({setting})",
            size=_mb(total), limit=given.unzipped_mb, setting=setting("unzipped_mb")))  # fmt: skip
    for member in members:
        strings = xlsx and member.filename.lower().endswith("sharedstrings.xml")
        if strings and member.file_size > given.xlsx_strings_mb * MB:
            raise refused(source, "xlsx_strings", say(
                "its shared strings would inflate to {size} MB, over the {limit} MB limit "
                "({setting}); save the sheet as CSV and load that",
                size=_mb(member.file_size), limit=given.xlsx_strings_mb,
                setting=setting("xlsx_strings_mb")))  # fmt: skip
        if not xlsx and PurePosixPath(member.filename).suffix.lower() in ARCHIVES:
            raise refused(source, "zip_nested", say(
                "holds another archive ({member!r}); unpack it and load the files inside",
                member=member.filename))  # fmt: skip
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_FLOOR and ratio > given.zip_ratio:
            raise refused(source, "zip_ratio", say(
                "{member!r} is compressed {ratio:,.0f} to 1, over the limit of {limit} to 1 "
                "({setting}): a file that inflates so much is refused as a ZIP bomb",
                member=member.filename, ratio=ratio, limit=given.zip_ratio,
                setting=setting("zip_ratio")))  # fmt: skip
    return members


def _overlapping(members: Iterable[zipfile.ZipInfo], source: str) -> None:
    """Members whose data overlap (one compressed block inflated by many entries: the
    "better zip bomb"), or two with one name."""
    names: set[str] = set()
    end = -1
    for member in sorted(members, key=lambda m: m.header_offset):
        if member.filename in names or member.header_offset < end:
            raise refused(source, "zip_overlap", say(
                "its files overlap or repeat a name ({member!r}): a ZIP made to inflate many "
                "times over; export it again", member=member.filename))  # fmt: skip
        names.add(member.filename)
        end = member.header_offset + LOCAL_HEADER + len(member.filename) + member.compress_size


def inflate(archive: zipfile.ZipFile, member: zipfile.ZipInfo, out: IO[bytes], source: str) -> int:
    """Copy one member into ``out`` in pieces, stopping at its declared size and at the
    inflated limit whatever the data holds (a directory that understates a size); a member
    that begins like a ZIP is refused as nested."""
    cap = min(member.file_size, limits().unzipped_mb * MB)
    written = 0
    with archive.open(member) as stream:
        while piece := stream.read(MB):
            if written == 0 and piece.startswith(ZIP_MAGIC):
                raise refused(source, "zip_nested", say(
                    "holds another archive ({member!r}); unpack it and load the files inside",
                    member=member.filename))  # fmt: skip
            written += len(piece)
            if written > cap:
                raise refused(source, "zip_lies", say(
                    "{member!r} inflates past the size its ZIP directory gives; export it again",
                    member=member.filename))  # fmt: skip
            out.write(piece)
    return written


def too_many_rows(source: str) -> UnreadableFile:
    given = limits()
    return refused(source, "too_many_rows", say(
        "has more than {limit:,} rows ({setting}); split it into smaller files",
        limit=given.rows, setting=setting("rows")))  # fmt: skip


def too_long(length: int) -> str:
    given = limits()
    return say(
        "is {length:,} characters long, over the {limit:,} allowed ({setting})",
        length=length, limit=given.cell_chars, setting=setting("cell_chars"))  # fmt: skip


def too_many_vertices(count: int) -> str:
    given = limits()
    return say(
        "a geometry of {count:,} vertices, over the {limit:,} allowed ({setting}); simplify "
        "it in the GIS", count=count, limit=given.vertices, setting=setting("vertices"))  # fmt: skip


def too_many_vertices_in_all(source: str) -> UnreadableFile:
    given = limits()
    return refused(source, "file_vertices", say(
        "its geometries have more than {limit:,} vertices in all ({setting}); split the file",
        limit=given.file_vertices, setting=setting("file_vertices")))  # fmt: skip

"""Hostile files, built by the tests: ZIP bombs (one member, many members, overlapping
entries, a directory that understates a size), nested archives, an XLSX with inflated
shared strings or sheet, a GeoJSON too large, a Shapefile with a 10⁶-vertex polygon, and
values at their limits. Each is what an attacker (or a broken export) sends."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from pathlib import Path

import shapefile

from tests.loaders.files import write_xlsx, write_zipped_shapefile

MB = 1 << 20
PRJ_4527 = None


def _deflated_zeros(size: int) -> tuple[bytes, int]:
    """Raw deflate data of ``size`` zero bytes, and its CRC."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece, crc, parts, left = b"\0" * (16 * MB), 0, [], size
    while left:
        chunk = piece[: min(left, len(piece))]
        crc = zlib.crc32(chunk, crc)
        parts.append(compressor.compress(chunk))
        left -= len(chunk)
    parts.append(compressor.flush())
    return b"".join(parts), crc


def _raw_zip(path: Path, members: list[tuple[str, bytes, int, int]], offsets=None) -> Path:
    """A ZIP written by hand: (name, deflated data, inflated size, crc) per member; central
    directory entries may point at ``offsets`` of the writer's choosing (overlap)."""
    out, central, starts = io.BytesIO(), [], []
    for name, data, size, crc in members:
        starts.append(out.tell())
        encoded = name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x800, 8, 0, 0, crc, len(data),
                              size, len(encoded), 0) + encoded + data)  # fmt: skip
    directory = out.tell()
    for index, (name, data, size, crc) in enumerate(members):
        encoded = name.encode()
        offset = offsets[index] if offsets else starts[index]
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x800, 8, 0, 0,
                                   crc, len(data), size, len(encoded), 0, 0, 0, 0, 0, offset)
                       + encoded)  # fmt: skip
    body = b"".join(central)
    out.write(body)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(body),
                          directory, 0))  # fmt: skip
    path.write_bytes(out.getvalue())
    return path


def _shapefile_parts(tmp: Path) -> dict[str, bytes]:
    good = write_zipped_shapefile(tmp / "good.zip", [("项目代码", "C", 30)],
                                  [(["2303-360111-48-01-123456"], [(39_500_000, 3_175_000)])])  # fmt: skip
    with zipfile.ZipFile(good) as archive:
        return {Path(n).suffix: archive.read(n) for n in archive.namelist()}


def dbf_bomb(tmp: Path, inflated: int = 1536 * MB, name: str = "bomb.zip") -> Path:
    """A zipped Shapefile of 1.5 MB whose .dbf inflates to 1.5 GB."""
    parts = _shapefile_parts(tmp)
    zeros, crc = _deflated_zeros(inflated)
    members = [(f"bomb{s}", zlib.compress(d)[2:-4], len(d), zlib.crc32(d))
               for s, d in parts.items() if s != ".dbf"]  # fmt: skip
    members.append(("bomb.dbf", zeros, inflated, crc))
    return _raw_zip(tmp / name, members)


def ratio_bomb(tmp: Path) -> Path:
    """Small enough in all (10 MB), but a member compressed a thousand to one."""
    return dbf_bomb(tmp, 10 * MB, "ratio.zip")


def many_members(tmp: Path, count: int = 10_000) -> Path:
    path = tmp / "many.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in _shapefile_parts(tmp).items():
            archive.writestr(f"a{name}", data)
        for n in range(count):
            archive.writestr(f"filler/{n}.txt", b"x")
    return path


def overlapping(tmp: Path, count: int = 30) -> Path:
    """Every directory entry points at one 5 MB member (the "better zip bomb", under the
    total limit: it is the overlap that gives it away)."""
    zeros, crc = _deflated_zeros(5 * MB)
    members = [("part0.dbf", zeros, 5 * MB, crc)]
    names = [(f"x{n}.dbf" if n else "part0.dbf", zeros, 5 * MB, crc) for n in range(count)]
    path = _raw_zip(tmp / "overlap.zip", members)
    # rewrite with a directory of ``count`` entries all at offset 0
    return _raw_zip_directory_only(path, names)


def _raw_zip_directory_only(path: Path, names) -> Path:
    data = path.read_bytes()
    directory_at = struct.unpack("<I", data[-6:-2])[0]
    local = data[:directory_at]
    central = []
    for name, deflated, size, crc in names:
        encoded = name.encode()
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x800, 8, 0, 0,
                                   crc, len(deflated), size, len(encoded), 0, 0, 0, 0, 0, 0)
                       + encoded)  # fmt: skip
    body = b"".join(central)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(names), len(names), len(body),
                      len(local), 0)  # fmt: skip
    path.write_bytes(local + body + end)
    return path


def lying_sizes(tmp: Path) -> Path:
    """A .dbf that inflates to 1 GB while the directory says 2,000 bytes."""
    parts = _shapefile_parts(tmp)
    zeros, crc = _deflated_zeros(1024 * MB)
    members = [(f"lie{s}", zlib.compress(d)[2:-4], len(d), zlib.crc32(d))
               for s, d in parts.items() if s != ".dbf"]  # fmt: skip
    members.append(("lie.dbf", zeros, 2000, crc))
    return _raw_zip(tmp / "lying.zip", members)


def nested(tmp: Path) -> Path:
    inner = tmp / "inner.zip"
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in _shapefile_parts(tmp).items():
            archive.writestr(f"in{name}", data)
    path = tmp / "nested.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(inner, "inner.zip")
    return path


def nested_in_disguise(tmp: Path) -> Path:
    """A ZIP inside, named .dbf."""
    parts = _shapefile_parts(tmp)
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("deep.dbf", parts[".dbf"])
    path = tmp / "disguised.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for suffix, data in parts.items():
            archive.writestr(f"d{suffix}", inner.getvalue() if suffix == ".dbf" else data)
    return path


def _xlsx_with(tmp: Path, name: str, member: str, inflated: int) -> Path:
    good = write_xlsx(tmp / "good.xlsx", [["项目统一代码", "公开事项"], ["A", "B"]])
    zeros, crc = _deflated_zeros(inflated)
    members = []
    with zipfile.ZipFile(good) as archive:
        for info in archive.infolist():
            data = archive.read(info)
            if info.filename != member:
                members.append((info.filename, zlib.compress(data)[2:-4], len(data),
                                zlib.crc32(data)))  # fmt: skip
    members.append((member, zeros, inflated, crc))
    return _raw_zip(tmp / name, members)


def xlsx_strings(tmp: Path) -> Path:
    return _xlsx_with(tmp, "strings.xlsx", "xl/sharedStrings.xml", 512 * MB)


def xlsx_sheet(tmp: Path) -> Path:
    return _xlsx_with(tmp, "sheet.xlsx", "xl/worksheets/sheet1.xml", 1024 * MB)


def big_geojson(tmp: Path, size: int = 100 * MB) -> Path:
    path = tmp / "big.geojson"
    feature = json.dumps({"type": "Feature", "properties": {"项目代码": "x" * 200},
                          "geometry": {"type": "Point", "coordinates": [115.9, 28.6]}})  # fmt: skip
    count = size // (len(feature) + 1) + 1
    with path.open("w") as out:
        out.write('{"type": "FeatureCollection", "features": [')
        out.write(",".join([feature] * count))
        out.write("]}")
    return path


def million_vertices(tmp: Path, vertices: int = 1_000_000) -> Path:
    """A zipped Shapefile with one polygon of ``vertices`` vertices (16 MB of .shp)."""
    import math

    x, y = 39_500_000, 3_175_000
    ring = [(x + 500 * math.cos(-2 * math.pi * k / vertices),
             y + 500 * math.sin(-2 * math.pi * k / vertices)) for k in range(vertices)]  # fmt: skip
    ring.append(ring[0])
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    with shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON,
                          encoding="gbk") as writer:  # fmt: skip
        writer.field("项目代码", "C", size=30)
        writer.field("位置名称", "C", size=30)
        writer.poly([ring])
        writer.record("2303-360111-48-01-123456", "一百万个顶点")
    path = tmp / "vertices.zip"
    parts = _shapefile_parts(tmp)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("v.shp", shp.getvalue())
        archive.writestr("v.shx", shx.getvalue())
        archive.writestr("v.dbf", dbf.getvalue())
        archive.writestr("v.cpg", "GBK")
        archive.writestr("v.prj", parts[".prj"])
    return path


def xlsx_small_strings(tmp: Path) -> Path:
    """Shared strings of 64 MB: under the total limit, over the shared-strings one."""
    return _xlsx_with(tmp, "strings64.xlsx", "xl/sharedStrings.xml", 64 * MB)


# name, builder, what the refusal says (the limit's setting, or why)
HOSTILE = [
    ("dbf bomb", dbf_bomb, "REGISTRY_LIMIT_UNZIPPED_MB"),
    ("compressed 1000 to 1", ratio_bomb, "REGISTRY_LIMIT_ZIP_RATIO"),
    ("many members", many_members, "REGISTRY_LIMIT_ZIP_MEMBERS"),
    ("overlapping members", overlapping, "overlap"),
    ("lying directory", lying_sizes, "damaged"),
    ("nested zip", nested, "holds another archive"),
    ("zip in disguise", nested_in_disguise, "holds another archive"),
    ("xlsx shared strings", xlsx_strings, "REGISTRY_LIMIT_UNZIPPED_MB"),
    ("xlsx shared strings 64 MB", xlsx_small_strings, "REGISTRY_LIMIT_XLSX_STRINGS_MB"),
    ("xlsx sheet", xlsx_sheet, "REGISTRY_LIMIT_UNZIPPED_MB"),
    ("geojson 100 MB", big_geojson, "REGISTRY_LIMIT_GEOJSON_MB"),
    ("10^6-vertex polygon", million_vertices, "REGISTRY_LIMIT_VERTICES"),
]

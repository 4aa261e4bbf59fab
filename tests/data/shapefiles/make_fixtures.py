"""Writes the small Shapefiles kept beside this script, as the GIS tools departments use do.

Run by hand, once per writer, and commit the output (the tests read the files, they do not
write them, so a new pyshp cannot change what they test):

    python make_fixtures.py pyshp    # with pyshp 2.x installed, then again with pyshp 3.x
    python make_fixtures.py gdal     # ogr2ogr (GDAL, as QGIS writes), CP936 attributes
    python make_fixtures.py tiny     # pyshp 3.1: one field, one point (its .dbf is 4 bytes long)
    python make_fixtures.py arcgis   # no .cpg: the code page in the dBASE header (LDID 0x4D, 936)

Each archive: two parcels of project 2303-360111-48-01-123456 in CGCS2000 / 3-degree
Gauss-Krüger zone 39 (EPSG:4527), Chinese field names and values in GBK.
"""

import io
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).parent
PRJ = 'PROJCS["CGCS2000_3_Degree_GK_Zone_39",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",39500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]'  # noqa: E501
CODE = "2303-360111-48-01-123456"
X, Y = 39_500_000, 3_175_000
PARCELS = [  # clockwise outer rings, as a Shapefile wants them
    ("一号地块", "地块", [(X, Y), (X, Y + 50), (X + 50, Y + 50), (X + 50, Y), (X, Y)]),
    (
        "二号地块（东）",
        "地块",
        [(X + 100, Y), (X + 100, Y + 30), (X + 140, Y + 30), (X + 140, Y), (X + 100, Y)],
    ),
]


def with_pyshp() -> Path:
    import shapefile

    major = shapefile.__version__.split(".")[0]
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    writer = shapefile.Writer(
        shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON, encoding="gbk"
    )
    writer.field("项目代码", "C", size=30)
    writer.field("位置名称", "C", size=40)
    writer.field("位置类型", "C", size=10)
    for name, area, ring in PARCELS:
        writer.poly([ring])
        writer.record(CODE, name, area)
    writer.close()
    path = HERE / f"pyshp{major}-gbk.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("地块.shp", shp.getvalue())
        archive.writestr("地块.shx", shx.getvalue())
        archive.writestr("地块.dbf", dbf.getvalue())
        archive.writestr("地块.cpg", "GBK")
        archive.writestr("地块.prj", PRJ)
    return path


def with_pyshp_tiny() -> Path:
    """pyshp 3.1's writer reserves 100 bytes at the start of every file, the .dbf too: a
    .dbf shorter than that keeps the tail of the reservation ("9999") after its records, so
    the size its header declares is short of the file's."""
    import shapefile

    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    writer = shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POINT, encoding="gbk")
    writer.field("项目代码", "C", size=30)
    writer.point(X, Y)
    writer.record(CODE)
    writer.close()
    path = HERE / f"pyshp{shapefile.__version__.split('.')[0]}-tiny.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("点.shp", shp.getvalue())
        archive.writestr("点.shx", shx.getvalue())
        archive.writestr("点.dbf", dbf.getvalue())
        archive.writestr("点.cpg", "GBK")
        archive.writestr("点.prj", PRJ)
    return path


def as_arcview() -> Path:
    """The pyshp 2 archive without its .cpg, the code page in the .dbf's language driver byte
    (29) instead, as ArcView and older ArcGIS write it."""
    source = zipfile.ZipFile(HERE / "pyshp2-gbk.zip")
    path = HERE / "arcgis-ldid936.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in source.namelist():
            data = source.read(member)
            if member.endswith(".dbf"):
                data = data[:29] + bytes([0x4D]) + data[30:]
            if not member.endswith(".cpg"):
                archive.writestr(member.replace("地块", "arcgis"), data)
    return path


def with_gdal() -> Path:
    features = [
        {
            "type": "Feature",
            "properties": {"项目代码": CODE, "位置名称": name, "位置类型": area},
            "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in ring]]},
        }
        for name, area, ring in PARCELS
    ]
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.geojson"
        source.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
        out = Path(tmp) / "out"
        subprocess.run(
            [
                "ogr2ogr",
                "-f",
                "ESRI Shapefile",
                "-a_srs",
                "EPSG:4527",
                "-lco",
                "ENCODING=CP936",
                "-nln",
                "地块",
                str(out),
                str(source),
            ],
            check=True,
        )
        path = HERE / "gdal-cp936.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for member in sorted(out.iterdir()):
                archive.write(member, member.name)
    return path


if __name__ == "__main__":
    print(
        {"pyshp": with_pyshp, "gdal": with_gdal, "tiny": with_pyshp_tiny, "arcgis": as_arcview}[
            sys.argv[1]
        ]()
    )

"""Zipped Shapefiles as GIS tools write them load, whatever pyshp version reads them.

The archives in tests/data/shapefiles/ were written once by pyshp 2 and 3, GDAL (as QGIS
writes) and in ArcView's manner (no .cpg, the code page in the .dbf), with Chinese GBK field
names (make_fixtures.py says how); they are kept, so a new pyshp cannot change what the
tests read.
"""

from pathlib import Path

import pytest
from sqlalchemy import text

from loaders import load_file
from loaders.shapefile_ import read_zipped_shapefile
from tests.registry.factories import PROJECT_CODE

DATA = Path(__file__).resolve().parents[1] / "data" / "shapefiles"
WRITTEN = ["pyshp2-gbk.zip", "pyshp3-gbk.zip", "gdal-cp936.zip", "arcgis-ldid936.zip"]


@pytest.mark.parametrize("name", WRITTEN)
def test_every_writer_s_file_is_read_with_its_chinese_names(name):
    table = read_zipped_shapefile(DATA / name)
    assert table.headers == ["项目代码", "位置名称", "位置类型"]
    assert table.crs == "EPSG:4527"
    rows = list(table.rows)
    assert [r.values["位置名称"] for r in rows] == ["一号地块", "二号地块（东）"]
    assert [round(r.geometry.area, 1) for r in rows] == [2500.0, 1200.0]
    assert not any(r.notes for r in rows)


@pytest.mark.parametrize("name", WRITTEN)
def test_every_writer_s_file_loads_as_sites(registry_session, name):
    report = load_file(registry_session, DATA / name, "FGW", kind="sites")
    assert report.counts["updated"] == 2, report.text()  # rows, both of one project
    registry_session.commit()
    areas = registry_session.execute(
        text(
            "SELECT round(ST_Area(s.geom::geography)) FROM sites s JOIN projects p "
            "ON p.id = s.project_id WHERE p.code = :code ORDER BY 1 DESC"
        ),
        {"code": PROJECT_CODE},
    ).scalars()
    assert [int(a) for a in areas] == pytest.approx([2500, 1200], abs=30)


def test_a_header_that_disagrees_with_intact_records_is_read_with_a_note(registry_session, capfd):
    """pyshp 3.1 writes a one-field .dbf 4 bytes longer than its header says; pyshp 3.1's
    reader warns of it. The records are whole: read them, and say so in the report."""
    report = load_file(registry_session, DATA / "pyshp3-tiny.zip", "FGW", kind="sites")
    assert report.counts["updated"] == 1, report.text()
    said = [n for n in report.notes if "文件头记载的大小" in n]
    assert said == [
        ".dbf 文件头记载的大小为 97 字节，实际为 101 字节；已读取全部记录，请核对条数是否与导出时一致"
        " · the .dbf header gives its size as 97 bytes but the file has 101; every record was"
        " read: compare the count with what you exported"
    ]
    assert "PossiblyCorrupt" not in capfd.readouterr().err

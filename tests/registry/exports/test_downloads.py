"""The downloads over real HTTP against the demo data, opened with the tools their users
use: csv with Excel's encoding, openpyxl, GDAL's ogrinfo and ogr2ogr (GeoJSON, GeoPackage,
Shapefile). Each file holds exactly what the public views hold; a write to the register
makes the next download a new file."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.catalog import get_catalog


@pytest.fixture(scope="module")
def site(live_server, demo_data):
    with httpx.Client(base_url=f"http://127.0.0.1:{live_server}", timeout=120) as client:
        yield client


def scalar(engine, sql: str, **params) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text(sql), params) or 0)


def fetched(site, path: str, tmp_path: Path) -> Path:
    answer = site.get(path)
    assert answer.status_code == 200, answer.text[:500]
    name = re.search(r'filename="([^"]+)"', answer.headers["content-disposition"]).group(1)
    assert answer.headers["content-disposition"].startswith("attachment")
    target = tmp_path / name
    target.write_bytes(answer.content)
    return target


def csv_rows(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs for Chinese
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def ogr_counts(path: Path) -> dict[str, int]:
    """Each layer's feature count, as GDAL's ogrinfo reads it."""
    report = subprocess.run(["ogrinfo", "-so", "-al", str(path)], capture_output=True,
                            text=True, check=True).stdout  # fmt: skip
    names = re.findall(r"^Layer name: (.+)$", report, re.M)
    counts = [int(n) for n in re.findall(r"^Feature Count: (\d+)$", report, re.M)]
    return dict(zip(names, counts, strict=True))


def test_projects_as_csv_and_xlsx(site, demo_data, tmp_path):
    projects = scalar(demo_data, "SELECT count(*) FROM projects")
    rows = csv_rows(fetched(site, "/downloads/projects.csv", tmp_path))
    assert rows[0][0] == "项目代码 code" and len(rows) - 1 == projects
    book = load_workbook(fetched(site, "/downloads/projects.xlsx", tmp_path), read_only=True)
    assert book.sheetnames == ["项目 projects"]
    assert sum(1 for _ in book.active.iter_rows()) - 1 == projects


def test_each_category_with_its_elements(site, demo_data, tmp_path):
    book = load_workbook(fetched(site, "/downloads/disclosures.xlsx", tmp_path), read_only=True)
    catalog = get_catalog()
    assert book.sheetnames == [e.name_zh for e in catalog.categories]
    for entry in catalog.categories:
        public = scalar(demo_data, "SELECT count(*) FROM public_disclosures WHERE category = :c",
                        c=entry.category.value)  # fmt: skip
        rows = csv_rows(
            fetched(site, f"/downloads/disclosures-{entry.category.value}.csv", tmp_path)
        )
        assert len(rows) - 1 == public == sum(1 for _ in book[entry.name_zh].iter_rows()) - 1
        header = rows[0]
        for item in entry.items:  # every content element of the category has its column
            for ie in item.elements:
                assert f"{ie.element.name_zh} {ie.element.key}" in header
        for row in rows[1:]:  # each element's value is in its column
            assert row[3] == catalog.known_item(row[2]).name_zh


def test_sites_and_parcels_open_in_gdal_and_convert_to_shapefiles(site, demo_data, tmp_path):
    sites = scalar(demo_data, "SELECT count(*) FROM sites")
    parcels = scalar(
        demo_data,
        "SELECT count(*) FROM public_disclosures WHERE category = 'land_acquisition' "
        "AND geom IS NOT NULL",
    )
    assert ogr_counts(fetched(site, "/downloads/sites.geojson", tmp_path)) == {"sites": sites}
    assert list(
        ogr_counts(fetched(site, "/downloads/land-parcels.geojson", tmp_path)).values()
    ) == [parcels]
    package = fetched(site, "/downloads/register.gpkg", tmp_path)
    layers = ogr_counts(package)
    assert set(layers) == {"sites_points", "sites_lines", "sites_polygons", "land_parcels"}
    assert layers["land_parcels"] == parcels
    assert layers["sites_points"] + layers["sites_lines"] + layers["sites_polygons"] == sites
    shapefiles = tmp_path / "shp"
    subprocess.run(["ogr2ogr", "-f", "ESRI Shapefile", str(shapefiles), str(package)],
                   check=True, capture_output=True)  # fmt: skip
    assert {p.stem for p in shapefiles.glob("*.shp")} == set(layers)


def test_the_page_lists_every_file_and_a_write_makes_a_new_one(site, demo_data, tmp_path):
    page = site.get("/downloads").text
    for name in ("projects.csv", "projects.xlsx", "disclosures.xlsx", "sites.geojson",
                 "land-parcels.geojson", "register.gpkg", "oc4ids.json"):  # fmt: skip
        assert f">{name}</a>" in page
    before = csv_rows(fetched(site, "/downloads/disclosures-bidding.csv", tmp_path))
    page = site.get("/downloads").text
    listed = re.search(r"disclosures-bidding\.csv</a>.*?</tr>", page, re.S).group(0)
    assert f">{len(before) - 1:,}</td>" in listed and "KB" in listed  # rows and size, once built
    from registry.publishing import Actor, withdraw_disclosure

    with Session(demo_data) as session, session.begin():
        victim = session.execute(
            text("SELECT id FROM public_disclosures WHERE category = 'bidding' LIMIT 1")
        ).scalar_one()
        withdraw_disclosure(session, Actor(path="test:downloads"), victim, "测试撤回")
    after = csv_rows(fetched(site, "/downloads/disclosures-bidding.csv", tmp_path))
    assert len(after) == len(before) - 1
    assert "首次下载时生成" in re.search(r"projects\.csv</a>.*?</tr>", site.get("/downloads").text,
                                     re.S).group(0)  # fmt: skip


def test_the_list_filters_give_a_part_of_the_register(site, demo_data, tmp_path):
    completed = scalar(demo_data, "SELECT count(*) FROM projects WHERE status = 'completed'")
    rows = csv_rows(fetched(site, "/projects.csv?status=completed", tmp_path))
    assert len(rows) - 1 == completed and {r[3] for r in rows[1:]} == {"已竣工"}
    book = load_workbook(fetched(site, "/projects.xlsx?status=completed", tmp_path), read_only=True)
    assert sum(1 for _ in book.active.iter_rows()) - 1 == completed
    sites = scalar(
        demo_data,
        "SELECT count(*) FROM sites s JOIN projects p ON p.id = s.project_id "
        "WHERE p.status = 'completed'",
    )
    part = json.loads(fetched(site, "/projects.geojson?status=completed", tmp_path).read_text())
    assert len(part["features"]) == sites
    assert site.get("/projects.csv?status=gone").status_code == 400
    assert site.get("/downloads/secrets.txt").status_code == 404

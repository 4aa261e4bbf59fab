"""Each format lands in the database as the department meant it, geometry included."""

import datetime as dt

import pytest
import shapefile
from pyproj import Geod, Transformer
from sqlalchemy import text

from loaders import FileRefused, load_file
from registry.geometry import from_storage
from tests.conftest import count
from tests.loaders.files import write_csv, write_geojson, write_xlsx, write_zipped_shapefile
from tests.registry.factories import PROJECT_CODE

GEOD = Geod(ellps="WGS84")
APPROVAL_HEADERS = [
    "项目统一代码",
    "公开事项",
    "信息形成日期",
    "批复文号",
    "批复时间",
    "审批结果",
    "批复单位",
]


def approval_row(
    doc_no="洪发改投资〔2023〕88号", item="政府投资项目可行性研究报告审批", code=PROJECT_CODE
):
    return [code, item, "2023-03-10", doc_no, "2023-03-10", "同意", "南昌市发展和改革委员会"]


def rows(engine, sql):
    with engine.connect() as conn:
        return conn.execute(text(sql)).all()


def test_gbk_csv_loads_then_reloading_changes_nothing_and_a_change_revises(
    registry_session, tmp_path
):
    path = write_csv(tmp_path / "批复.csv", [APPROVAL_HEADERS, approval_row()], "gbk")
    report = load_file(registry_session, path, "FGW")
    registry_session.commit()
    assert (
        report.counts["added"] == 1 and "编码：GBK/GB18030 · encoding: GBK/GB18030" in report.notes
    )
    engine = registry_session.get_bind()
    (elements,) = rows(engine, "SELECT elements FROM disclosures")[0]
    assert elements["approval_doc_no"] == "洪发改投资〔2023〕88号"
    again = load_file(registry_session, path, "FGW")
    assert again.counts["unchanged"] == 1 and again.counts["added"] == 0
    changed = write_csv(
        tmp_path / "批复.csv", [APPROVAL_HEADERS, approval_row("洪发改投资〔2023〕89号")], "gbk"
    )
    revised = load_file(registry_session, changed, "FGW")
    registry_session.commit()
    assert revised.counts["revised"] == 1
    assert [r[0] for r in rows(engine, "SELECT status FROM disclosures ORDER BY id")] == [
        "superseded",
        "published",
    ]
    assert (
        rows(engine, "SELECT correction_reason FROM disclosures WHERE revision = 2")[0][0]
        == "从 批复.csv 重新导入 · re-loaded from 批复.csv"
    )


def test_utf8_bom_csv_of_projects_with_wkt(registry_session, tmp_path):
    path = write_csv(
        tmp_path / "projects.csv",
        [
            [
                "项目统一代码",
                "项目名称",
                "项目类型",
                "行政区划代码",
                "总投资（万元）",
                "项目状态",
                "批复日期",
                "几何(WKT)",
            ],
            [
                "2306-360121-48-01-000001",
                "南昌县某学校",
                "审批",
                "360121",
                "1200.5",
                "在建",
                "2023-06-01",
                "POINT(115.943 28.548)",
            ],
        ],
        "utf-8-sig",
    )
    report = load_file(registry_session, path, "FGW")
    registry_session.commit()
    assert report.counts["added"] == 1 and report.kind == "projects"
    engine = registry_session.get_bind()
    assert rows(
        engine,
        "SELECT status, investment::float, ST_AsText(s.geom) FROM projects p JOIN sites s "
        "ON s.project_id = p.id WHERE code = '2306-360121-48-01-000001'",
    ) == [("under_construction", 1200.5, "POINT(115.943 28.548)")]


def test_xlsx_with_real_dates_on_a_named_sheet(registry_session, tmp_path):
    path = write_xlsx(
        tmp_path / "permits.xlsx",
        [
            [
                "项目统一代码",
                "审核结果",
                "建筑工程施工许可证号",
                "许可时间",
                "发证机关",
                "信息形成日期",
            ],
            [
                PROJECT_CODE,
                "准予许可",
                "360100202309010101",
                dt.datetime(2023, 9, 1),
                "南昌市建设局",
                dt.datetime(2023, 9, 1),
            ],
        ],
        sheet="施工许可",
    )
    report = load_file(registry_session, path, "JSJ", kind="construction_permit", sheet="施工许可")
    registry_session.commit()
    assert report.counts["added"] == 1
    assert rows(
        registry_session.get_bind(), "SELECT formed_on, elements->>'permit_date' FROM disclosures"
    ) == [(dt.date(2023, 9, 1), "2023-09-01")]
    with pytest.raises(FileRefused, match="no sheet 'Sheet9'"):
        load_file(registry_session, path, "JSJ", kind="construction_permit", sheet="Sheet9")


def test_zipped_shapefile_in_gauss_kruger_zone_39_with_gbk_attributes(registry_session, tmp_path):
    to_gk = Transformer.from_crs(4326, 4527, always_xy=True)
    truth = (115.9512, 28.6733)
    x, y = to_gk.transform(*truth)
    ring = [
        to_gk.transform(lon, lat)
        for lon, lat in [
            (115.95, 28.67),
            (115.953, 28.67),
            (115.953, 28.673),
            (115.95, 28.673),
            (115.95, 28.67),
        ]
    ]
    points = write_zipped_shapefile(
        tmp_path / "sites.zip",
        [("XMDM", "C", 30), ("WZMC", "C", 40)],
        [([PROJECT_CODE, "指挥部驻地"], [(x, y)])],
    )
    load_file(
        registry_session,
        points,
        "FGW",
        kind="sites",
        rename={"XMDM": "项目统一代码", "WZMC": "位置名称"},
    )
    registry_session.commit()
    name, lon, lat = rows(
        registry_session.get_bind(), "SELECT name, ST_X(geom), ST_Y(geom) FROM sites"
    )[0]
    assert name == "指挥部驻地"  # GBK attribute, read through the .cpg
    assert GEOD.inv(lon, lat, *truth)[2] < 1.0
    assert ring


def test_shapefile_field_names_map_through_the_catalog(registry_session, tmp_path):
    to_gk = Transformer.from_crs(4326, 4548, always_xy=True)
    ring = [
        to_gk.transform(lon, lat)
        for lon, lat in [
            (115.95, 28.67),
            (115.953, 28.67),
            (115.953, 28.673),
            (115.95, 28.673),
            (115.95, 28.67),
        ]
    ]
    parcels = write_zipped_shapefile(
        tmp_path / "征地.zip",
        [
            ("项目代码", "C", 30),
            ("事项", "C", 40),
            ("形成日期", "C", 10),
            ("PZWJ", "C", 60),
            ("SDSJ", "C", 10),
        ],
        [
            (
                [PROJECT_CODE, "征地批准文件", "2023-05-01", "赣府土字〔2023〕12号", "2023-04-28"],
                ring,
            )
        ],
        shape_type=shapefile.POLYGON,
        epsg=4548,
    )
    report = load_file(
        registry_session,
        parcels,
        "ZRZY",
        rename={"PZWJ": "批准用地批复文件", "SDSJ": "批准文件收到时间"},
    )
    registry_session.commit()
    assert report.counts["added"] == 1 and "属性编码：gbk · attributes: gbk" in report.notes
    (corner,) = rows(
        registry_session.get_bind(),
        "SELECT ST_AsText(ST_PointN(ST_ExteriorRing(geom), 1)) FROM disclosures",
    )[0]
    lon, lat = map(float, corner[6:-1].split())
    assert GEOD.inv(lon, lat, 115.95, 28.67)[2] < 1.0


def test_geojson_land_parcels(registry_session, tmp_path):
    parcel = {
        "type": "Polygon",
        "coordinates": [[[115.95, 28.67], [115.953, 28.67], [115.953, 28.673], [115.95, 28.67]]],
    }
    path = write_geojson(
        tmp_path / "parcels.geojson",
        [
            (
                {
                    "项目统一代码": PROJECT_CODE,
                    "公开事项": "征收土地公告",
                    "信息形成日期": "2023-06-01",
                    "批复单位": "江西省人民政府",
                    "批复文号": "赣府土字〔2023〕12号",
                    "批复时间": "2023-05-20",
                    "批准用途": "道路",
                    "征收范围": "某村民小组",
                    "组织实施征收具体工作安排": "属地政府实施",
                    "救济途径": "行政复议",
                },
                parcel,
            )
        ],
    )
    report = load_file(registry_session, path, "QSHQ")
    registry_session.commit()
    assert report.counts["added"] == 1
    assert rows(
        registry_session.get_bind(), "SELECT GeometryType(geom), item_key FROM disclosures"
    ) == [("POLYGON", "acquisition_announcement")]


def test_gcj02_points_from_an_amap_screen(registry_session, tmp_path):
    truth = (115.8921, 28.6765)
    shifted = from_storage(__import__("shapely").geometry.Point(truth), "gcj02")
    path = write_csv(
        tmp_path / "amap.csv",
        [
            ["项目统一代码", "位置名称", "经度", "纬度"],
            [PROJECT_CODE, "高德取点", shifted.x, shifted.y],
        ],
    )
    load_file(registry_session, path, "FGW", kind="sites", crs="gcj02")
    registry_session.commit()
    lon, lat = rows(registry_session.get_bind(), "SELECT ST_X(geom), ST_Y(geom) FROM sites")[0]
    assert GEOD.inv(lon, lat, *truth)[2] < 1.0


def test_dry_run_writes_nothing(registry_session, tmp_path):
    path = write_csv(tmp_path / "a.csv", [APPROVAL_HEADERS, approval_row()])
    report = load_file(registry_session, path, "FGW", dry_run=True)
    registry_session.commit()
    assert report.counts["added"] == 1 and not report.written
    assert count(registry_session.get_bind(), "disclosures") == 0

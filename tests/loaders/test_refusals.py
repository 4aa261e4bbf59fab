"""Bad files are refused with a precise message, and nothing of them is written."""

import subprocess
import sys

import pytest

from loaders import FileRefused, load_file
from tests.conftest import count
from tests.loaders.files import write_csv, write_xlsx, write_zipped_shapefile
from tests.loaders.test_run import APPROVAL_HEADERS, approval_row
from tests.registry.factories import PROJECT_CODE


def refused(session, path, department="FGW", **options) -> list[str]:
    engine = session.get_bind()
    before = {t: count(engine, t) for t in ("projects", "sites", "disclosures")}
    with pytest.raises(FileRefused) as err:
        load_file(session, path, department, **options)
    session.commit()
    assert {t: count(engine, t) for t in ("projects", "sites", "disclosures")} == before
    return [str(p) for p in err.value.report.problems]


def test_an_encoding_that_is_neither(registry_session, tmp_path):
    path = tmp_path / "utf16.csv"
    path.write_bytes("项目统一代码,公开事项\n".encode("utf-16"))
    assert refused(registry_session, path) == [
        "utf16.csv: 既不是 UTF-8 也不是 GBK/GB18030 编码的文本；请在 Excel 中“另存为 → CSV UTF-8”后再导入"
        " · is neither UTF-8 nor GBK/GB18030 text; save it as CSV UTF-8 (Excel: 另存为 → CSV UTF-8)"
    ]


def test_a_truncated_xlsx(registry_session, tmp_path):
    good = write_xlsx(tmp_path / "good.xlsx", [APPROVAL_HEADERS, approval_row()])
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(good.read_bytes()[:700])
    (problem,) = refused(registry_session, bad)
    assert (
        problem.startswith("bad.xlsx: 工作簿已损坏或被截断") and "damaged or truncated" in problem
    )


def test_a_shapefile_without_prj_unless_crs_is_given(registry_session, tmp_path):
    path = write_zipped_shapefile(
        tmp_path / "noprj.zip",
        [("项目代码", "C", 30)],
        [([PROJECT_CODE], [(39_500_000, 3_175_000)])],
        epsg=None,
    )
    (problem,) = refused(registry_session, path, kind="sites")
    assert "has no coordinate system (.prj)" in problem and "--crs" in problem
    report = load_file(registry_session, path, "FGW", kind="sites", crs="4527")
    assert report.counts["updated"] == 1


def test_duplicate_rows_inside_a_file(registry_session, tmp_path):
    path = write_csv(
        tmp_path / "dup.csv", [APPROVAL_HEADERS, approval_row(), approval_row("其他文号")]
    )
    assert refused(registry_session, path) == [
        "第 3 行 · row 3, 编号: 与本文件第 2 行重复 · repeats row 2 of this file"
    ]


def test_a_personal_id_number_in_a_text_field(registry_session, tmp_path):
    row = approval_row()
    row[6] = "经办人 11010519491231002X"
    (problem,) = refused(registry_session, write_csv(tmp_path / "id.csv", [APPROVAL_HEADERS, row]))
    assert problem.startswith("第 2 行 · row 2, 批复单位: 含有居民身份证号码")
    assert "personal information must not be published" in problem


def test_a_row_in_a_category_the_department_does_not_answer_for(registry_session, tmp_path):
    path = write_csv(tmp_path / "jsj.csv", [APPROVAL_HEADERS, approval_row()])
    (problem,) = refused(registry_session, path, department="JSJ")
    assert problem.startswith("第 2 行 · row 2: JSJ（南昌市建设局）不是项目")
    assert (
        "的公开责任部门（谁公开，谁负责）" in problem and "is not the responsible body" in problem
    )


def test_all_or_nothing_one_bad_row_refuses_the_file(registry_session, tmp_path):
    path = write_csv(
        tmp_path / "mixed.csv",
        [
            APPROVAL_HEADERS,
            approval_row(),
            approval_row(code="2021-36010-04-01-1"),
            approval_row(item="政府投资项目初步设计审批")[:3] + ["", "2099-01-01", "同意", "X"],
        ],
    )
    problems = refused(registry_session, path)
    assert problems == [
        "第 3 行 · row 3, 项目统一代码: “2021-36010-04-01-1”不是有效的项目统一代码（应为 "
        "NNNN-NNNNNN-NN-NN-NNNNNN，共 24 位） · '2021-36010-04-01-1' is not a valid project "
        "code (expected NNNN-NNNNNN-NN-NN-NNNNNN, 24 characters)",
        "第 4 行 · row 4, 批复时间: 2099-01-01 是将来的日期（批复时间记录的是已作出的决定） · "
        "2099-01-01 lies in the future (Approval date records a decision already made)",
        "第 4 行 · row 4, 批复文号: 政府投资项目初步设计审批必须填写批复文号 · "
        "Approval document number is required for Government-investment preliminary design "
        "approval",
    ]


def test_swapped_axes_and_points_outside_china(registry_session, tmp_path):
    path = write_csv(
        tmp_path / "pts.csv",
        [
            ["项目统一代码", "经度", "纬度"],
            [PROJECT_CODE, "28.68", "115.89"],
            [PROJECT_CODE, "2.35", "48.85"],
        ],
    )
    problems = refused(registry_session, path, kind="sites")
    assert problems[0].startswith("第 2 行 · row 2, 经度: 经纬度似乎填反了")
    assert "latitude and longitude appear swapped" in problems[0]
    assert "GeoJSON" not in problems[0]  # a table has columns, not GeoJSON's order
    assert problems[1].startswith("第 3 行 · row 3, 经度: 位置在中国境外")


def test_unknown_columns_and_ambiguous_kinds(registry_session, tmp_path):
    unknown = write_csv(tmp_path / "u.csv", [APPROVAL_HEADERS + ["备注"], approval_row() + ["x"]])
    assert refused(registry_session, unknown) == [
        "备注: 不是公开事项文件的列（各列见 `registry template disclosures`） · "
        "is not a column of disclosures files; see `registry template disclosures` for the columns"
    ]
    nothing = write_csv(tmp_path / "a.csv", [["颜色", "大小"], ["红", "大"]])
    (problem,) = refused(registry_session, nothing)
    assert "无法从表头判断文件类型" in problem and "candidates: -" in problem
    assert "--kind" in problem


def test_the_command_exits_non_zero_and_reports(registry_session, tmp_path, database_url):
    path = write_csv(tmp_path / "jsj.csv", [APPROVAL_HEADERS, approval_row()])
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "registry.cli",
            "load",
            str(path),
            "--as",
            "JSJ",
            "--report",
            "json",
        ],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "DATABASE_URL": database_url},
    )
    assert result.returncode == 1
    assert '"code": "not_responsible"' in result.stdout


# --- hostile and odd files: a refusal naming the row, never a traceback ---------------------


def run_load(path, database_url, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "registry.cli", "load", str(path), "--as", "FGW", *args],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "DATABASE_URL": database_url},
    )


def test_a_nul_in_a_cell_is_one_clear_line(registry_session, tmp_path, database_url):
    row = approval_row()
    row[6] = "南昌市\x00发改委"
    path = write_csv(tmp_path / "nul.csv", [APPROVAL_HEADERS, row])
    (problem,) = refused(registry_session, path)
    assert problem.startswith("第 2 行 · row 2, 批复单位: 含有控制字符")
    assert "contains a control character" in problem
    result = run_load(path, database_url)
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    assert "control character" in result.stdout


def test_a_row_with_more_cells_than_the_header(registry_session, tmp_path):
    path = write_csv(tmp_path / "extra.csv", [APPROVAL_HEADERS, [*approval_row(), "多出来的"]])
    (problem,) = refused(registry_session, path)
    assert problem.startswith("第 2 行 · row 2: 比表头（7 列）多 1 个单元格")
    assert "多出：“多出来的”" in problem


def test_a_file_with_only_its_header(registry_session, tmp_path):
    (problem,) = refused(registry_session, write_csv(tmp_path / "empty.csv", [APPROVAL_HEADERS]))
    assert "没有数据行" in problem and "no data rows" in problem


def test_heights_are_dropped_and_said(registry_session, tmp_path):
    from tests.loaders.files import write_geojson

    path = write_geojson(
        tmp_path / "z.geojson",
        [({"项目统一代码": PROJECT_CODE, "位置名称": "桩"},
          {"type": "Point", "coordinates": [115.95, 28.68, 31.0]})],
    )  # fmt: skip
    report = load_file(registry_session, path, "FGW", kind="sites")
    registry_session.commit()
    assert report.written and any("Z" in note for note in report.notes)


def test_a_failure_outside_the_rules_is_one_line_and_debug_shows_more(tmp_path):
    env = {**__import__("os").environ,
           "DATABASE_URL": "postgresql+psycopg://registry:registry@127.0.0.1:1/none"}  # fmt: skip
    plain = subprocess.run([sys.executable, "-m", "registry.cli", "keys", "list"],
                           capture_output=True, text=True, env=env)  # fmt: skip
    assert plain.returncode == 1 and "Traceback" not in plain.stderr
    assert (
        plain.stderr.startswith("错误：无法连接数据库")
        and "error: cannot reach the database" in plain.stderr
        and len(plain.stderr.splitlines()) == 2
    )
    debug = subprocess.run([sys.executable, "-m", "registry.cli", "--debug", "keys", "list"],
                           capture_output=True, text=True, env=env)  # fmt: skip
    assert debug.returncode == 1 and "Traceback" in debug.stderr

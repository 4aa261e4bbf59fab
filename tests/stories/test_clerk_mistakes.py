"""A clerk's typical mistakes: each gets one Chinese line that says how to fix it (English
beside it), and what is safe to forgive is forgiven."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loaders import FileRefused, load_file
from loaders.report import FileReport, RowProblem
from loaders.rows import DATE_NOTE, SERIAL_NOTE, WIDTH_NOTE
from registry.errors import InvalidInput, NotFound
from registry.publishing.content import parse_date
from registry.publishing.lookups import department_named
from tests.loaders.files import write_csv, write_xlsx
from tests.loaders.test_refusals import refused
from tests.loaders.test_run import APPROVAL_HEADERS, approval_row


def test_a_header_typo_names_the_column_meant(registry_session, tmp_path):
    headers = [h if h != "批复文号" else "批复文好" for h in APPROVAL_HEADERS]
    path = write_csv(tmp_path / "typo.csv", [headers, approval_row()])
    (problem,) = [p for p in refused(registry_session, path) if "批复文好" in p]
    assert "是否要写“批复文号”" in problem and "did you mean 批复文号" in problem


def test_an_item_typo_names_the_item_meant_and_an_empty_item_says_so(registry_session, tmp_path):
    path = write_csv(
        tmp_path / "item.csv",
        [APPROVAL_HEADERS, approval_row(item="初步设计审批"), approval_row("二号", item="")],
    )
    found = refused(registry_session, path)
    assert any("是否要写“政府投资项目初步设计审批”" in p for p in found), found
    assert any("公开事项为空" in p and "row 3" in p for p in found), found


@pytest.mark.parametrize("given_as", ["fgw", "FGW", "南昌市发展和改革委员会", "ＦＧＷ"])
def test_a_department_by_lower_case_code_or_chinese_name(registry_session, given_as):
    assert department_named(registry_session, given_as, "--as").code == "FGW"


def test_a_department_code_typo_names_the_code_meant(registry_session):
    with pytest.raises(NotFound) as err:
        department_named(registry_session, "FWG", "--as")
    assert "是否要写“FGW”" in err.value.message and "registry departments" in err.value.message


def test_dates_as_clerks_write_them_are_read(registry_session, tmp_path):
    written = ["２０２３－０３－１０", "2023/3/10", "2023年3月10日", "2023.3.10", "44995"]
    rows = [[*APPROVAL_HEADERS, "编号"]]
    for n, day in enumerate(written):
        row = approval_row(f"洪发改投资〔2023〕{n}号")
        row[2] = row[4] = day
        rows.append([*row, f"R{n}"])
    report = load_file(registry_session, write_csv(tmp_path / "days.csv", rows), "FGW")
    assert report.counts["added"] == len(written)
    # each normalisation is said, with how many cells it touched (two date columns a row)
    counted = [note.partition(" × ") for note in report.notes if " × " in note]
    notes = {note: int(times) for times, _, note in counted}
    assert notes[WIDTH_NOTE] == 2 and notes[SERIAL_NOTE] == 2
    assert notes[DATE_NOTE] == 2 * 3  # the slash, 年月日 and dot rows


def test_a_day_that_does_not_exist_is_named_as_such(registry_session, tmp_path):
    row = approval_row()
    row[4] = "2023-02-30"
    (problem,) = refused(registry_session, write_csv(tmp_path / "feb.csv", [APPROVAL_HEADERS, row]))
    assert "这一天不存在" in problem and "2 月没有 30 日" in problem


def test_the_same_mistake_on_many_rows_is_one_line(registry_session, tmp_path):
    rows = [[*APPROVAL_HEADERS, "编号"]] + [
        [*approval_row(f"洪发改投资〔2023〕{n}号", item="初步设计审批"), f"R{n}"] for n in range(40)
    ]
    with pytest.raises(FileRefused) as err:
        load_file(registry_session, write_xlsx(tmp_path / "many.xlsx", rows), "FGW")
    text = err.value.report.text()
    lines = [line for line in text.splitlines() if "初步设计审批" in line]
    assert len(lines) == 1 and "第 2–41 行（共 40 行）" in lines[0], text
    # a refused file does not claim what it would have added
    assert "40 行有误" in text.splitlines()[0] and "added" not in text.splitlines()[0]
    assert len(json.loads(err.value.report.json())["problems"]) == 40


@settings(max_examples=200, deadline=None)
@given(
    day=st.dates(min_value=dt.date(1955, 1, 1), max_value=dt.date(2099, 12, 31)),
    style=st.sampled_from(["iso", "slash", "dot", "chinese", "compact", "serial"]),
    wide=st.booleans(),
)
def test_a_day_written_any_accepted_way_is_that_day(day, style, wide):
    text = {
        "iso": day.isoformat(),
        "slash": f"{day.year}/{day.month}/{day.day}",
        "dot": f"{day.year}.{day.month}.{day.day}",
        "chinese": f"{day.year}年{day.month}月{day.day}日",
        "compact": day.strftime("%Y%m%d"),
        "serial": str((day - dt.date(1899, 12, 30)).days),
    }[style]
    if wide:  # full-width digits and punctuation, as a Chinese input method types them
        text = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
        assert unicodedata.normalize("NFKC", text) != text
    assert parse_date(text) == day


def test_grouping_keeps_scattered_rows_apart_from_a_run():
    report = FileReport("x.csv", rows=10)
    report.problems = [RowProblem(f"row {n}", "批复时间", "m", "c") for n in (2, 5, 9, 11)]
    (line,) = report.grouped()
    assert line.startswith("第 2、5、9 … 行（共 4 行）")


@pytest.mark.parametrize("writer", [write_csv, write_xlsx], ids=["csv", "xlsx"])
def test_title_rows_above_the_header_are_skipped_and_said(registry_session, tmp_path, writer):
    rows = [
        ["南昌市2023年政府投资项目批复信息表"],
        [],
        ["填报单位：南昌市发展和改革委员会"],
        APPROVAL_HEADERS,
        approval_row(),
    ]
    suffix = ".csv" if writer is write_csv else ".xlsx"
    report = load_file(registry_session, writer(tmp_path / f"titled{suffix}", rows), "FGW")
    assert report.counts["added"] == 1
    assert any("已跳过表头上方的标题行（第 1、3 行）" in note for note in report.notes)
    registry_session.commit()
    # a refused row is still numbered as Excel numbers it
    bad = [*rows[:4], approval_row(item="初步设计审批")]
    (problem,) = refused(registry_session, writer(tmp_path / f"bad{suffix}", bad))
    assert problem.startswith("第 5 行 · row 5")


def test_old_records_warn_that_they_count_late_and_a_backfill_counts_by_its_day(
    registry_session, tmp_path
):
    from sqlalchemy import text

    old = approval_row()  # formed 2023-03-10: its deadline passed long ago
    report = load_file(
        registry_session, write_csv(tmp_path / "old.csv", [APPROVAL_HEADERS, old]), "FGW"
    )
    assert report.counts["added"] == 1 and "1 条事项" in report.warnings[0]
    assert "注意：1 条事项" in report.text()
    headers = [*APPROVAL_HEADERS, "编号", "发布部门代码", "发布时间"]
    on_time = [*approval_row("洪发改投资〔2023〕2号"), "B1", "FGW", "2023-03-13"]
    late = [*approval_row("洪发改投资〔2023〕3号"), "B2", "FGW", "2023-09-01"]
    backfill = write_csv(tmp_path / "backfill.csv", [headers, on_time, late])
    report = load_file(registry_session, backfill, "admin")
    assert report.counts["added"] == 2 and report.warnings == []
    registry_session.commit()
    judged = dict(
        registry_session.execute(
            text(
                "SELECT ref, (timezone('+08:00'::interval, first_published_at))::date::text "
                "FROM disclosures WHERE ref IN ('B1', 'B2')"
            )
        ).all()
    )
    assert judged == {"B1": "2023-03-13", "B2": "2023-09-01"}
    from registry.catalog import get_catalog
    from registry.compliance.timeliness import judge

    item = get_catalog().item("gov_feasibility_study_approval")
    day = dt.datetime(2023, 3, 13, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert judge(item, dt.date(2023, 3, 10), day, dt.date(2026, 1, 1)).status == "on_time"
    day = dt.datetime(2023, 9, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert judge(item, dt.date(2023, 3, 10), day, dt.date(2026, 1, 1)).status == "late"


def test_sites_are_counted_by_row(registry_session, tmp_path):
    from tests.registry.factories import PROJECT_CODE

    rows = [["项目统一代码", "位置名称", "经度", "纬度"]] + [
        [PROJECT_CODE, f"车站{n}", 115.90 + n / 100, 28.68] for n in range(3)
    ]
    report = load_file(registry_session, write_csv(tmp_path / "s.csv", rows), "FGW", kind="sites")
    assert report.counts["updated"] == 3 and report.rows == 3
    assert [c["what"] for c in report.changes] == ["3 处位置 · 3 sites"]


def test_a_shapefile_remark_goes_in_the_report_not_on_stderr(registry_session, tmp_path, capfd):
    import shapefile

    from tests.loaders.files import write_zipped_shapefile
    from tests.registry.factories import PROJECT_CODE

    x, y = 39_500_000, 3_175_000
    counter_clockwise = [(x, y), (x + 50, y), (x + 50, y + 50), (x, y + 50), (x, y)]
    path = write_zipped_shapefile(
        tmp_path / "ccw.zip",
        [("项目代码", "C", 30)],
        [([PROJECT_CODE], counter_clockwise)],
        shape_type=shapefile.POLYGON,
    )
    report = load_file(registry_session, path, "FGW", kind="sites")
    assert report.counts["updated"] == 1
    assert any("已按外环读取" in note for note in report.notes), report.notes
    assert "Possible issue" not in capfd.readouterr().err


def test_full_width_codes_and_numbers_are_read_and_said(registry_session, tmp_path):
    from tests.registry.factories import PROJECT_CODE

    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in PROJECT_CODE)
    row = approval_row(code=wide)
    report = load_file(
        registry_session, write_csv(tmp_path / "w.csv", [APPROVAL_HEADERS, row]), "FGW"
    )
    assert report.counts["added"] == 1 and report.changes[0]["project"] == PROJECT_CODE
    assert any("全角数字或符号已按半角读取" in note for note in report.notes), report.notes


def test_a_refused_file_comes_back_marked_and_loads_once_fixed(registry_session, tmp_path):
    import subprocess
    import sys

    from openpyxl import load_workbook

    bad = write_csv(
        tmp_path / "批复.csv",
        [APPROVAL_HEADERS, approval_row(), approval_row("二号", item="初步设计审批")],
        encoding="gbk",
    )
    marked = tmp_path / "批复-错误.xlsx"
    env = {**__import__("os").environ}
    result = subprocess.run(
        [sys.executable, "-m", "registry.cli", "load", str(bad), "--as", "FGW",
         "--errors", str(marked)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1 and marked.exists(), result.stdout + result.stderr
    book = load_workbook(marked)
    data = book["数据"]
    item_column = APPROVAL_HEADERS.index("公开事项") + 1
    cell = data.cell(3, item_column)
    assert cell.value == "初步设计审批" and cell.fill.fgColor.rgb.endswith("FFC7CE")
    assert "政府投资项目初步设计审批" in cell.comment.text
    assert data.cell(2, item_column).fill.fgColor.rgb in ("00000000", None)
    assert [c.value for c in book["问题"][2]][:2] == ["row 3", "公开事项"]
    # the clerk fixes the marked cell and loads the workbook
    cell.value = "政府投资项目初步设计审批"
    del book["问题"]
    book.save(marked)
    report = load_file(registry_session, marked, "FGW")
    assert report.counts["added"] == 2


def test_a_category_or_a_status_typo_names_the_one_meant(registry_session, tmp_path):
    path = write_csv(
        tmp_path / "状态.csv",
        [["项目统一代码", "项目名称", "项目类型", "行政区划代码", "项目状态"],
         ["2303-360111-48-01-654321", "测试项目", "审批", "360111", "再建"]],
    )  # fmt: skip
    with pytest.raises(FileRefused) as refused:
        load_file(registry_session, path, "FGW", kind="projects")
    (problem,) = [str(p) for p in refused.value.report.problems]
    assert "是否要写“在建”" in problem and "did you mean 在建" in problem
    from loaders.rows import category_of

    with pytest.raises(InvalidInput) as wrong:
        category_of({"category": "招标信息"})
    assert "是否要写“招标投标信息”" in wrong.value.message

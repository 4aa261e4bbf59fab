"""Templates carry the catalog's column names; XLSX ones explain each column."""

import csv

from openpyxl import load_workbook

from loaders.columns import parse_kind
from loaders.templates import write_template


def test_xlsx_template_has_the_data_sheet_and_the_explanation(tmp_path):
    path = write_template(parse_kind("tender_notice"), "xlsx", tmp_path / "t.xlsx")
    book = load_workbook(path)
    assert book.sheetnames == ["数据", "说明"]
    headers = [c.value for c in book["数据"][1]]
    assert headers[:3] == ["项目统一代码", "信息形成日期", "标题"] and "招标方式" in headers
    guide = {row[0]: row for row in book["说明"].iter_rows(min_row=2, values_only=True)}
    assert guide["招标人"] == ("招标人", "tenderer", "Tenderer", "文本 text", "是 yes", None)
    assert guide["招标代理机构"][4] == "否 no"  # optional for this item
    assert guide["投标截止时间"][3].startswith("日期")


def test_csv_template_is_utf8_with_bom_for_excel(tmp_path):
    path = write_template(parse_kind("projects"), "csv", tmp_path / "p.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig") as handle:
        headers = next(csv.reader(handle))
    assert headers[:4] == ["项目统一代码", "项目名称", "项目类型", "行政区划代码"]


def test_a_template_loads_back_as_its_kind(tmp_path):
    from loaders.columns import infer_kind

    for kind in ("projects", "responsibilities", "sites"):
        path = write_template(parse_kind(kind), "csv", tmp_path / f"{kind}.csv")
        with path.open(encoding="utf-8-sig") as handle:
            assert infer_kind(next(csv.reader(handle))).name == kind

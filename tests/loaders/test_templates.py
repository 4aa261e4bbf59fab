"""Templates carry the catalog's column names; XLSX ones explain each column."""

import csv

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from loaders.columns import parse_kind
from loaders.templates import write_template


def test_xlsx_template_has_the_data_sheet_and_the_explanation(tmp_path):
    path = write_template(parse_kind("tender_notice"), "xlsx", tmp_path / "t.xlsx")
    book = load_workbook(path)
    assert book.sheetnames[0] == "数据" and {"说明", "示例"} <= set(book.sheetnames)
    headers = [c.value for c in book["数据"][1]]
    assert headers[:3] == ["项目统一代码", "信息形成日期", "标题"] and "招标方式" in headers
    guide = {row[0]: row for row in book["说明"].iter_rows(min_row=2, values_only=True)}
    assert guide["招标人"][2:6] == ("文本 text", "是 yes", None, "tenderer")
    assert guide["招标代理机构"][3] == "否 no"  # optional for this item
    assert guide["投标截止时间"][2].startswith("日期")
    assert guide["信息形成日期"][1].startswith("信息形成")  # meanings in Chinese
    example = list(book["示例"].iter_rows(values_only=True))
    assert list(example[0]) == headers and example[1][0] == "2303-360111-48-01-123456"


def test_a_category_template_says_for_which_items_a_column_is_required(tmp_path):
    path = write_template(parse_kind("approval_result"), "xlsx", tmp_path / "a.xlsx")
    book = load_workbook(path)
    guide = {row[0]: row for row in book["说明"].iter_rows(min_row=2, values_only=True)}
    assert "政府投资项目初步设计审批" in guide["批复文号"][3]
    assert guide["批复文号"][3].startswith("以下事项必填")
    data = book["数据"]
    headers = [c.value for c in data[1]]
    (validation,) = [
        v for v in data.data_validations.dataValidation
        if f"{get_column_letter(headers.index('公开事项') + 1)}2" in str(v.sqref)
    ]  # fmt: skip
    listed = book["选项"]
    column = validation.formula1.split("!")[1].split(":")[0].strip("$")[0]
    names = [c.value for c in listed[column][1:] if c.value]
    assert "政府投资项目初步设计审批" in names and book["选项"].sheet_state == "hidden"
    date_column = get_column_letter(headers.index("信息形成日期") + 1)
    assert data[f"{date_column}2"].number_format == "yyyy-mm-dd"


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


def test_every_column_of_every_template_explains_itself(tmp_path):
    """The 说明 sheet gives each column's meaning, not its name again (the approval-result
    template once repeated the name for 17 of its 27 columns)."""
    from registry.catalog import get_catalog

    kinds = ["projects", "sites", "responsibilities",
             *(c.category.value for c in get_catalog().categories)]  # fmt: skip
    for kind in kinds:
        book = load_workbook(write_template(parse_kind(kind), "xlsx", tmp_path / f"{kind}.xlsx"))
        rows = list(book["说明"].iter_rows(min_row=2, values_only=True))
        repeated = [row[0] for row in rows if row[1] == row[0]]
        assert repeated == [], (kind, repeated)


def test_department_code_columns_get_the_departments_as_a_drop_down(tmp_path):
    departments = [("NCFGW", "南昌市发展和改革委员会"), ("NCJSJ", "南昌市建设局")]
    path = write_template(parse_kind("responsibilities"), "xlsx", tmp_path / "r.xlsx", departments)
    book = load_workbook(path)
    assert [
        tuple(r) for r in book["部门代码"].iter_rows(min_row=2, values_only=True)
    ] == departments
    data = book["数据"]
    headers = [c.value for c in data[1]]
    target = f"{get_column_letter(headers.index('部门代码') + 1)}2"
    (validation,) = [v for v in data.data_validations.dataValidation if target in str(v.sqref)]
    column = validation.formula1.split("!")[1].split(":")[0].strip("$")[0]
    assert [c.value for c in book["选项"][column][1:] if c.value] == ["NCFGW", "NCJSJ"]

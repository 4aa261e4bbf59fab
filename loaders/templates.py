"""Templates generated from the catalog: the right headers, and in XLSX what a clerk needs
to fill them in without the docs — a 说明 sheet in Chinese (meaning, type, whether and for
which items a column is required, an example), drop-down lists for items and options,
date-formatted date columns, and a 示例 sheet with one filled-in row."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from loaders.columns import MEANINGS_ZH, Column, Kind
from registry.catalog import Item, get_catalog
from registry.language import Phrase, say
from registry.models import PROJECT_STATUSES, PROJECT_TYPES

TYPES = {
    "text": "文本 text",
    "date": "日期 date (YYYY-MM-DD)",
    "amount": "数字 number",
    "phone": "电话 telephone",
    "code": "代码 code",
    "choice": "选项 choice",
    "number": "数字 number",
    "wkt": "WKT",
}
ROWS = 1000  # rows of the data sheet given drop-downs and date formats
HEADER_FILL = PatternFill("solid", fgColor="FFF2CC")
REQUIRED_FILL = PatternFill("solid", fgColor="F8CBAD")


def _items(kind: Kind) -> tuple[Item, ...]:
    catalog = get_catalog()
    if kind.item:
        return (kind.item,)
    if kind.category:
        return catalog.category(kind.category).items
    return catalog.items() if kind.name == "disclosures" else ()


def required_text(kind: Kind, column: Column) -> str:
    """是 / 否, or the items for which an element is required."""
    if column.required:
        return "是 yes"
    items = _items(kind)
    needing = [
        item.name_zh
        for item in items
        for ie in item.elements
        if ie.element.key == column.key and ie.required
    ]
    if not needing:
        return "否 no"
    return say("required for: {items}", items=Phrase("、".join(needing), ", ".join(needing)))


def _options(kind: Kind) -> dict[str, list[str]]:
    """The drop-down list of each column that has one."""
    catalog = get_catalog()
    options = {
        "project_type": list(PROJECT_TYPES.values()),
        "status": list(PROJECT_STATUSES.values()),
        "category": [c.name_zh for c in catalog.categories],
    }
    items = _items(kind)
    if items and not kind.item:
        options["item"] = [item.name_zh for item in items]
    return options


DEPARTMENT_COLUMNS = ("publisher", "department", "owner_department")


def meaning_zh(column: Column) -> str:
    """What a column means, in Chinese: the loader's own words for its fixed columns, the
    catalog's one-line meaning for a content element, else its name."""
    element = get_catalog().elements.get(column.key)
    return MEANINGS_ZH.get(column.key) or (element.meaning_zh if element else None) or column.label


def write_template(kind: Kind, fmt: str, path: Path,
                   departments: list[tuple[str, str]] | None = None) -> Path:  # fmt: skip
    """The template of ``kind`` as CSV (the headers) or XLSX (with its 说明, 示例 and
    drop-downs; ``departments`` (code, name) give the department-code columns theirs)."""
    columns = kind.columns()
    headers = [c.label for c in columns]
    if fmt == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle).writerow(headers)
        return path
    book = Workbook()
    data = book.active
    data.title = "数据"
    data.append(headers)
    _data_sheet(book, kind, columns, departments or [])
    guide = book.create_sheet("说明")
    guide.append(
        ["列名 column", "含义", "类型 type", "必填 required", "示例 example", "key", "meaning"]
    )
    for c in columns:
        guide.append(
            [
                c.label,
                meaning_zh(c),
                TYPES.get(c.type, c.type),
                required_text(kind, c),
                c.example,
                c.key,
                c.meaning,
            ]
        )
    example = book.create_sheet("示例")
    example.append(headers)
    example.append([c.example or None for c in columns])
    for sheet in (data, guide, example):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for index in range(1, sheet.max_column + 1):
            sheet.column_dimensions[get_column_letter(index)].width = 22
    guide.column_dimensions["B"].width = 48
    guide.column_dimensions["D"].width = 36
    book.save(path)
    return path


def _data_sheet(book: Workbook, kind: Kind, columns: list[Column],
                departments: list[tuple[str, str]]) -> None:  # fmt: skip
    data = book["数据"]
    data.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        data.cell(1, index).fill = REQUIRED_FILL if column.required else HEADER_FILL
        if column.type == "date":
            for row in range(2, ROWS + 2):
                data.cell(row, index).number_format = "yyyy-mm-dd"
    options = _options(kind)
    if departments:
        for key in DEPARTMENT_COLUMNS:
            options[key] = [code for code, _ in departments]
        codes = book.create_sheet("部门代码")
        codes.append(["部门代码 code", "部门名称 name"])
        for code, name in departments:
            codes.append([code, name])
        codes.column_dimensions["B"].width = 40
    wanted = [(i, c) for i, c in enumerate(columns, start=1) if c.key in options]
    if not wanted:
        return
    lists = book.create_sheet("选项")
    lists.sheet_state = "hidden"
    for n, (index, column) in enumerate(wanted, start=1):
        values = options[column.key]
        lists.cell(1, n, column.label)
        for row, value in enumerate(values, start=2):
            lists.cell(row, n, value)
        letter = get_column_letter(n)
        validation = DataValidation(
            type="list",
            formula1=f"'选项'!${letter}$2:${letter}${len(values) + 1}",
            allow_blank=not column.required,
            showErrorMessage=True,
            errorTitle="不在列表中",
            error=say("choose {column} from the list", column=column.label),
        )
        target = get_column_letter(index)
        validation.add(f"{target}2:{target}{ROWS + 1}")
        data.add_data_validation(validation)

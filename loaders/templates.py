"""Empty templates with the right headers; in XLSX a second sheet explains each column."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from loaders.columns import Kind

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


def write_template(kind: Kind, fmt: str, path: Path) -> Path:
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
    for cell in data[1]:
        cell.font = Font(bold=True)
    guide = book.create_sheet("说明")
    guide.append(
        ["列名 column", "key", "含义 meaning", "类型 type", "必填 required", "示例 example"]
    )
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for c in columns:
        guide.append(
            [
                c.label,
                c.key,
                c.meaning,
                TYPES.get(c.type, c.type),
                "是 yes" if c.required else "否 no",
                c.example,
            ]
        )
    for sheet in (data, guide):
        for column in sheet.columns:
            sheet.column_dimensions[column[0].column_letter].width = 22
    book.save(path)
    return path

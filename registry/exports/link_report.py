"""The link report as files (CSV with the BOM Excel needs, XLSX): every document link of a
department with its state, since when, why, the kept copy and what the attachment scan found
(masked). For the department's key and administrators only; the public sees the counts."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook

from registry.cells import neutral, string_cells

SHEET = "链接检查"
COLUMNS = {
    "department": "部门 department",
    "category": "类别 category",
    "project_code": "项目代码 project",
    "item_key": "事项 item",
    "item_title": "信息标题 item title",
    "title": "文件 document",
    "url": "链接 url",
    "state": "状态 state",
    "state_since": "自 since",
    "reason": "原因 reason",
    "moved_to": "新地址 moved to",
    "checked_at": "检查时间 checked at",
    "failures": "连续失败 failures",
    "last_failure": "最近失败 last failure",
    "kept_sha256": "存档 SHA-256",
    "kept_at": "存档时间 kept at",
    "scan": "附件扫描 scan",
    "findings": "个人信息（已遮盖）personal data (masked)",
}


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _cell(value: Any) -> Any:
    return neutral(_plain(value))


def csv_bytes(rows: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS.values())
    writer.writerows([_cell(row.get(key)) for key in COLUMNS] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(rows: list[dict[str, Any]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET)
    sheet.append(list(COLUMNS.values()))
    for row in rows:
        sheet.append(string_cells(sheet, [_plain(row.get(key)) for key in COLUMNS]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

"""The compliance scoreboard as files a supervisor opens in Excel: CSV (UTF-8 with the
byte-order mark Excel needs to read Chinese) and XLSX. The page's download buttons and
`registry report compliance` write the same files."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from registry.cells import neutral, string_cells
from registry.compliance.scores import Score, score_rows

SHEET = "考核"


def table(scores: list[Score]) -> tuple[list[str], list[dict]]:
    rows = score_rows(scores)
    return (list(rows[0]) if rows else ["department"]), rows


def csv_text(scores: list[Score]) -> str:
    columns, rows = table(scores)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns)
    writer.writeheader()
    writer.writerows({k: neutral(v) for k, v in row.items()} for row in rows)
    return buffer.getvalue()


def csv_bytes(scores: list[Score]) -> bytes:
    return csv_text(scores).encode("utf-8-sig")


def xlsx_bytes(scores: list[Score]) -> bytes:
    columns, rows = table(scores)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET)
    sheet.append(columns)
    for row in rows:
        sheet.append(string_cells(sheet, [row[c] for c in columns]))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

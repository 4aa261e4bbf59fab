"""XLSX workbooks (openpyxl, read-only and streaming)."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from loaders.base import Row, Table, UnreadableFile, blank


def _cell(value):
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time(0) else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def read_xlsx(path: Path, sheet: str | None = None) -> Table:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, EOFError) as exc:
        raise UnreadableFile.one(
            path.name,
            "unreadable_xlsx",
            f"is not a readable XLSX workbook (truncated or damaged: {exc})",
        ) from exc
    if sheet is not None and sheet not in book.sheetnames:
        raise UnreadableFile.one(
            path.name,
            "unknown_sheet",
            f"has no sheet {sheet!r} (sheets: {', '.join(book.sheetnames)})",
        )
    worksheet = book[sheet] if sheet else book.worksheets[0]
    rows_iter = worksheet.iter_rows(values_only=True)
    headers, header_row = None, 0
    for number, values in enumerate(rows_iter, start=1):
        if any(not blank(v) for v in values):
            headers = [str(v).strip() if v is not None else "" for v in values]
            header_row = number
            break
    if headers is None:
        book.close()
        raise UnreadableFile.one(
            path.name, "empty_file", f"sheet {worksheet.title!r} has no header row"
        )

    def rows():
        try:
            for number, values in enumerate(rows_iter, start=header_row + 1):
                if all(blank(v) for v in values):
                    continue
                yield Row(
                    f"row {number}",
                    {h: _cell(v) for h, v in zip(headers, values, strict=False) if h},
                )
        finally:
            book.close()

    return Table(path.name, headers, rows(), notes=[f"sheet: {worksheet.title}"], close=book.close)

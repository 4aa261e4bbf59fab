"""XLSX workbooks (openpyxl, read-only and streaming)."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from loaders import limits
from loaders.base import HeaderFinder, Row, Table, UnreadableFile, blank, remarks
from registry.language import say

# A damaged workbook raises anything at all, on opening or while it is read row by row
# (zip, zlib, XML, openpyxl's own errors): any of it means "this file cannot be read".
DAMAGED = (Exception,)


def _damaged(path: Path, exc: BaseException) -> UnreadableFile:
    return UnreadableFile.one(  # type: ignore[return-value]
        path.name,
        "unreadable_xlsx",
        say(
            "is not a readable XLSX workbook (damaged or truncated: {why}); open it in Excel, "
            "save it again and reload",
            why=type(exc).__name__,
        ),
    )


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time(0) else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def read_xlsx(path: Path, sheet: str | None = None) -> Table:
    notes: list[str] = []
    try:
        # the workbook is a ZIP: its directory is checked before openpyxl inflates anything
        with zipfile.ZipFile(path) as archive:
            limits.check_zip(archive, path.name, xlsx=True)
        with remarks(notes):
            book = load_workbook(path, read_only=True, data_only=True)
    except UnreadableFile:
        raise
    except (*DAMAGED, InvalidFileException) as exc:
        raise _damaged(path, exc) from exc
    if sheet is not None and sheet not in book.sheetnames:
        raise UnreadableFile.one(
            path.name,
            "unknown_sheet",
            say(
                "has no sheet {sheet!r} (sheets: {sheets})",
                sheet=sheet,
                sheets=", ".join(book.sheetnames),
            ),
        )
    finder = HeaderFinder()
    try:
        if not sheet and not book.worksheets:
            raise UnreadableFile.one(path.name, "no_sheet", say("has no sheet"))
        worksheet = book[sheet] if sheet else book.worksheets[0]
        rows_iter = worksheet.iter_rows(values_only=True)
        with remarks(notes):
            for number, values in enumerate(rows_iter, start=1):
                if finder.feed(number, list(values)):
                    break
            else:
                finder.give_up()
    except UnreadableFile:
        book.close()
        raise
    except DAMAGED as exc:
        book.close()
        raise _damaged(path, exc) from exc
    headers, header_row = finder.header, finder.header_row
    if headers is None:
        book.close()
        raise UnreadableFile.one(
            path.name,
            "empty_file",
            say("sheet {sheet!r} has no header row", sheet=worksheet.title),
        )

    def rows() -> Any:
        try:
            number = header_row
            while True:
                said: list[str] = []
                with remarks(said):
                    values = next(rows_iter, None)
                if values is None:
                    return
                number += 1
                if all(blank(v) for v in values):
                    continue
                yield Row(
                    f"row {number}",
                    {h: _cell(v) for h, v in zip(headers, values, strict=False) if h},
                    notes=tuple(said),
                )
        except DAMAGED as exc:
            raise _damaged(path, exc) from exc
        finally:
            book.close()

    notes = [say("sheet: {sheet}", sheet=worksheet.title), *finder.notes(), *notes]
    return Table(path.name, headers, rows(), notes=notes, close=book.close)

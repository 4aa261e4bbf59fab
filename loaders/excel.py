"""XLSX workbooks (openpyxl, read-only and streaming)."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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


@dataclass
class Grid:
    """A sheet's rows as they are (numbered from 1, cells as values), for readers that find
    their own header (the lists reader) and for ``read_xlsx``."""

    sheet: str
    rows: Iterator[tuple[int, list[Any]]]
    notes: list[str]
    close: Callable[[], None]


def open_grid(path: Path, sheet: str | None = None) -> Grid:
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
        book.close()
        raise UnreadableFile.one(
            path.name,
            "unknown_sheet",
            say(
                "has no sheet {sheet!r} (sheets: {sheets})",
                sheet=sheet,
                sheets=", ".join(book.sheetnames),
            ),
        )
    if not sheet and not book.worksheets:
        book.close()
        raise UnreadableFile.one(path.name, "no_sheet", say("has no sheet"))
    worksheet = book[sheet] if sheet else book.worksheets[0]

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            cells = worksheet.iter_rows(values_only=True)
            number = 0
            while True:
                said: list[str] = []
                with remarks(said):
                    values = next(cells, None)
                notes.extend(said)
                if values is None:
                    return
                number += 1
                yield number, [_cell(v) for v in values]
        except DAMAGED as exc:
            raise _damaged(path, exc) from exc
        finally:
            book.close()

    return Grid(worksheet.title, rows(), notes, book.close)


def read_xlsx(path: Path, sheet: str | None = None) -> Table:
    grid = open_grid(path, sheet)
    finder = HeaderFinder()
    try:
        for number, values in grid.rows:
            if finder.feed(number, values):
                break
        else:
            finder.give_up()
    except BaseException:
        grid.close()
        raise
    headers = finder.header
    if headers is None:
        grid.close()
        raise UnreadableFile.one(
            path.name, "empty_file", say("sheet {sheet!r} has no header row", sheet=grid.sheet)
        )
    opening = list(grid.notes)

    def rows() -> Any:
        for number, values in grid.rows:
            said, grid.notes[:] = list(grid.notes), []
            if all(blank(v) for v in values):
                continue
            yield Row(
                f"row {number}",
                {h: v for h, v in zip(headers, values, strict=False) if h},
                notes=tuple(said),
            )

    grid.notes.clear()
    notes = [say("sheet: {sheet}", sheet=grid.sheet), *finder.notes(), *opening]
    return Table(path.name, headers, rows(), notes=notes, close=grid.close)

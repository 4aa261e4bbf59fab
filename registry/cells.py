"""Values written into spreadsheets stay values: what a department or registrar wrote never
reaches Excel as a formula.

- XLSX: every string is a string cell (``data_type`` "s"): openpyxl would otherwise write a
  value that begins with "=" as a formula, and Excel would run it.
- CSV: Excel evaluates a cell that begins with =, +, -, @, a tab or a carriage return as a
  formula whatever the file says, so such a value is written with a leading apostrophe
  (OWASP's CSV injection advice), which Excel shows as text; in SQL for the downloads
  PostgreSQL's COPY writes (``neutral_sql``), in Python for the rest (``neutral``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import String, Text, case, cast, func, literal
from sqlalchemy.types import NullType

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutral(value: Any) -> Any:
    """A CSV cell's value: text beginning like a formula gets an apostrophe in front."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutral_sql(column: Any) -> Any:
    """The same, in SQL, for a text column (an aggregate of text too); numbers, dates and
    booleans pass as they are."""
    if not isinstance(column.type, String | NullType):
        return column
    value = column if isinstance(column.type, String) else cast(column, Text)
    starts = func.left(value, 1).in_([literal(c) for c in FORMULA_STARTS])
    return case((starts, literal("'") + value), else_=value).label(column.name)


def string_cells(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """A row for an openpyxl sheet in which every string is a string cell, never a formula."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import Cell

    make = Cell if hasattr(sheet, "cell") else WriteOnlyCell  # a normal or a write-only sheet
    row: list[Any] = []
    for value in values:
        if isinstance(value, str) and value.startswith("="):
            cell = make(sheet, value=value)
            cell.data_type = "s"  # openpyxl made it a formula ("f")
            row.append(cell)
        else:
            row.append(value)
    return row

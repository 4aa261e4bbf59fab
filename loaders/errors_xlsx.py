"""The refused file given back as a workbook the clerk can fix: every row as it was read,
the cells in error filled red with the problem as a comment, a 问题 sheet listing every
problem, and nothing else changed — fix the cells, delete nothing, save, load again."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from loaders.base import reader_for
from loaders.report import FileReport
from registry.cells import string_cells
from registry.identifiers import digits

BAD = PatternFill("solid", fgColor="FFC7CE")
BAD_ROW = PatternFill("solid", fgColor="FFEB9C")


def _row_number(label: str) -> int | None:
    """Excel's row number of a row label: 'row 17' is row 17; 'feature 3' and 'record 3'
    are the third after the header (row 4)."""
    unit, _, number = label.partition(" ")
    if not digits(number):
        return None
    return int(number) if unit == "row" else int(number) + 1


def write_errors(report: FileReport, source: Path, target: Path) -> Path:
    table = reader_for(source)(source)
    book = Workbook()
    data = book.active
    data.title = "数据"
    headers = list(table.headers)
    data.append(headers)
    try:
        for row in table.rows:
            number = _row_number(row.label)
            if number is None:
                continue
            for column, header in enumerate(headers, start=1):
                value = row.values.get(header)
                if value is not None:
                    cell = data.cell(
                        number, column, value if not isinstance(value, dict) else str(value)
                    )
                    if isinstance(value, str) and value.startswith("="):
                        cell.data_type = "s"  # the clerk's text, never a formula
    finally:
        table.close()
    columns = {header: index for index, header in enumerate(headers, start=1)}
    problems = book.create_sheet("问题")
    problems.append(["行 row", "列 column", "问题与改法 problem, and how to fix it"])
    for problem in report.problems:
        problems.append(string_cells(problems, [problem.row, problem.column, problem.message]))
        at = _row_number(problem.row)
        if at is None:
            continue
        index = columns.get(problem.column)
        cells = [data.cell(at, index)] if index else [
            data.cell(at, c) for c in range(1, len(headers) + 1)
        ]  # fmt: skip
        for cell in cells:
            cell.fill = BAD if index else BAD_ROW
        first = cells[0]
        text = problem.message
        if first.comment is not None:
            text = f"{first.comment.text}\n{text}"
        first.comment = Comment(text, "registry")
    for sheet in (data, problems):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    problems.column_dimensions["C"].width = 100
    book.save(target)
    return target

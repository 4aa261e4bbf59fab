"""What a load did, per file: counts, and every refusal by row and column."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

ACTIONS = ("added", "updated", "revised", "unchanged", "refused")


@dataclass
class RowProblem:
    row: str  # "row 17", "feature 3"; "" for the file itself
    column: str  # the file's own header, or "" when the problem is not in one column
    message: str
    code: str

    def __str__(self) -> str:
        where = ", ".join(part for part in (self.row, self.column) if part)
        return f"{where}: {self.message}" if where else self.message


@dataclass
class FileReport:
    path: str
    kind: str = ""
    rows: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTIONS, 0))
    problems: list[RowProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: bool = False
    dry_run: bool = False
    table: Any = field(default=None, repr=False, compare=False)  # the open source, to close

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        if self.ok:
            state = "checked, nothing written (dry run)" if self.dry_run else "written"
        else:
            state = "REFUSED, nothing written"
        counts = ", ".join(f"{self.counts[a]} {a}" for a in ACTIONS)
        notes = f" [{'; '.join(self.notes)}]" if self.notes else ""
        lines = [f"{self.path}: {self.rows} rows as {self.kind or '?'} — {counts} — {state}{notes}"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {
            "file": self.path,
            "kind": self.kind,
            "rows": self.rows,
            "counts": self.counts,
            "written": self.written,
            "dry_run": self.dry_run,
            "notes": self.notes,
            "problems": [p.__dict__ for p in self.problems],
        }

    def json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False)

"""What a load did, per file: counts, and every refusal by row and column."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

ACTIONS = ("added", "updated", "revised", "unchanged", "refused")
ACTIONS_ZH = {"added": "新增", "updated": "更新", "revised": "修订", "unchanged": "未变",
              "refused": "拒绝"}  # fmt: skip


@dataclass
class RowProblem:
    row: str  # "row 17", "feature 3"; "" for the file itself
    column: str  # the file's own header, or "" when the problem is not in one column
    message: str
    code: str

    def __str__(self) -> str:
        row = _row_zh(self.row)
        where = ", ".join(part for part in (row, self.column) if part)
        return f"{where}: {self.message}" if where else self.message


@dataclass(frozen=True)
class Grouped:
    rows: str  # "第 3 行 · row 3", "第 2–41 行（共 40 行） · rows 2–41 (40 in all)", "" (file)
    column: str
    message: str


@dataclass
class FileReport:
    path: str
    kind: str = ""
    rows: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTIONS, 0))
    problems: list[RowProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # written, but worth a look
    changes: list[dict] = field(default_factory=list)  # what was added, updated, revised
    written: bool = False
    dry_run: bool = False
    table: Any = field(default=None, repr=False, compare=False)  # the open source, to close

    def refuse_file(self, problems) -> None:
        """Problems of the file as a whole (no row): a reader's, a header's, a setting's."""
        self.problems += [RowProblem("", p.path, p.message, p.code) for p in problems]

    def changed(self, action: str, project: str, what: str, ref: str = "") -> None:
        if action in ("added", "updated", "revised"):
            self.changes.append({"action": action, "project": project, "what": what, "ref": ref})

    def listed(self, shown: int = 10) -> list[str]:
        """What the load wrote (or would write, in a dry run): the first ``shown``."""
        if not self.ok or not self.changes:
            return []
        head = "将写入 · would write" if self.dry_run else "已写入 · written"
        lines = [f"{head}:"]
        for change in self.changes[:shown]:
            ref = f"（编号 {change['ref']}）" if change["ref"] else ""
            action = change["action"]
            lines.append(
                f"  {ACTIONS_ZH[action]} {action}: {change['project']} {change['what']}{ref}"
            )
        if len(self.changes) > shown:
            more = len(self.changes) - shown
            lines.append(f"  … 另 {more} 条 · {more} more (`--report json` lists every one)")
        return lines

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        """The summary line, Chinese first, then one line per problem (grouped)."""
        kind = self.kind or "?"
        if self.ok:
            zh = "、".join(f"{ACTIONS_ZH[a]} {self.counts[a]}" for a in ACTIONS if a != "refused")
            en = ", ".join(f"{self.counts[a]} {a}" for a in ACTIONS)
            state = (
                "已检查，未写入（试运行） · checked, nothing written (dry run)"
                if self.dry_run
                else "已写入 · written"
            )
            summary = f"{zh} · {en}"
        else:
            # a refused file writes nothing: its counts are of rows, not of what "would" be
            refused = self.counts["refused"]
            fine = max(self.rows - refused, 0)
            summary = f"{refused} 行有误，{fine} 行无误 · {refused} refused, {fine} rows fine"
            state = "整个文件被拒绝，未写入任何内容 · REFUSED, nothing written"
        notes = f" [{'; '.join(self.notes)}]" if self.notes else ""
        lines = [
            f"{self.path}：共 {self.rows} 行（{kind}） · {self.rows} rows as {kind} — "
            f"{summary} — {state}{notes}"
        ]
        lines += [f"  {warning}" for warning in self.warnings]
        lines += [f"  {line}" for line in self.listed()]
        lines += [f"  {line}" for line in self.grouped()]
        return "\n".join(lines)

    def grouped(self, shown: int = 3) -> list[str]:
        """One line per problem: the same problem on more than ``shown`` rows is one line
        with its count and first rows (the JSON report keeps every row)."""
        return [
            f"{line.rows}{', ' + line.column if line.column and line.rows else line.column}: "
            f"{line.message}"
            if line.rows or line.column
            else line.message
            for line in self.grouped_rows(shown)
        ]

    def grouped_rows(self, shown: int = 3) -> list[Grouped]:
        """The problems, the same one on more than ``shown`` rows as one entry."""
        groups: dict[tuple[str, str, str], list[str]] = {}
        for p in self.problems:
            groups.setdefault((p.column, p.code, p.message), []).append(p.row)
        lines = []
        for (column, _code, message), rows in groups.items():
            if len(rows) <= shown:
                lines += [Grouped(_row_zh(row), column, message) for row in rows]
            else:
                lines.append(Grouped(_span(rows, shown), column, message))
        return lines

    def as_dict(self) -> dict:
        return {
            "file": self.path,
            "kind": self.kind,
            "rows": self.rows,
            "counts": self.counts,
            "written": self.written,
            "dry_run": self.dry_run,
            "notes": self.notes,
            "warnings": self.warnings,
            "changes": self.changes if self.ok else [],
            "problems": [p.__dict__ for p in self.problems],
        }

    def json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False)


def _span(rows: list[str], shown: int) -> str:
    """'第 2–29001 行（共 29000 行） · rows 2–29001 (29000 in all)' for consecutive rows,
    '第 2、5、9 … 行（共 40 行） · rows 2, 5, 9 … (40 in all)' otherwise."""
    unit, _, _ = rows[0].partition(" ")
    numbers = [int(r.rpartition(" ")[2]) for r in rows if r.rpartition(" ")[2].isdigit()]
    zh = UNITS_ZH.get(unit, unit)
    if len(numbers) == len(rows) and numbers == list(range(numbers[0], numbers[0] + len(rows))):
        return (
            f"第 {numbers[0]}–{numbers[-1]} {zh}（共 {len(rows)} {zh}） · "
            f"{unit}s {numbers[0]}–{numbers[-1]} ({len(rows)} in all)"
        )
    first = [r.rpartition(" ")[2] for r in rows[:shown]]
    return (
        f"第 {'、'.join(first)} … {zh}（共 {len(rows)} {zh}） · "
        f"{unit}s {', '.join(first)} … ({len(rows)} in all)"
    )


UNITS_ZH = {"row": "行", "feature": "个要素", "record": "条记录"}


def _row_zh(label: str) -> str:
    """'row 17' -> '第 17 行 · row 17'."""
    unit, _, number = label.partition(" ")
    return f"第 {number} {UNITS_ZH[unit]} · {label}" if unit in UNITS_ZH and number else label

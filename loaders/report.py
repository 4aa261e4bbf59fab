"""What a load did, per file: counts, and every refusal by row and column."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from loaders.base import Table
from registry.identifiers import digits
from registry.language import N_, Phrase, said, say

ACTIONS = ("added", "updated", "revised", "unchanged", "refused")
# what each action is called in a summary ("3 added"), and alone ("added: ...")
COUNTED = {"added": N_("{n} added"), "updated": N_("{n} updated"), "revised": N_("{n} revised"),
           "unchanged": N_("{n} unchanged"), "refused": N_("{n} refused")}  # fmt: skip
ACTION = {"added": N_("added"), "updated": N_("updated"), "revised": N_("revised")}


def counted(counts: dict[str, int]) -> Phrase:
    """'新增 2、未变 3' / '2 added, 3 unchanged'."""
    said_counts = [said(COUNTED[action], n=n) for action, n in counts.items()]
    return Phrase("、".join(c.zh for c in said_counts), ", ".join(c.en for c in said_counts))


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
    table: Table | None = field(default=None, repr=False, compare=False)  # open, to close

    def refuse_file(self, problems: Any) -> None:
        """Problems of the file as a whole (no row): a reader's, a header's, a setting's."""
        self.problems += [RowProblem("", p.path, p.message, p.code) for p in problems]

    def changed(self, action: str, project: str, what: str, ref: str = "") -> None:
        if action in ("added", "updated", "revised"):
            self.changes.append({"action": action, "project": project, "what": what, "ref": ref})

    def listed(self, shown: int = 10) -> list[str]:
        """What the load wrote (or would write, in a dry run): the first ``shown``."""
        if not self.ok or not self.changes:
            return []
        lines = [(say("would write") if self.dry_run else say("written")) + ":"]
        for change in self.changes[:shown]:
            ref = said(" (ref {ref})", ref=change["ref"]) if change["ref"] else Phrase("", "")
            lines.append(
                "  "
                + say(
                    "{action}: {project} {what}{ref}",
                    action=said(ACTION[change["action"]]),
                    project=change["project"],
                    what=change["what"],
                    ref=ref,
                )
            )
        if len(self.changes) > shown:
            more = len(self.changes) - shown
            lines.append("  " + say("… {n} more (`--report json` lists every one)", n=more))
        return lines

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        """The summary line, Chinese first, then one line per problem (grouped)."""
        if self.ok:
            summary = counted({a: self.counts[a] for a in ACTIONS if a != "refused"})
            state = said("checked, nothing written (dry run)") if self.dry_run else said("written")
        else:
            # a refused file writes nothing: its counts are of rows, not of what "would" be
            refused = self.counts["refused"]
            summary = said(
                "{refused} refused, {fine} rows fine",
                refused=refused,
                fine=max(self.rows - refused, 0),
            )
            state = said("REFUSED, nothing written")
        lines = [
            say(
                "{path}: {rows} rows as {kind} — {summary} — {state}",
                path=self.path,
                rows=self.rows,
                kind=self.kind or "?",
                summary=summary,
                state=state,
            )
            + (f" [{'; '.join(self.notes)}]" if self.notes else "")
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


# a reader's row labels ("row 17", "feature 3", "record 5") as said: one, a run, a list
UNITS = {
    "row": (N_("row {n}"), N_("rows {first}–{last} ({count} in all)"),
            N_("rows {first} … ({count} in all)")),
    "feature": (N_("feature {n}"), N_("features {first}–{last} ({count} in all)"),
                N_("features {first} … ({count} in all)")),
    "record": (N_("record {n}"), N_("records {first}–{last} ({count} in all)"),
               N_("records {first} … ({count} in all)")),
}  # fmt: skip


def _span(rows: list[str], shown: int) -> str:
    """'第 2–29001 行（共 29000 行） · rows 2–29001 (29000 in all)' for consecutive rows,
    '第 2、5、9 … 行（共 40 行） · rows 2, 5, 9 … (40 in all)' otherwise."""
    unit, _, _ = rows[0].partition(" ")
    numbers = [int(r.rpartition(" ")[2]) for r in rows if digits(r.rpartition(" ")[2])]
    _, run, listed = UNITS.get(unit, UNITS["row"])
    if len(numbers) == len(rows) and numbers == list(range(numbers[0], numbers[0] + len(rows))):
        return say(run, first=numbers[0], last=numbers[-1], count=len(rows))
    first = [r.rpartition(" ")[2] for r in rows[:shown]]
    return str(
        Phrase(
            said(listed, first="、".join(first), count=len(rows)).zh,
            said(listed, first=", ".join(first), count=len(rows)).en,
        )
    )


def row_phrase(label: str) -> Phrase:
    """'row 17' as said: 第 17 行 / row 17."""
    unit, _, number = label.partition(" ")
    return said(UNITS[unit][0], n=number) if unit in UNITS and number else Phrase(label, label)


def _row_zh(label: str) -> str:
    """'row 17' -> '第 17 行 · row 17'."""
    return str(row_phrase(label))

"""Official lists of major projects (重大建设项目名单) as their notices attach them: the
Excel (or PDF-turned-Excel, or CSV) table with title rows, a header over two rows with
merged cells, rows numbered within sections such as （一）新开工项目, subtotals, amounts in
亿元 or 万元 — and usually no project codes.

Each row is matched to a registered project (``loaders.matching``): by its code when it has
one, else by name, owner and district. What the matcher does not take goes to a review:
a CSV with every row, its match or its candidates, and a 决定 column to fill (a candidate's
number, a project code, ``新建 CODE`` to register the project from the row, or ``不匹配`` with
a reason); reloaded with ``--review``. Nothing is written until every row is decided; then
every entry goes through the one write path (``registry.publishing.add_to_list``, and
``remove_from_list`` for an adjustment's 调出 rows), all in one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from loaders import limits
from loaders.base import UnreadableFile, blank
from loaders.matching import Candidate, Match, Matcher, Registered
from loaders.report import FileReport, RowProblem
from registry import publishing as pub
from registry.errors import Problem, RegistryError
from registry.identifiers import PROJECT_CODE, digits, project_code_problem
from registry.language import N_, said, say
from registry.models import ProjectList
from registry.publishing import Actor, scope
from registry.publishing.audit import record_load
from registry.publishing.content import UNITS_IN_WAN, parse_wan

HEADER_LOOKAHEAD = 15
# field: what a list's header calls it (the longest word found in a header cell wins)
FIELDS: dict[str, tuple[str, ...]] = {
    "row_no": ("序号", "编号"),
    "name": ("项目名称", "名称", "项目"),
    "code": ("项目代码", "项目统一代码", "统一代码", "项目编码", "代码"),
    "nature": ("建设性质", "性质"),
    "scale_content": (
        "建设规模及内容",
        "建设内容及规模",
        "主要建设内容",
        "建设规模和内容",
        "建设内容",
        "建设规模",
    ),  # fmt: skip
    "period": ("建设起止年限", "起止年限", "建设年限", "建设期限", "起止年份"),
    "total_investment": ("总投资",),
    "annual_investment": ("年度计划投资", "计划投资", "年度投资", "年计划投资", "计划完成投资"),
    "responsible_unit": ("责任单位", "牵头单位", "责任主体", "项目单位", "业主单位", "建设单位"),
    "district": ("所在地", "建设地点", "所在县区", "县区", "属地", "地点"),
    "remark": ("备注", "调整原因", "原因"),
}
SECTION = re.compile(r"^[（(]?[一二三四五六七八九十]+[）)、.．]")
TOTALS = ("合计", "总计", "小计", "共计")
NATURES = {"新开工": "new", "新建": "new", "续建": "continuing", "预备": "preparatory",
           "前期": "preparatory", "储备": "preparatory"}  # fmt: skip
REMOVED_WORDS = ("调出", "移出", "退出", "删除")
ADDED_WORDS = ("增补", "调入", "新增")
CODE_TYPES = {"01": "approval", "02": "authorization", "03": "filing"}
NATURE_STATUS = {"new": "planning", "continuing": "under_construction", "preparatory": "planning"}


def _text(value: Any) -> str:
    if blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def field_of(cell: str) -> tuple[str | None, Decimal]:
    """The field a header cell names, and the unit its amounts are in (in 万元)."""
    plain = re.sub(r"\s+", "", unicodedata.normalize("NFKC", cell))
    best, length = None, 0
    for name, words in FIELDS.items():
        for word in words:
            if word in plain and len(word) > length:
                best, length = name, len(word)
    unit = next((factor for suffix, factor in UNITS_IN_WAN if suffix in plain), Decimal(1))
    return best, unit


@dataclass
class ListRow:
    label: str  # "row 12"
    values: dict[str, str]
    section: str
    nature: str | None
    amounts: dict[str, Decimal | None]
    removal: bool = False  # under a 调出 section of an adjustment


@dataclass
class ListTable:
    source: str
    title: str
    headers: dict[str, str]  # field -> the file's own header
    rows: list[ListRow]
    notes: list[str] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def _grid(path: Path, sheet: str | None) -> tuple[Iterator[tuple[int, list[Any]]], list[str], Any]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from loaders.excel import open_grid

        grid = open_grid(path, sheet)
        return grid.rows, [say("sheet: {sheet}", sheet=grid.sheet), *grid.notes], grid.close
    if suffix in (".csv", ".txt"):
        from loaders.csv_ import open_grid as open_csv

        rows, encoding, close = open_csv(path)
        return rows, [say("encoding: {name}", name=encoding)], close
    raise UnreadableFile.one(path.name, "unknown_format", say(
        "{suffix!r} is not a format the lists reader reads (.xlsx, .csv)", suffix=path.suffix))  # fmt: skip


def _header(rows: Iterator[tuple[int, list[Any]]], source: str) -> tuple[list, list, str, int]:
    """The header row (a row naming the project's name and one more field), the rows above
    it, the title (the longest row above naming a 名单 or 项目; else the longest), and the
    header's row number."""
    above: list[str] = []
    for number, values in rows:
        cells = [_text(v) for v in values]
        found = [field_of(c)[0] for c in cells if c]
        if "name" in found and len({f for f in found if f}) >= 2:
            header, header_row = cells, number
            break
        if any(cells):
            above.append(next(c for c in cells if c))
        if number >= HEADER_LOOKAHEAD:
            raise UnreadableFile.one(source, "no_list_header", say(
                "found no header naming 项目名称 in the first {n} rows", n=HEADER_LOOKAHEAD))  # fmt: skip
    else:
        raise UnreadableFile.one(source, "no_list_header", say(
            "found no header naming 项目名称 in the first {n} rows", n=HEADER_LOOKAHEAD))  # fmt: skip
    titled = [t for t in above if "名单" in t or "项目" in t] or above
    return header, above, max(titled, key=len) if titled else "", header_row


def read_list(path: Path | str, sheet: str | None = None) -> ListTable:
    """The list's rows, with their sections, natures and amounts in 万元."""
    path = Path(path)
    limits.check_file(path)
    rows, notes, close = _grid(path, sheet)
    try:
        return _read(path, rows, notes)
    finally:
        close()


def _columns(header: list[str], under: list[str] | None) -> dict[int, tuple[str, Decimal, str]]:
    """Column index -> (field, unit, the header as written)."""
    columns: dict[int, tuple[str, Decimal, str]] = {}
    parent = ""
    for index, cell in enumerate(header):
        parent = cell or parent  # a merged cell's value is in its first column
        sub = under[index] if under and index < len(under) else ""
        written = f"{parent}/{sub}" if sub else cell
        name, unit = field_of(sub) if sub else field_of(cell)
        if sub and name is None:
            name, unit = field_of(f"{parent}{sub}")
        elif sub:
            unit = field_of(sub)[1] if field_of(sub)[1] != 1 else field_of(parent)[1]
        if name is not None and name not in {c[0] for c in columns.values()}:
            columns[index] = (name, unit, written)
    return columns


def _read(path: Path, rows: Iterator[tuple[int, list[Any]]], notes: list[str]) -> ListTable:
    header, above, title, header_row = _header(rows, path.name)
    under: list[str] | None = None
    first = next(rows, None)
    columns = _columns(header, None)
    index_of = {name: i for i, (name, _, _) in columns.items()}
    pending: list[tuple[int, list[Any]]] = []
    if first is not None:
        cells = [_text(v) for v in first[1]]
        name_cell = cells[index_of["name"]] if index_of["name"] < len(cells) else ""
        row_no = (
            cells[index_of["row_no"]]
            if "row_no" in index_of and index_of["row_no"] < len(cells)
            else ""
        )
        if any(cells) and not name_cell and not row_no:
            under = cells  # the header's second row
            columns = _columns(header, under)
            index_of = {name: i for i, (name, _, _) in columns.items()}
        else:
            pending.append(first)
    table = ListTable(path.name, title, {n: w for n, _, w in columns.values()}, [], notes)
    if above:
        table.notes.append(say("title rows above the header skipped (rows {rows})",
                               rows="、".join(str(n) for n in range(1, header_row) if n)))  # fmt: skip
    section, nature, removal = "", None, False
    count = 0

    def all_rows() -> Iterator[tuple[int, list[Any]]]:
        yield from pending
        yield from rows

    for number, values in all_rows():
        cells = [_text(v) for v in values]
        if not any(cells):
            continue
        got = {name: cells[i] if i < len(cells) else "" for i, (name, _, _) in columns.items()}
        lead = got.get("row_no", "") or got.get("name", "")
        label = f"row {number}"
        if any(lead.startswith(t) or got.get("name", "").startswith(t) for t in TOTALS):
            continue  # 合计 / 小计
        if SECTION.match(lead) or (lead and not got.get("name") and not digits(lead)):
            section = lead
            nature = next((v for k, v in NATURES.items() if k in lead), nature)
            removal = any(w in lead for w in REMOVED_WORDS)
            continue
        count += 1
        if count > limits.limits().rows:
            raise limits.too_many_rows(path.name)
        if not got.get("name"):
            table.problems.append(RowProblem(label, table.headers.get("name", "项目名称"), say(
                "has no project name"), "required"))  # fmt: skip
            continue
        amounts: dict[str, Decimal | None] = {}
        for i, (name, unit, written) in columns.items():
            if name not in ("total_investment", "annual_investment"):
                continue
            value = cells[i] if i < len(cells) else ""
            amount = parse_wan(value, unit) if value else None
            if value and (amount is None or amount < 0):
                table.problems.append(RowProblem(label, written, say(
                    "{value!r} is not an amount (a number, in the unit the header gives)",
                    value=value), "not_an_amount"))  # fmt: skip
            amounts[name] = amount
        row_nature = NATURES.get(got.get("nature", ""), nature)
        table.rows.append(ListRow(label, got, section, row_nature, amounts, removal))
    return table


# --- decisions ------------------------------------------------------------------------------


@dataclass
class Decision:
    """What is done with a row: an entry for ``project`` (an existing code), a project to
    register first (``new``), or nothing (``unmatched``, with the reason); ``how`` says who
    decided (code, name: the matcher; review: the clerk)."""

    row: ListRow
    match: Match
    project: str | None = None
    how: str = ""
    new: bool = False
    unmatched: str | None = None

    @property
    def decided(self) -> bool:
        return self.project is not None or self.unmatched is not None


def places_of(session: Session) -> dict[str, str]:
    """The district and city names the register knows (its district governments' names
    without 人民政府), with their division codes: 青山湖区 -> 360111."""
    found: dict[str, str] = {}
    for name, region in scope.district_governments(session):
        place = name.removesuffix("人民政府")
        if place and place != name and region:
            found[place] = region
    return found


def matcher_for(session: Session) -> Matcher:
    projects = [
        Registered(r.id, r.code, r.name, r.region_code, r.owner or "")
        for r in scope.match_candidates(session)
    ]
    return Matcher(projects, places_of(session))


def decide(table: ListTable, matcher: Matcher) -> list[Decision]:
    """The matcher's decision for every row; a project two rows would take goes to review."""
    decisions: list[Decision] = []
    taken: dict[str, int] = {}
    for row in table.rows:
        v = row.values
        match = matcher.match(v.get("name", ""), v.get("code", ""), v.get("responsible_unit", ""),
                              v.get("district", ""))  # fmt: skip
        decision = Decision(row, match)
        if match.taken is not None:
            code = match.taken.project.code
            if code in taken:
                decisions[taken[code]].project = None
                decisions[taken[code]].match.why = "twice"
                match.why = "twice"
            else:
                decision.project, decision.how = code, match.by
                taken[code] = len(decisions)
        decisions.append(decision)
    return decisions


# --- the review file ------------------------------------------------------------------------

REVIEW_HEADERS = ["行", "序号", "名单中的项目名称", "责任单位", "所在地", "项目代码（名单）",
                  "状态", "候选1", "候选2", "候选3", "候选4", "候选5", "决定", "说明"]  # fmt: skip
WHY = {
    "no_candidate": N_("no registered project has a name like it"),
    "weak": N_("no candidate is strong enough"),
    "close": N_("two candidates are close"),
    "unknown_code": N_("its project code is not registered"),
    "twice": N_("two rows of the list match the same project"),
}
NEW, NONE = "新建", "不匹配"


def _candidate(candidate: Candidate) -> str:
    project = candidate.project
    return f"{project.code} {project.name}（{round(candidate.score)}分）"


def _state(decision: Decision) -> str:
    if decision.how == "code":
        return say("matched by its code")
    if decision.how == "name":
        return say("matched by name ({score} points)", score=round(decision.match.taken.score))  # type: ignore[union-attr]
    if decision.how == "review":
        return say("decided in the review")
    return say("to decide: {why}", why=said(WHY.get(decision.match.why, WHY["weak"])))


def write_review(decisions: list[Decision], target: Path) -> Path:
    """Every row with its match or candidates, and 决定 to fill: CSV in UTF-8 with a BOM
    (Excel opens it as it is; saved back as GBK it reloads too)."""
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(REVIEW_HEADERS)
        for d in decisions:
            v = d.row.values
            shown = [_candidate(c) for c in d.match.candidates[:5]]
            decided = d.project or (f"{NONE}" if d.unmatched is not None else "")
            if d.new and d.project:
                decided = f"{NEW} {d.project}"
            writer.writerow([d.row.label.removeprefix("row "), v.get("row_no", ""), v.get("name", ""),
                             v.get("responsible_unit", ""), v.get("district", ""),
                             v.get("code", ""), _state(d), *shown, *[""] * (5 - len(shown)),
                             decided, d.unmatched or ""])  # fmt: skip
    return target


def read_review(review: Path) -> list[dict[str, str]]:
    """A filled review file's records (UTF-8 or GBK, as Excel saves it)."""
    from loaders.csv_ import detect_encoding

    text = review.read_text(encoding=detect_encoding(review))
    return [dict(record) for record in csv.DictReader(io.StringIO(text))]


def apply_review(decisions: list[Decision], records: list[dict[str, str]],
                 report: FileReport) -> None:  # fmt: skip
    """Take the clerk's 决定 (and 说明) for each row named by 行 (from a filled review file,
    or the upload page's choices); rows not named keep the matcher's decision, and a row
    whose name differs means the decisions are for another list."""
    by_row = {d.row.label.removeprefix("row "): d for d in decisions}
    for line, record in enumerate(records, start=2):
        label = f"row {line}"
        row = (record.get("行") or "").strip()
        decision = by_row.get(row)
        name = (record.get("名单中的项目名称") or "").strip()
        if decision is None or (name and name != decision.row.values.get("name", "")):
            report.problems.append(RowProblem(label, "行", say(
                "the review file does not belong to this list (row {row} is not {name!r})",
                row=row, name=name[:40]), "review_mismatch"))  # fmt: skip
            continue
        chosen = unicodedata.normalize("NFKC", record.get("决定") or "").strip()
        reason = (record.get("说明") or "").strip()
        if chosen:
            _choose(decision, chosen, reason, label, report)


def _choose(decision: Decision, chosen: str, reason: str, label: str, report: FileReport) -> None:
    candidates = decision.match.candidates
    decision.project, decision.new, decision.unmatched = None, False, None
    if digits(chosen) and 1 <= int(chosen) <= len(candidates):
        decision.project, decision.how = candidates[int(chosen) - 1].project.code, "review"
    elif chosen.startswith(NEW):
        code = chosen.removeprefix(NEW).strip()
        problem = project_code_problem(code)
        if problem:
            report.problems.append(RowProblem(label, "决定", problem, "invalid_code"))
            return
        decision.project, decision.new, decision.how = code, True, "review"
    elif chosen.startswith(NONE):
        if not reason:
            report.problems.append(RowProblem(label, "说明", say(
                "say why the row is left unmatched"), "required"))  # fmt: skip
            return
        decision.unmatched, decision.how = reason, "review"
    elif PROJECT_CODE.match(chosen):
        decision.project, decision.how = chosen, "review"
    else:
        report.problems.append(RowProblem(label, "决定", say(
            "{value!r} is not a decision: write a candidate's number (1–5), a project code, "
            "{new} followed by a new project's code, or {none} with the reason in 说明",
            value=chosen[:40], new=NEW, none=NONE), "unknown_decision"))  # fmt: skip


# --- loading --------------------------------------------------------------------------------


@dataclass
class ListLoad:
    """What loading a list did (or would do): the report, every decision, and the
    review file written when rows are left to decide."""

    report: FileReport
    decisions: list[Decision]
    review: Path | None = None

    @property
    def undecided(self) -> list[Decision]:
        return [d for d in self.decisions if not d.decided]

    def counts(self) -> dict[str, int]:
        found = {"code": 0, "name": 0, "review": 0, "new": 0, "unmatched": 0, "undecided": 0}
        for d in self.decisions:
            key = ("new" if d.new else "unmatched" if d.unmatched is not None
                   else d.how if d.decided else "undecided")  # fmt: skip
            found[key] = found.get(key, 0) + 1
        return found

    def summary(self) -> str:
        c = self.counts()
        return say(
            "{rows} rows: {code} matched by code, {name} by name, {review} decided in the "
            "review, {new} new projects, {unmatched} left unmatched, {undecided} to decide",
            rows=len(self.decisions), **c)  # fmt: skip

    def text(self) -> str:
        lines = [self.report.text(), "  " + self.summary()]
        if self.review is not None and self.undecided:
            lines.append("  " + say(
                "review file: {path} — fill 决定 for the rows to decide and load again with "
                "--review {path}", path=self.review))  # fmt: skip
        elif self.review is not None:
            lines.append("  " + say("every row's decision: {path}", path=self.review))
        for d in self.decisions:
            if d.unmatched is not None:
                lines.append("  " + say("{row}: {name} left unmatched: {reason}",
                                        row=d.row.label, name=d.row.values.get("name", ""),
                                        reason=d.unmatched))  # fmt: skip
        return "\n".join(lines)


def load_list(
    session: Session,
    actor: Actor,
    path: Path | str,
    list_id: int,
    review: Path | str | list[dict[str, str]] | None = None,
    review_out: Path | str | None = None,
    on: dt.date | None = None,
    adjustment: bool = False,
    sheet: str | None = None,
    dry_run: bool = False,
    synthetic: bool = False,
) -> ListLoad:
    """Read, match and (when every row is decided and nothing is refused) write a list's
    entries in the session (the caller commits); ``review``: a filled review file, or its
    records (行, 决定, 说明). ``on``: the day the rows join (or, under
    a 调出 section, leave) the list; by default the list's issue day. ``adjustment``: the
    file is a mid-year adjustment (its rows are 增补, or 调出 under such a section)."""
    path = Path(path)
    report = FileReport(path.name, kind="list", dry_run=dry_run)
    found = session.get(ProjectList, list_id)
    if found is None:
        report.refuse_file([Problem("--list", "unknown_list", say(
            "there is no list {id}", id=list_id))])  # fmt: skip
        return ListLoad(report, [])
    try:
        table = read_list(path, sheet)
    except RegistryError as exc:
        report.refuse_file(exc.problems)
        return ListLoad(report, [])
    report.rows, report.notes = len(table.rows), table.notes
    report.problems += table.problems
    if table.title:
        report.notes.append(say("title: {title}", title=table.title))
    decisions = decide(table, matcher_for(session))
    if review is not None:
        records = review if isinstance(review, list) else read_review(Path(review))
        apply_review(decisions, records, report)
    load = ListLoad(report, decisions)
    if load.undecided or not report.ok:
        if review_out is not None:
            load.review = write_review(decisions, Path(review_out))
        if load.undecided:
            report.problems.append(RowProblem("", "", say(
                "{n} rows are not decided yet: nothing is written until every row is",
                n=len(load.undecided)), "undecided"))  # fmt: skip
        report.counts["refused"] = len(load.undecided)
        return load
    day = on or found.issued_on
    with session.begin_nested() as savepoint:
        for d in decisions:
            try:
                _write(session, actor, found, d, day, adjustment, synthetic, report)
            except RegistryError as exc:
                report.counts["refused"] += 1
                report.problems += [RowProblem(d.row.label, table.headers.get(_column(p.path), p.path),
                                               p.message, p.code) for p in exc.problems]  # fmt: skip
        if not report.ok or dry_run:
            savepoint.rollback()
    if review_out is not None:
        load.review = write_review(decisions, Path(review_out))
    report.written = report.ok and not dry_run
    if report.written:
        unmatched = [{"row": d.row.label, "name": d.row.values.get("name", ""),
                      "reason": d.unmatched} for d in decisions if d.unmatched is not None]  # fmt: skip
        record_load(session, actor, path.name, "list", load.counts(),
                        extra={"list": list_id, "unmatched": unmatched})  # fmt: skip
    return load


def _column(path: str) -> str:
    return {"project_code": "name", "total_investment": "total_investment"}.get(path, path)


def _write(session: Session, actor: Actor, found: ProjectList, d: Decision, day: dt.date,
           adjustment: bool, synthetic: bool, report: FileReport) -> None:  # fmt: skip
    if d.project is None:
        return
    v = d.row.values
    if d.new:
        segments = d.project.split("-")
        outcome = pub.upsert_project(session, actor, pub.ProjectInput(
            d.project, name=v["name"], project_type=CODE_TYPES.get(segments[3], "approval"),
            region_code=segments[1], owner=v.get("responsible_unit") or None,
            investment=d.row.amounts.get("total_investment"),
            status=NATURE_STATUS.get(d.row.nature or "", "planning"), is_synthetic=synthetic))  # fmt: skip
        report.changed(outcome.action, d.project, say("project registered from the list"))
    if d.row.removal:
        reason = v.get("remark") or d.row.section
        outcome = pub.remove_from_list(session, actor, found.id, d.project, day, reason)
        action = "unchanged" if outcome.action == "unchanged" else "updated"
        report.counts[action] += 1
        report.changed(action, d.project, say("taken off the list ({reason})", reason=reason))
        return
    entry = pub.EntryInput(
        d.project, row_no=v.get("row_no", ""), section=d.row.section, nature=d.row.nature,
        scale_content=v.get("scale_content", ""), period=v.get("period", ""),
        total_investment=d.row.amounts.get("total_investment"),
        annual_investment=d.row.amounts.get("annual_investment"),
        responsible_unit=v.get("responsible_unit", ""),
        added_on=day if (adjustment or day != found.issued_on) else None, by_adjustment=adjustment,
    )  # fmt: skip
    outcome = pub.add_to_list(session, actor, found.id, entry)
    report.counts[outcome.action] = report.counts.get(outcome.action, 0) + 1
    report.changed(
        outcome.action, d.project, say("on the list, row {row}", row=v.get("row_no", ""))
    )

"""Load one file: read, map headers, build inputs, publish, report. All or nothing."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from loaders import limits
from loaders import rows as build
from loaders.base import Table, reader_for
from loaders.columns import Column, Kind, infer_kind, map_headers, parse_kind
from loaders.report import FileReport, RowProblem, row_phrase
from registry import publishing as pub
from registry.catalog import get_catalog
from registry.clock import china_date
from registry.compliance.timeliness import judge
from registry.errors import NotFound, Problem, RegistryError
from registry.geometry import STORAGE_SRID, normalise_crs
from registry.language import phrase, say
from registry.publishing import Actor, RowsRefused
from registry.publishing.audit import record_load
from registry.publishing.content import parse_date
from registry.publishing.lookups import department_named

BATCH = 5000
ADMIN = "admin"


class FileRefused(Exception):
    """A file was refused as a whole: nothing of it is written. ``report`` says why."""

    def __init__(self, report: FileReport) -> None:
        super().__init__(report.text())
        self.report = report


def actor_for(session: Session, department: str, path: Path) -> Actor:
    """`admin` loads as an administrator; anything else must be a department's code."""
    if department == ADMIN:
        return Actor(path=f"loader:{path.name}", is_admin=True)
    found = department_named(session, department, "--as")
    return Actor(path=f"loader:{path.name}", department=found.code)


class _Load:
    def __init__(
        self,
        session: Session,
        actor: Actor,
        table: Table,
        kind: Kind,
        mapping: dict[str, Column],
        crs: str,
        report: FileReport,
        synthetic: bool,
        progress: Callable[[int], None] | None,
    ) -> None:
        self.session, self.actor, self.table, self.kind = session, actor, table, kind
        self.mapping, self.crs, self.report, self.synthetic = mapping, crs, report, synthetic
        self.progress = progress or (lambda n: None)
        self.warnings: dict[str, int] = {}
        self.late = 0  # items added now that count as published late
        self.headers = {column.key: header for header, column in mapping.items()}

    # --- problems, by row and by the file's own column header -------------------

    def column(self, path: str) -> str:
        key = path.split(".")[-1] if path.startswith("elements.") else path.split(".")[0]
        if key.startswith("sites[") or key in ("geometry", "wkt", "lon", "lat"):
            return self.headers.get("wkt") or self.headers.get("lon") or "geometry"
        key = {"code": "code" if self.kind.name == "projects" else "project_code"}.get(key, key)
        if key in self.headers:
            return self.headers[key]
        if key == "publisher":
            return ""  # the department given with --as
        return next((c.label for c in self.kind.columns() if c.key == key), "")

    def refuse(self, label: str, error: RegistryError) -> None:
        self.report.counts["refused"] += 1
        for problem in error.problems:
            self.report.problems.append(
                RowProblem(label, self.column(problem.path), problem.message, problem.code)
            )

    @staticmethod
    def too_long(row: Any, most: int) -> str | None:
        """The first column whose value is longer than a cell may be."""
        return next(
            (k for k, v in row.values.items() if isinstance(v, str) and len(v) > most), None
        )

    def count(self, action: str) -> None:
        self.report.counts[action] = self.report.counts.get(action, 0) + 1

    # --- kinds ---------------------------------------------------------------------

    def rows(self) -> Any:
        given = limits.limits()
        for row in self.table.rows:
            self.report.rows += 1
            if self.report.rows > given.rows:
                raise limits.too_many_rows(self.table.source)
            if row.problem is not None:
                self.refuse(row.label, row.problem)
                continue
            if long := self.too_long(row, given.cell_chars):
                self.report.counts["refused"] += 1
                self.report.problems.append(RowProblem(
                    row.label, long, limits.too_long(len(row.values[long])), "cell_too_long"))  # fmt: skip
                continue
            if row.notes:
                self.warn(list(row.notes))
            noted: list[str] = []
            values = build.values_by_key(row, self.mapping, noted)
            if noted:
                self.warn(noted)
            try:
                geometry = build.row_geometry(row, values)
            except RegistryError as exc:
                self.refuse(row.label, exc)
                continue
            yield row, values, geometry

    def projects(self) -> None:
        seen: dict[str, str] = {}
        for row, values, geometry in self.rows():
            code = str(values.get("code", ""))
            if code in seen:
                self.refuse(row.label, _duplicate("code", seen[code]))
                continue
            seen[code] = row.label
            try:
                data = build.project_input(values, geometry, self.crs, self.synthetic)
                outcome = pub.upsert_project(self.session, self.actor, data)
                self.count(outcome.action)
                self.warn(outcome.warnings)
                self.report.changed(outcome.action, code, data.name or "")
            except RegistryError as exc:
                self.refuse(row.label, exc)
            self.progress(1)

    def sites(self) -> None:
        grouped: dict[str, list[tuple[str, pub.SiteInput]]] = {}
        for row, values, geometry in self.rows():
            if geometry is None:
                self.refuse(row.label, _missing("wkt", say("a site needs a geometry")))
                continue
            site = pub.SiteInput(
                geometry, values.get("site_name"), values.get("site_kind"), self.crs
            )
            grouped.setdefault(str(values.get("project_code", "")), []).append((row.label, site))
        for code, sites in grouped.items():
            try:
                outcome = pub.set_sites(self.session, self.actor, code, [s for _, s in sites])
                for _ in sites:  # rows are counted as rows, whatever project they share
                    self.count(outcome.action)
                self.warn(outcome.warnings)
                self.report.changed(outcome.action, code, say("{n} sites", n=len(sites)))
            except RegistryError as exc:
                for problem in exc.problems:
                    index = (
                        int(problem.path[6 : problem.path.index("]")])
                        if problem.path.startswith("sites[")
                        else 0
                    )
                    self.refuse(sites[index][0], type(exc)([problem]))
            self.progress(len(sites))

    def responsibilities(self) -> None:
        for row, values, _ in self.rows():
            try:
                category = build.category_of(values)
                items = [
                    build.item_for(Kind("disclosures", category), {"item": text.strip()})
                    for text in str(values.get("items", "")).replace("；", ";").split(";")
                    if text.strip()
                ] or None
                outcome = pub.assign_responsibility(
                    self.session,
                    self.actor,
                    str(values.get("project_code", "")),
                    category.value,
                    str(values.get("department", "")),
                    items,
                )
                self.count(outcome.action)
            except RegistryError as exc:
                self.refuse(row.label, exc)
            self.progress(1)

    def disclosures(self) -> None:
        seen: dict[tuple, str] = {}
        stream = self.rows()
        while chunk := list(islice(stream, BATCH)):
            labels, inputs = [], []
            for row, values, geometry in chunk:
                try:
                    data = build.disclosure_input(
                        self.kind, values, geometry, self.crs, self.synthetic
                    )
                except RegistryError as exc:
                    self.refuse(row.label, exc)
                    continue
                key = (data.project_code, data.item, data.ref)
                if key in seen:
                    self.refuse(row.label, _duplicate("ref", seen[key]))
                    continue
                seen[key] = row.label
                labels.append(row.label)
                inputs.append(data)
            self.publish(labels, inputs)
            self.progress(len(chunk))

    def publish(self, labels: list[str], inputs: list[pub.DisclosureInput]) -> None:
        if not inputs:
            return
        try:
            result = pub.publish_disclosures(
                self.session,
                self.actor,
                inputs,
                reason=say("re-loaded from {file}", file=self.table.source),
                target=f"file:{self.table.source}",
            )
        except RowsRefused as exc:
            for index, error in exc.by_row.items():
                self.refuse(labels[index], error)
            return
        for action, number in result.counts().items():
            self.report.counts[action] += number
        for outcome in result.outcomes:
            self.warn(outcome.warnings)
        catalog = get_catalog()
        for data, outcome in zip(inputs, result.outcomes, strict=True):
            name = catalog.known_item(data.item).name_zh
            self.report.changed(outcome.action, data.project_code, name, data.ref)
        self.late += sum(
            1
            for data, outcome in zip(inputs, result.outcomes, strict=True)
            if outcome.action == "added" and counts_late(data)
        )

    def warn(self, warnings: list[str]) -> None:
        for warning in warnings:
            self.warnings[warning] = self.warnings.get(warning, 0) + 1


def counts_late(data: pub.DisclosureInput) -> bool:
    """Whether an item published now (no 发布时间 given) is late: its information was formed
    so long ago that its deadline has passed (the timeliness rule's Python reference)."""
    if data.published_at is not None or data.draft:
        return False
    formed_on = parse_date(data.formed_on)
    if formed_on is None:
        return False
    now = dt.datetime.now(dt.UTC)
    judged = judge(get_catalog().known_item(data.item), formed_on, now, china_date(now))
    return judged.status == "late"


def late_note(count: int) -> str:
    return say(
        "{count} items count as published late (deadline passed); to backfill with the "
        "original publication date see docs/loading.md §6",
        count=count,
    )


def _duplicate(path: str, first: str) -> RegistryError:
    from registry.errors import InvalidInput

    return InvalidInput.one(
        path, "duplicate_row", say("repeats {row} of this file", row=row_phrase(first))
    )


def _missing(path: str, message: str) -> RegistryError:
    from registry.errors import InvalidInput

    return InvalidInput.one(path, "required", message)


def _file_crs(table: Table, crs: str | None) -> str:
    if crs is not None:
        return normalise_crs(crs)
    if table.crs is not None:
        return table.crs
    if table.has_geometry:
        raise NotFound.one(
            "--crs",
            "crs_unknown",
            say(
                "has no coordinate system (.prj); say which with --crs (e.g. 4527 for "
                "CGCS2000 3-degree zone 39)"
            ),
        )
    return f"EPSG:{STORAGE_SRID}"


def _renamed(table: Table, rename: dict[str, str]) -> Table:
    """The table with some headers renamed (`--map XMDM=项目统一代码`): Shapefile field
    names hold at most 10 bytes, so GIS files often use abbreviations."""
    if not rename:
        return table
    unknown = [h for h in rename if h not in table.headers]
    if unknown:
        raise NotFound.one(
            "--map",
            "unknown_header",
            say(
                "{unknown} not among the file's columns ({headers})",
                unknown=", ".join(unknown),
                headers=", ".join(table.headers),
            ),
        )

    original = table.rows

    def rows() -> Any:
        for row in original:
            row.values = {rename.get(k, k): v for k, v in row.values.items()}
            yield row

    table.headers = [rename.get(h, h) for h in table.headers]
    table.rows = rows()
    return table


def load_file(
    session: Session,
    path: str | Path,
    department: str,
    kind: str | None = None,
    crs: str | None = None,
    sheet: str | None = None,
    dry_run: bool = False,
    synthetic: bool = False,
    progress: Callable[[int], None] | None = None,
    rename: dict[str, str] | None = None,
) -> FileReport:
    """Load one file as ``department`` (a code, or ``admin``). Raises FileRefused, with
    nothing of the file written, when any row is refused."""
    path = Path(path)
    report = FileReport(path.name, dry_run=dry_run)
    # A large file makes ~10 short-lived objects per row; the cyclic collector would walk
    # them again and again for nothing (none form cycles that outlive a batch).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _load(
            session,
            path,
            department,
            kind,
            crs,
            sheet,
            dry_run,
            synthetic,
            progress,
            rename,
            report,
        )
    except FileRefused as refused:
        if not dry_run:
            _audit_refused(session, department, path, refused.report)
        raise
    finally:
        if collecting:
            gc.enable()
        if report.table is not None:
            report.table.close()


def _load(
    session: Session,
    path: Any,
    department: Any,
    kind: Any,
    crs: Any,
    sheet: Any,
    dry_run: Any,
    synthetic: Any,
    progress: Any,
    rename: Any,
    report: FileReport,
) -> FileReport:
    try:
        actor = actor_for(session, department, path)
        reader = reader_for(path)
        limits.check_file(path)  # before anything is opened
        table = report.table = reader(path, sheet=sheet)
        table = _renamed(table, rename or {})
        report.notes += table.notes
        chosen = parse_kind(kind) if kind else infer_kind(table.headers)
        report.kind = chosen.label
        mapping, problems = map_headers(chosen, table.headers)
        mapped = {c.key for c in mapping.values()}
        problems += [
            Problem(c.label, "missing_column", say("is a required column and is missing"))
            for c in chosen.columns()
            if c.required and c.key not in mapped
        ]
        file_crs = _file_crs(table, crs)
        if file_crs != f"EPSG:{STORAGE_SRID}":
            report.notes.append(
                say(
                    "coordinates: {crs}",
                    crs=file_crs if len(file_crs) < 30 else phrase("from .prj"),
                )
            )
    except RegistryError as exc:
        report.refuse_file(exc.problems)
        raise FileRefused(report) from exc
    if problems:
        report.refuse_file(problems)
        raise FileRefused(report)

    savepoint = session.begin_nested()
    load = _Load(session, actor, table, chosen, mapping, file_crs, report, synthetic, progress)
    try:
        getattr(load, chosen.name)()
    except RegistryError as exc:  # the file itself failed while being read (damaged)
        savepoint.rollback()
        report.refuse_file(exc.problems)
        raise FileRefused(report) from exc
    except BaseException:
        savepoint.rollback()
        raise
    report.notes += [f"{count} × {warning}" for warning, count in load.warnings.items()]
    if load.late:
        report.warnings.append(late_note(load.late))
    if report.rows == 0:
        report.problems.append(RowProblem("", "", say(
            "the file has a header but no data rows: fill in rows under the header and load "
            "it again"), "no_rows"))  # fmt: skip
    if report.problems or dry_run:
        savepoint.rollback()
        if report.problems:
            raise FileRefused(report)
        return report
    record_load(session, actor, path.name, report.kind, report.counts)
    savepoint.commit()
    report.written = True
    return report


def _audit_refused(session: Session, department: str, path: Path, report: FileReport) -> None:
    """The audit log keeps a refused file's counts and first problems (nothing else of it)."""
    problems = [
        Problem(", ".join(part for part in (p.row, p.column) if part), p.code, p.message)
        for p in report.problems[:50]
    ]
    refusal = RegistryError(problems or [Problem("", "refused", say("the file was refused"))])
    record_load(session, department, path.name, report.kind, report.counts, refusal)

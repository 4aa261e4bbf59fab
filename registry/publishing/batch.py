"""Publishing many disclosures at once, with the same rules as one.

Every rule runs per row in Python; what needs the database (projects, publishers,
responsibilities, current revisions) is fetched with one query each for the whole batch;
new revisions are written with COPY. If any row is refused, nothing is written and every
refused row is reported. ``publishing.publish_disclosure`` is a batch of one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import orjson
import psycopg
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import Row, select, text
from sqlalchemy.orm import Session

from registry.catalog import Item, get_catalog
from registry.errors import InvalidInput, NotFound, RegistryError, unknown_project
from registry.identifiers import project_code_problem
from registry.language import say
from registry.models import Department
from registry.publishing.authority import (
    Actor,
    check_backdating,
    check_responsible,
    on_behalf_of,
    publisher_code,
)
from registry.publishing.content import Content, disclosure_content
from registry.publishing.inputs import DisclosureInput
from registry.publishing.lookups import storable


class RowsRefused(RegistryError):
    """Some rows of a batch were refused; ``by_row`` maps each row index to its error."""

    code = "ROWS_REFUSED"

    def __init__(self, by_row: dict[int, RegistryError]) -> None:
        self.by_row = by_row
        problems = [
            p.at(f"[{index}]") for index, error in sorted(by_row.items()) for p in error.problems
        ]
        super().__init__(problems)


@dataclass
class Planned:
    """A row that passed every rule: what to write, or that nothing changes."""

    index: int
    action: str  # added | revised | unchanged
    project: Row[Any]  # (id, code, name, approved_on)
    item: Item
    publisher: Department
    content: Content
    ref: str
    previous: dict | None  # the current revision's id, revision, lineage_id
    published_at: dt.datetime | None
    is_synthetic: bool
    disclosure_id: int | None = None


def _driver(session: Session) -> psycopg.Connection:
    """The psycopg connection under the session's, for COPY."""
    raw = session.connection().connection.driver_connection
    assert isinstance(raw, psycopg.Connection)
    return raw


def _projects(session: Session, codes: set[str]) -> dict:
    """code -> (id, code, name, approved_on): light rows, one array-bound query."""
    rows = session.execute(
        text("SELECT id, code, name, approved_on FROM projects WHERE code = ANY(:codes)"),
        {"codes": list(codes)},
    )
    return {row.code: row for row in rows}


def _responsibility_index(session: Session, project_ids: set[int], categories: set[str]) -> dict:
    index: dict[tuple[int, str], list[tuple[int, list | None]]] = defaultdict(list)
    rows = session.execute(
        text(
            "SELECT project_id, category, department_id, item_keys FROM responsibilities "
            "WHERE project_id = ANY(:ids) AND category = ANY(:categories)"
        ),
        {"ids": list(project_ids), "categories": list(categories)},
    )
    for project_id, category, department_id, item_keys in rows:
        index[(project_id, category)].append((department_id, item_keys))
    return index


def _current_revisions(session: Session, keys: list[tuple[int, str, str]]) -> dict:
    if not keys:
        return {}
    project_ids, items, refs = (list(column) for column in zip(*keys, strict=True))
    rows = session.execute(
        text(
            # one lookup of the unique index per key (a LATERAL join): a plain join lets the
            # planner sort the whole table for every batch, a cost that grows with it
            "SELECT d.id, d.project_id, d.item_key, d.ref, d.content_hash, d.revision, "
            "d.lineage_id, d.first_published_at, d.status "
            "FROM unnest(CAST(:p AS int[]), CAST(:i AS text[]), CAST(:r AS text[])) "
            "AS k(project_id, item_key, ref) CROSS JOIN LATERAL ("
            "SELECT * FROM current_disclosures c WHERE c.project_id = k.project_id "
            "AND c.item_key = k.item_key AND c.ref = k.ref FOR UPDATE) d"
        ),
        {"p": project_ids, "i": items, "r": refs},
    )
    return {(r.project_id, r.item_key, r.ref): r._asdict() for r in rows}


def plan(session: Session, actor: Actor, inputs: list[DisclosureInput]) -> list[Planned]:
    """Check every row; return what to do for each, or raise RowsRefused naming every bad row."""
    catalog = get_catalog()
    errors: dict[int, RegistryError] = {}
    projects = _projects(session, {d.project_code for d in inputs if storable(d.project_code)})
    wanted = {d.publisher or actor.department for d in inputs} - {None}
    wanted = {code for code in wanted if code and storable(code)}
    departments = {
        d.code: d for d in session.scalars(select(Department).where(Department.code.in_(wanted)))
    }
    departments_by_id = {d.id: d for d in departments.values()}
    categories = {item.category.value for d in inputs if (item := catalog.item(d.item))}
    responsible = _responsibility_index(session, {p.id for p in projects.values()}, categories)
    holder_ids = {dep for entries in responsible.values() for dep, _ in entries} - set(
        departments_by_id
    )
    if holder_ids:
        departments_by_id.update(
            {
                d.id: d
                for d in session.scalars(select(Department).where(Department.id.in_(holder_ids)))
            }
        )

    checked: list[Planned] = []
    seen: dict[tuple[int, str, str], int] = {}
    for index, data in enumerate(inputs):
        try:
            planned = _check_row(
                actor,
                index,
                data,
                catalog,
                projects,
                departments,
                departments_by_id,
                responsible,
            )
        except RegistryError as exc:
            errors[index] = exc
            continue
        key = (planned.project.id, planned.item.key, planned.ref)
        if key in seen:
            errors[index] = InvalidInput.one(
                "ref",
                "duplicate_row",
                say(
                    "repeats row {row} (same project, item and reference {ref!r}); give each "
                    "a distinct reference",
                    row=seen[key],
                    ref=planned.ref,
                ),
            )
            continue
        seen[key] = index
        checked.append(planned)
    if errors:
        raise RowsRefused(errors)

    current = _current_revisions(session, list(seen))
    for planned in checked:
        previous = current.get((planned.project.id, planned.item.key, planned.ref))
        if previous is None:
            planned.action = "added"
        elif previous["content_hash"] == planned.content.digest():
            planned.action, planned.disclosure_id = "unchanged", previous["id"]
        elif planned.content.draft and previous["status"] == "published":
            errors[planned.index] = InvalidInput.one(
                "draft",
                "draft_of_published",
                say(
                    "this item is already published: publish the change (a correction, with "
                    "its reason) instead of a draft, which would take the item off the register"
                ),
            )
        else:
            planned.action, planned.previous = "revised", previous
    if errors:
        raise RowsRefused(errors)
    return checked


def _check_row(
    actor: Any,
    index: Any,
    data: Any,
    catalog: Any,
    projects: Any,
    departments: Any,
    departments_by_id: Any,
    responsible: Any,
) -> Planned:
    item = catalog.item(data.item)
    if item is None:
        raise InvalidInput.one(
            "item",
            "unknown_item",
            say("{item!r} is not a catalog item (see `registry catalog show`)", item=data.item),
        )
    project = projects.get(data.project_code)
    if project is None and (problem := project_code_problem(data.project_code or "")):
        raise InvalidInput.one("project_code", "invalid_project_code", problem)
    if project is None:
        raise unknown_project(data.project_code)
    code = publisher_code(actor, data.publisher)
    publisher = departments.get(code)
    if publisher is None:
        raise NotFound.one(
            "publisher",
            "unknown_department",
            say("no department has the code {code!r}", code=code),
        )
    entries = responsible.get((project.id, item.category.value), [])
    holders = [departments_by_id[dep] for dep, keys in entries if keys is None or item.key in keys]
    check_responsible(publisher, holders, item, project.code)
    check_backdating(actor, data.published_at)
    return Planned(
        index=index,
        action="",
        project=project,
        item=item,
        publisher=publisher,
        content=disclosure_content(project.name, project.approved_on, item, data),
        ref=data.ref or "",
        previous=None,
        published_at=data.published_at,
        is_synthetic=data.is_synthetic,
    )


def write(session: Session, actor: Actor, planned: list[Planned], reason: str | None) -> None:
    """Write the added and revised rows: supersede the old revisions, COPY the new ones."""
    changes = [p for p in planned if p.action in ("added", "revised")]
    if not changes:
        return
    session.flush()
    superseded = [p.previous["id"] for p in changes if p.previous]
    if superseded:
        session.execute(
            text("UPDATE disclosures SET status = 'superseded' WHERE id = ANY(:ids)"),
            {"ids": superseded},
        )
    raw = _driver(session)
    ids = [
        row[0]
        for row in raw.execute(
            "SELECT nextval(pg_get_serial_sequence('disclosures', 'id')) FROM generate_series(1, %s)",
            (len(changes),),
        ).fetchall()
    ]
    now = dt.datetime.now(dt.UTC)
    columns = (
        "id, lineage_id, revision, replaces_id, project_id, category, item_key, ref, "
        "publisher_id, title, elements, documents, geom, formed_on, published_at, "
        "first_published_at, status, "
        "audience, mode, correction_reason, content_hash, is_synthetic"
    )
    cursor = raw.cursor()
    # A writer thread streams the data while Python formats the next rows, so PostgreSQL
    # parses and indexes in parallel with us.
    with cursor.copy(
        f"COPY disclosures ({columns}) FROM STDIN", writer=QueuedLibpqWriter(cursor)
    ) as copy:
        for new_id, p in zip(ids, changes, strict=True):
            p.disclosure_id = new_id
            c, previous = p.content, p.previous
            published = None if c.draft else (p.published_at or now)
            copy.write_row(
                (
                    new_id,
                    previous["lineage_id"] if previous else new_id,
                    previous["revision"] + 1 if previous else 1,
                    previous["id"] if previous else None,
                    p.project.id,
                    p.item.category.value,
                    p.item.key,
                    p.ref,
                    p.publisher.id,
                    c.title,
                    orjson.dumps(c.elements).decode(),
                    orjson.dumps(c.documents).decode(),
                    f"SRID=4326;{c.geometry.wkt}" if c.geometry is not None else None,
                    c.formed_on,
                    published,
                    (previous or {}).get("first_published_at") or published,
                    "draft" if c.draft else "published",
                    p.item.audience,
                    p.item.mode,
                    (reason or f"updated through {actor.path}") if previous else None,
                    c.digest(),
                    p.is_synthetic,
                )
            )


def _content_changes(session: Session, previous_id: int, content: Content) -> dict[str, Any]:
    """What a revision changed from the one it replaces: each changed element, and the
    title, formation day and documents when they changed (before and after)."""
    old = session.execute(
        text("SELECT title, elements, documents, formed_on FROM disclosures WHERE id = :id"),
        {"id": previous_id},
    ).one()
    changes: dict[str, Any] = {}
    for key in sorted(set(old.elements) | set(content.elements)):
        before, after = old.elements.get(key), content.elements.get(key)
        if before != after:
            changes[f"elements.{key}"] = {"before": before, "after": after}
    for name, before, after in (
        ("title", old.title, content.title),
        ("formed_on", old.formed_on.isoformat(), content.formed_on.isoformat()),
        ("documents", old.documents, content.documents),
    ):
        if before != after:
            changes[name] = {"before": before, "after": after}
    return changes


def audit_rows(session: Session, actor: Actor, planned: list[Planned], target: str) -> None:
    """Audit what was written, in the same transaction: one entry per revision for a
    single publication; one entry for a batch (a loaded file), with the counts and the ids."""
    changes = [p for p in planned if p.action in ("added", "revised")]
    if not changes:
        return
    entries: list[tuple[str, dict[str, Any]]]
    if len(planned) == 1:
        p = changes[0]
        detail: dict[str, Any] = {
            "action": p.action,
            "id": p.disclosure_id,
            "before": {"id": p.previous["id"]} if p.previous else None,
            **on_behalf_of(actor, p.publisher.code),
        }
        if p.previous:
            detail["changes"] = _content_changes(session, p.previous["id"], p.content)
        entries = [(f"project:{p.project.code}/{p.item.key}/{p.ref or '-'}", detail)]
    else:
        counts: dict[str, int] = defaultdict(int)
        for p in planned:
            counts[p.action] += 1
        entries = [
            (
                target,
                {
                    "counts": counts,
                    "added": [p.disclosure_id for p in changes if not p.previous],
                    "revised": [[p.previous["id"], p.disclosure_id] for p in changes if p.previous],
                },
            )
        ]
    raw = _driver(session)
    with raw.cursor().copy(
        "COPY audit_log (actor, path, action, target, outcome, detail) FROM STDIN"
    ) as copy:
        for entry_target, detail in entries:
            copy.write_row(
                (
                    actor.name,
                    actor.path,
                    "publish_disclosure",
                    entry_target,
                    "ok",
                    orjson.dumps(detail).decode(),
                )
            )

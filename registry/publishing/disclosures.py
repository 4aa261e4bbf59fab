"""Disclosures: publish (one or a batch, through the batch engine), correct, withdraw.

Each function takes ``(session, actor, ...)``, checks every rule before writing, raises a
``RegistryError`` listing all problems (nothing written: each call runs in a savepoint), and
returns an ``Outcome``. The caller owns the transaction: a loader rolls back a whole file
when one row is refused.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg
from geoalchemy2.shape import to_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from registry.catalog import Item, get_catalog
from registry.errors import InvalidInput, NotFound, RegistryError, from_database
from registry.geometry import STORAGE_SRID
from registry.language import say
from registry.models import Disclosure
from registry.publishing import batch, responsibility
from registry.publishing.audit import audited, record_refusal
from registry.publishing.authority import Actor, check_responsible, on_behalf_of, publisher_code
from registry.publishing.batch import RowsRefused
from registry.publishing.content import is_blank, raise_if, text_problems
from registry.publishing.inputs import BatchResult, DisclosureInput, Outcome
from registry.publishing.lookups import department_by_code


def _disclosure_target(data: DisclosureInput) -> str:
    return f"project:{data.project_code}/{data.item}/{data.ref or '-'}"


def publish_disclosure(
    session: Session, actor: Actor, data: DisclosureInput, reason: str | None = None
) -> Outcome:
    """Publish an item; publishing the same content again changes nothing, and changed
    content for the same (project, item, ref) becomes a new revision of it."""
    try:
        result = publish_disclosures(
            session, actor, [data], reason=reason, target=_disclosure_target(data)
        )
    except RowsRefused as exc:
        raise exc.by_row[0] from None
    return result.outcomes[0]


def publish_disclosures(
    session: Session,
    actor: Actor,
    inputs: list[DisclosureInput],
    reason: str | None = None,
    target: str = "batch",
) -> BatchResult:
    """Publish many items under the same rules as one: all of them, or (RowsRefused,
    naming every refused row) none. A single publication is audited as such, a batch as one
    entry with its counts and ids; a refused batch is audited once, apart, so the record
    survives the rollback."""
    try:
        with session.begin_nested():
            planned = batch.plan(session, actor, inputs)
            batch.write(session, actor, planned, reason)
            batch.audit_rows(session, actor, planned, target)
        session.expire_all()  # rows changed behind the ORM's back (UPDATE, COPY)
    except RegistryError as exc:
        refusal = exc.by_row[0] if isinstance(exc, RowsRefused) and len(inputs) == 1 else exc
        record_refusal(session, actor, "publish_disclosure", target, refusal)
        raise
    except (DBAPIError, psycopg.Error) as exc:
        # two writers of the same new item at once: one wins, the other is told so
        refused = from_database(exc)
        if refused is None:
            raise
        record_refusal(session, actor, "publish_disclosure", target, refused)
        raise refused from None
    single = len(planned) == 1
    return BatchResult(
        [
            Outcome(
                p.action,
                session.get(Disclosure, p.disclosure_id) if single else p.disclosure_id,
                before={"id": p.previous["id"]} if p.previous else None,
                warnings=list(p.content.warnings),
            )
            for p in planned
        ]
    )


def _catalog_item(key: str) -> Item:
    item = get_catalog().item(key)
    if item is None:
        raise InvalidInput.one(
            "item",
            "unknown_item",
            say("{item!r} is not a catalog item (see `registry catalog show`)", item=key),
        )
    return item


def _current_by_id(session: Session, disclosure_id: int) -> Disclosure:
    row = session.get(Disclosure, disclosure_id, with_for_update=True)
    if row is None:
        raise NotFound.one(
            "id", "unknown_disclosure", say("no disclosure has the id {id}", id=disclosure_id)
        )
    current = text("SELECT EXISTS (SELECT 1 FROM current_disclosures WHERE id = :id)")
    if not session.scalar(current, {"id": disclosure_id}):
        raise InvalidInput.one(
            "id",
            "not_current",
            say(
                "disclosure {id} is {status}; act on the current revision of its lineage {lineage}",
                id=disclosure_id,
                status=row.status,
                lineage=row.lineage_id,
            ),
        )
    return row


def _require_reason(reason: str | None) -> str:
    if reason is None or is_blank(reason):
        raise InvalidInput.one("reason", "required", say("a reason is required"))
    raise_if(text_problems([("reason", reason)]))
    return reason.strip()


def correct_disclosure(
    session: Session,
    actor: Actor,
    disclosure_id: int,
    reason: str,
    title: str | None = None,
    elements: dict[str, Any] | None = None,
    formed_on: dt.date | str | None = None,
    documents: list[dict[str, str]] | None = None,
    geometry: BaseGeometry | dict | str | None = None,
    crs: str | int = STORAGE_SRID,
) -> Outcome:
    """A new revision of a current disclosure with the given changes; the reason is kept.

    It is a publication of the changed content under the same (project, item, ref), so the
    same rules and the same write path apply."""
    target = f"disclosure:{disclosure_id}"
    try:
        reason = _require_reason(reason)
        old = _current_by_id(session, disclosure_id)
    except RegistryError as exc:
        record_refusal(session, actor, "correct_disclosure", target, exc)
        raise
    data = DisclosureInput(
        project_code=old.project.code,
        item=old.item_key,
        ref=old.ref,
        publisher=old.publisher.code if actor.is_privileged else None,
        title=title if title is not None else old.title,
        elements={**old.elements, **(elements or {})},
        formed_on=formed_on or old.formed_on,
        documents=documents if documents is not None else old.documents,
        geometry=geometry
        if geometry is not None
        else (to_shape(old.geom) if old.geom is not None else None),
        crs=crs if geometry is not None else STORAGE_SRID,
        draft=old.status == "draft",
        is_synthetic=old.is_synthetic,
    )
    try:
        result = publish_disclosures(session, actor, [data], reason=reason, target=target)
    except RowsRefused as exc:
        raise exc.by_row[0] from None
    return result.outcomes[0]


@audited("withdraw_disclosure", target=lambda disclosure_id, *a, **k: f"disclosure:{disclosure_id}")
def withdraw_disclosure(session: Session, actor: Actor, disclosure_id: int, reason: str) -> Outcome:
    """Withdraw a current disclosure; it stays in its history with the reason."""
    reason = _require_reason(reason)
    row = _current_by_id(session, disclosure_id)
    item = _catalog_item(row.item_key)
    code = publisher_code(actor, row.publisher.code if actor.is_privileged else None)
    publisher = department_by_code(session, code, "publisher")
    holders = responsibility.responsible_for(session, row.project_id, item.category.value, item.key)
    check_responsible(publisher, holders, item, row.project.code)
    row.status, row.withdrawn_reason = "withdrawn", reason
    row.withdrawn_at = dt.datetime.now(dt.UTC)
    acting = department_by_code(session, actor.department, "actor") if actor.department else None
    row.withdrawn_by_id = (acting or publisher).id
    return Outcome(
        "withdrawn",
        row,
        before={"status": "published"},
        extra={"reason": reason, **on_behalf_of(actor, publisher.code)},
    )

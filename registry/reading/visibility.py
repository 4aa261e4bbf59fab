"""The SQL meanings of "public" and "current", as selectables every reader uses.

They are defined once, in the database (migration 0005): the views ``public_disclosures``,
``public_revisions`` and ``current_disclosures``, and the functions
``public_disclosures_at(t)`` and ``public_revisions_at(t)`` for what was public at a
moment. This module only names them for SQLAlchemy, with the columns of ``disclosures``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Column, FromClause, MetaData, Table, case, exists, func, literal, select

from registry.models import Disclosure

_metadata = MetaData()  # not the models' metadata: these are views, created by a migration
_COLUMNS = list(Disclosure.__table__.columns)


def _view(name: str) -> Table:
    return Table(name, _metadata, *(Column(c.name, c.type, key=c.key) for c in _COLUMNS))


PUBLIC = _view("public_disclosures")
"""What everyone may see now: published, for the public, proactive."""

PUBLIC_REVISIONS = _view("public_revisions")
"""Every revision the public may know of: published, superseded or withdrawn."""

CURRENT = _view("current_disclosures")
"""The revision a writer acts on: a draft or the published one."""


def _at(function: str, moment: dt.datetime | object, name: str) -> FromClause:
    columns = [Column(c.name, c.type, key=c.key) for c in _COLUMNS]
    return getattr(func, function)(moment).table_valued(*columns).alias(name)


def public(as_of: dt.datetime | object | None = None, name: str = "pd") -> FromClause:
    """The public disclosures now, or as they were at ``as_of`` (a value or a bound
    parameter)."""
    if as_of is None:
        return PUBLIC.alias(name)
    return _at("public_disclosures_at", as_of, name)


def public_revisions(as_of: dt.datetime | object | None = None, name: str = "pr") -> FromClause:
    """Every public revision now, or each item's latest public revision at ``as_of``
    (withdrawn ones included)."""
    if as_of is None:
        return PUBLIC_REVISIONS.alias(name)
    return _at("public_revisions_at", as_of, name)


# --- the state of a revision at a moment ----------------------------------------------

_BASE = Disclosure.__table__


def moment_or_now(as_of: dt.datetime | object | None) -> object:
    return func.now() if as_of is None else as_of


def _withdrawal(x: FromClause, column: str, as_of: dt.datetime | object | None) -> Any:
    w = _BASE.alias("w")
    return (
        select(w.c[column])
        .where(w.c.lineage_id == x.c.lineage_id, w.c.withdrawn_at <= moment_or_now(as_of))
        .limit(1)
        .scalar_subquery()
    )


def lineage_withdrawn_at(x: FromClause, as_of: dt.datetime | object | None = None) -> Any:
    """When the item (any revision of ``x``'s lineage) was withdrawn, if by the moment."""
    return _withdrawal(x, "withdrawn_at", as_of)


def withdrawal_columns(x: FromClause, as_of: dt.datetime | object | None = None) -> list:
    """When, why and by whom ``x``'s item was withdrawn (null unless it was by the moment)."""
    return [
        _withdrawal(x, "withdrawn_at", as_of).label("lineage_withdrawn_at"),
        _withdrawal(x, "withdrawn_reason", as_of).label("lineage_withdrawn_reason"),
        _withdrawal(x, "withdrawn_by_id", as_of).label("lineage_withdrawn_by_id"),
    ]


def superseded(x: FromClause, as_of: dt.datetime | object | None = None) -> Any:
    """Whether a later revision of ``x``'s lineage had been published by the moment."""
    n = _BASE.alias("n")
    return exists(
        select(literal(1)).where(
            n.c.lineage_id == x.c.lineage_id,
            n.c.revision > x.c.revision,
            n.c.published_at <= moment_or_now(as_of),
        )
    )


def superseding_columns(x: FromClause, as_of: dt.datetime | object | None = None) -> list:
    """The correction that replaced ``x`` (its next revision, if published by the moment):
    its id, when and why. Null for the item's latest revision at the moment."""
    n = _BASE.alias("n")

    def next_revision(column: str) -> Any:
        return (
            select(n.c[column])
            .where(
                n.c.lineage_id == x.c.lineage_id,
                n.c.revision == x.c.revision + 1,
                n.c.published_at <= moment_or_now(as_of),
            )
            .scalar_subquery()
        )

    return [
        next_revision("id").label("superseded_by_id"),
        next_revision("published_at").label("superseded_at"),
        next_revision("correction_reason").label("superseded_reason"),
    ]


def public_status(x: FromClause, as_of: dt.datetime | object | None = None) -> Any:
    """The state the public sees a revision in at the moment: superseded (a later revision
    was published: a correction replaced it, whatever became of the item after), withdrawn
    (the item's latest revision, when the item was withdrawn) or published."""
    return case(
        (superseded(x, as_of), literal("superseded")),
        (lineage_withdrawn_at(x, as_of).is_not(None), literal("withdrawn")),
        else_=literal("published"),
    )

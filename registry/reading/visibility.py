"""The SQL meanings of "public" and "current", as selectables every reader uses.

They are defined once, in the database (migration 0005): the views ``public_disclosures``,
``public_revisions`` and ``current_disclosures``, and the functions
``public_disclosures_at(t)`` and ``public_revisions_at(t)`` for what was public at a
moment. This module only names them for SQLAlchemy, with the columns of ``disclosures``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, FromClause, MetaData, Table, func

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

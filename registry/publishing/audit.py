"""The audit log: every write, and every refused write attempt.

A refusal is recorded in its own transaction, so it survives the rollback of the write
it refused (and of a whole file, for loaders).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Session

from registry.errors import RegistryError
from registry.models import AuditEntry
from registry.publishing.authority import Actor
from registry.publishing.inputs import Outcome

P = ParamSpec("P")
Write = Callable[Concatenate[Session, Actor, P], Outcome]


def audited(action: str, target: Callable[..., str]) -> Callable[[Write[P]], Write[P]]:
    """Run a write in a savepoint; audit success in the same transaction, refusal apart.

    The wrapped function takes ``(session, actor, ...)`` and returns an object with
    ``changed`` (bool) and ``summary()``; ``target`` names what it writes from the arguments.
    """

    def decorate(fn: Write[P]) -> Write[P]:
        @functools.wraps(fn)
        def wrapper(session: Session, actor: Actor, *args: P.args, **kwargs: P.kwargs) -> Outcome:
            name = target(*args, **kwargs)
            try:
                with session.begin_nested():
                    result = fn(session, actor, *args, **kwargs)
            except RegistryError as exc:
                record_refusal(session, actor, action, name, exc)
                raise
            if result.changed:
                session.add(
                    AuditEntry(
                        actor=actor.name,
                        path=actor.path,
                        action=action,
                        target=name,
                        outcome="ok",
                        detail=result.summary(),
                    )
                )
            return result

        return wrapper

    return decorate


def record_refusal(
    session: Session,
    actor: Actor | str,
    action: str,
    target: str,
    error: RegistryError,
    path: str | None = None,
) -> None:
    """Audit a refused write in a transaction of its own. ``actor`` may be a plain name for
    callers that are not actors at all (no key, a revoked key)."""
    name = actor if isinstance(actor, str) else actor.name
    where = path or (actor.path if isinstance(actor, Actor) else "")
    detail = {"code": error.code, "problems": [p.__dict__ for p in error.problems[:50]]}
    with Session(session.get_bind()) as separate, separate.begin():
        separate.add(
            AuditEntry(
                actor=name,
                path=where,
                action=action,
                target=target,
                outcome="refused",
                detail=detail,
            )
        )


# --- reading the log (administrators) -----------------------------------------------


def _conditions(actor: str | None, outcome: str | None, target: str | None) -> list:
    table = AuditEntry.__table__
    conditions = []
    if actor:
        conditions.append(table.c.actor == actor)
    if outcome:
        conditions.append(table.c.outcome == outcome)
    if target:
        conditions.append(table.c.target.startswith(target, autoescape=True))
    return conditions


async def entries(
    conn: AsyncConnection,
    actor: str | None,
    outcome: str | None,
    target: str | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """The log, newest first, filtered by actor, outcome and target prefix."""
    table = AuditEntry.__table__
    rows = await conn.execute(
        select(table)
        .where(*_conditions(actor, outcome, target))
        .order_by(table.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [dict(r._mapping) for r in rows]


async def count(
    conn: AsyncConnection, actor: str | None, outcome: str | None, target: str | None
) -> int:
    table = AuditEntry.__table__
    total = await conn.scalar(
        select(func.count()).select_from(table).where(*_conditions(actor, outcome, target))
    )
    return int(total or 0)

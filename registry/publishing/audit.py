"""The audit log: every write, and every refused write attempt.

A refusal is recorded in its own transaction, so it survives the rollback of the write
it refused (and of a whole file, for loaders).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec

import psycopg
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import Session

from registry.errors import RegistryError, from_database
from registry.models import AuditEntry
from registry.publishing.authority import Actor
from registry.publishing.inputs import Outcome

P = ParamSpec("P")
Write = Callable[Concatenate[Session, Actor, P], Outcome]


def audited(action: str, target: Callable[..., str]) -> Callable[[Write[P]], Write[P]]:
    """Run a write in a savepoint; audit success in the same transaction, refusal apart.

    The wrapped function takes ``(session, actor, ...)`` and returns an ``Outcome``;
    ``target`` names what it writes from the arguments. A database conflict (another write
    to the same record at the same moment, a lock held too long) is a refusal like any
    other: ``Conflict``, audited, never an internal error.
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
            except (DBAPIError, psycopg.Error) as exc:
                refused = from_database(exc)
                if refused is None:
                    raise
                record_refusal(session, actor, action, name, refused)
                raise refused from None
            if result.changed:
                session.add(
                    AuditEntry(
                        actor=actor.name,
                        path=actor.path,
                        action=action,
                        target=name,
                        outcome="ok",
                        detail=scrubbed(result.summary()),
                    )
                )
            return result

        return wrapper

    return decorate


def scrubbed(value: Any) -> Any:
    """JSON for the log with what PostgreSQL cannot store in text (NUL, unpaired
    surrogates) replaced: a refusal names such input; the log must keep the refusal."""
    if isinstance(value, str):
        return UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {scrubbed(str(k)): scrubbed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrubbed(v) for v in value]
    return value


UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPEATED_WITHIN = "1 hour"


def record_refusal(
    session: Session,
    actor: Actor | str,
    action: str,
    target: str,
    error: RegistryError,
    path: str | None = None,
) -> None:
    """Audit a refused write in a transaction of its own. ``actor`` may be a plain name for
    callers that are not actors at all (no key, a revoked key): their attempts are counted
    in one entry per name, action and hour (``detail.attempts``), so a flood of them cannot
    fill the log."""
    name = scrubbed(actor if isinstance(actor, str) else actor.name)
    where = path or (actor.path if isinstance(actor, Actor) else "")
    detail = scrubbed({"code": error.code, "problems": [p.__dict__ for p in error.problems[:50]]})
    with Session(session.get_bind()) as separate, separate.begin():
        if isinstance(actor, str) and _counted(separate, name, action, target):
            return
        separate.add(
            AuditEntry(
                actor=name,
                path=where,
                action=action,
                target=scrubbed(target),
                outcome="refused",
                detail={**detail, "attempts": 1} if isinstance(actor, str) else detail,
            )
        )


def record_load(
    session: Session,
    actor: Actor | str,
    file: str,
    kind: str,
    rows: dict[str, int],
    refused: RegistryError | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Audit one file a loader read: ``load_file`` with the file's row counts. A loaded file
    is recorded in the load's own transaction; a refused one in a transaction of its own
    (the load's is rolled back), like any refusal."""
    name = scrubbed(actor if isinstance(actor, str) else actor.name)
    path = actor.path if isinstance(actor, Actor) else f"loader:{file}"
    detail = scrubbed({"kind": kind, "rows": rows, **(extra or {})})
    if refused is None:
        session.add(
            AuditEntry(
                actor=name,
                path=path,
                action="load_file",
                target=scrubbed(f"file:{file}"),
                outcome="ok",
                detail=detail,
            )
        )
        return
    detail["code"] = refused.code
    detail["problems"] = scrubbed([p.__dict__ for p in refused.problems[:50]])
    with Session(session.get_bind()) as separate, separate.begin():
        separate.add(
            AuditEntry(
                actor=name,
                path=path,
                action="load_file",
                target=scrubbed(f"file:{file}"),
                outcome="refused",
                detail=detail,
            )
        )


def _counted(session: Session, name: str, action: str, target: str) -> bool:
    """Add one to this hour's entry of the same refused caller, if there is one."""
    found = session.execute(
        text(
            "UPDATE audit_log SET detail = jsonb_set(jsonb_set(detail, '{attempts}', "
            "to_jsonb(coalesce((detail->>'attempts')::int, 1) + 1)), "
            "'{last_target}', to_jsonb(CAST(:target AS text))), at = now() "
            "WHERE id = (SELECT id FROM audit_log WHERE outcome = 'refused' AND actor = :actor "
            f"AND action = :action AND at > now() - interval '{REPEATED_WITHIN}' "
            "ORDER BY at DESC LIMIT 1) RETURNING id"
        ),
        {"actor": name, "action": action, "target": scrubbed(target)},
    ).first()
    return found is not None


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

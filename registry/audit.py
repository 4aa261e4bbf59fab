"""The audit log: every write, and every refused write attempt.

A refusal is recorded in its own transaction, so it survives the rollback of the write
it refused (and of a whole file, for loaders).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.orm import Session

from registry.errors import RegistryError
from registry.models import AuditEntry


@dataclass(frozen=True)
class Actor:
    """Who writes and through which path ('mutation:publishDisclosure', 'loader:a.csv', ...).

    ``department`` is the code of the acting department; None for the system (the CLI run
    by an operator, the demo loader) and for admin keys, which have ``is_admin``.
    """

    path: str
    department: str | None = None
    is_admin: bool = False

    @property
    def name(self) -> str:
        if self.is_admin:
            return f"admin:{self.department}" if self.department else "admin"
        return self.department or "system"

    @property
    def is_privileged(self) -> bool:
        return self.is_admin or self.department is None


P = ParamSpec("P")
R = TypeVar("R")


def audited(action: str, target: Callable[..., str]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Run a write in a savepoint; audit success in the same transaction, refusal apart.

    The wrapped function takes ``(session, actor, ...)`` and returns an object with
    ``changed`` (bool) and ``summary()``; ``target`` names what it writes from the arguments.
    """

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def wrapper(session: Session, actor: Actor, *args: Any, **kwargs: Any) -> R:
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

"""Domain errors. Domain code raises these; the HTTP and GraphQL layers map them in one place.

Every refusal names where the problem is (``path``: a field, a row/column, a GraphQL
argument) and the rule broken (``code``), with a message safe to show to the public.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import psycopg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from registry.language import say
from registry.suggest import hint


@dataclass(frozen=True)
class Problem:
    """One broken rule: where (``path``), which rule (``code``) and a readable message."""

    path: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def at(self, prefix: str) -> Problem:
        """The same problem, placed under a parent path (e.g. a row or an input object)."""
        path = f"{prefix}.{self.path}" if self.path else prefix
        return Problem(path, self.code, self.message)


@dataclass
class RegistryError(Exception):
    """Base of every refusal. ``status`` is the HTTP status a web layer should answer with."""

    problems: list[Problem] = field(default_factory=list)
    status = 400
    code = "BAD_INPUT"

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @classmethod
    def one(cls, path: str, code: str, message: str) -> RegistryError:
        return cls([Problem(path, code, message)])

    @property
    def message(self) -> str:
        return "; ".join(str(p) for p in self.problems) or self.code

    def __str__(self) -> str:
        return self.message


class InvalidInput(RegistryError):
    """The input breaks a validation rule (format, type, required element, geometry...)."""

    code = "INVALID_INPUT"


class NotResponsible(RegistryError):
    """谁公开，谁负责: the department is not the responsible body for that category."""

    status = 403
    code = "NOT_RESPONSIBLE"


class Unauthenticated(RegistryError):
    status = 401
    code = "UNAUTHENTICATED"


class Forbidden(RegistryError):
    status = 403
    code = "FORBIDDEN"


class NotFound(RegistryError):
    status = 404
    code = "NOT_FOUND"


def not_one_of(
    path: str, value: object, allowed: Iterable[object], code: str = "unknown_value"
) -> Problem:
    """The problem of a value that is none of those allowed: which are, and the closest."""
    names = [str(a) for a in allowed]
    return Problem(
        path,
        code,
        say(
            "{value!r} is not one of {allowed}{hint}",
            value=value,
            allowed=", ".join(names),
            hint=hint(value, names),
        ),
    )


def unknown_project(code: str | None, path: str = "project_code") -> NotFound:
    """The refusal of a project code no project has."""
    return NotFound.one(  # type: ignore[return-value]
        path,
        "unknown_project",
        say(
            "no project has the code {code!r}: register the project first, or check the code",
            code=code,
        ),
    )


class Conflict(RegistryError):
    """Another write to the same record happened at the same moment, or holds its lock."""

    status = 409
    code = "CONFLICT"


class StatementTimeout(RegistryError):
    """A read took longer than the database's statement timeout."""

    status = 504
    code = "STATEMENT_TIMEOUT"


class Unavailable(RegistryError):
    """The database cannot be reached, or every connection is busy: try again shortly."""

    status = 503
    code = "SERVICE_UNAVAILABLE"


def from_database(error: BaseException, timeout_ms: int | None = None) -> RegistryError | None:
    """The refusal a database error stands for (a timeout, a conflict, the database down or
    busy), or None when it is a fault of the system itself."""
    from psycopg import errors as pg

    if isinstance(error, PoolTimeout):
        return Unavailable.one(
            "",
            "busy",
            say("every database connection is busy; try again in a few seconds"),
        )
    original = error.orig if isinstance(error, DBAPIError) else error
    if isinstance(original, pg.QueryCanceled):
        from registry.ops.metrics import STATEMENT_TIMEOUTS

        STATEMENT_TIMEOUTS.inc()
        return StatementTimeout.one(
            "",
            "statement_timeout",
            say(
                "the query took longer than the database statement timeout ({limit} ms, "
                "REGISTRY_STATEMENT_TIMEOUT_MS); narrow it down",
                limit=timeout_ms or "?",
            ),
        )
    if isinstance(original, pg.LockNotAvailable | pg.DeadlockDetected | pg.UniqueViolation):
        return Conflict.one(
            "",
            "concurrent_write",
            say("another write to the same record happened at the same time; try again"),
        )
    if isinstance(original, pg.OperationalError | pg.InterfaceError) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    ):
        return Unavailable.one(
            "",
            "database_unavailable",
            say("the database cannot be reached at the moment; try again in a few seconds"),
        )
    return None


class CatalogError(RegistryError):
    """The shipped or deployed catalog is inconsistent; raised at start-up."""

    status = 500
    code = "CATALOG_INVALID"


# What the database layer raises: the exceptions ``from_database`` maps (a pool that is
# full raises SQLAlchemy's TimeoutError; direct driver paths raise psycopg's own).
DATABASE_ERRORS = (DBAPIError, PoolTimeout, psycopg.Error)

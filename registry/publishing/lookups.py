"""Finding the records a write names by their codes (NotFound when there is none)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.errors import NotFound, unknown_project
from registry.language import say
from registry.models import Department, Project
from registry.suggest import folded, hint


def storable(text: str) -> bool:
    """Whether PostgreSQL can take the text at all (no NUL, no unpaired surrogate): a code
    that cannot be stored cannot be found either."""
    return not any(c == "\x00" or "\ud800" <= c <= "\udfff" for c in text)


def department_by_code(session: Session, code: str, path: str) -> Department:
    department = (
        session.scalar(select(Department).where(Department.code == code))
        if storable(code)
        else None
    )
    if department is None:
        raise NotFound.one(
            path, "unknown_department", say("no department has the code {code!r}", code=code)
        )
    return department


def department_named(session: Session, text: str, path: str) -> Department:
    """The department a person means: its code in any case, or its Chinese name (full-width
    or half-width); otherwise NotFound naming the closest code or name."""
    wanted = folded(text)
    departments = session.scalars(select(Department)).all() if storable(text) else []
    for department in departments:
        if wanted in (folded(department.code), folded(department.name)):
            return department
    raise NotFound.one(
        path,
        "unknown_department",
        say(
            "no department has the code or name {text!r}{hint} (`registry departments` lists them)",
            text=text,
            hint=hint(text, [n for d in departments for n in (d.code, d.name)]),
        ),
    )


def project_by_code(session: Session, code: str, path: str = "project_code") -> Project:
    project = (
        session.scalar(select(Project).where(Project.code == code)) if storable(code) else None
    )
    if project is None:
        raise unknown_project(code, path)
    return project

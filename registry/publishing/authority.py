"""Who may do what, here (谁公开，谁负责): the one place that answers "may this actor do
this to this project or item". Every write of the publishing path asks it.

An ``Actor`` is a department acting through a path (a mutation, a loaded file), an
administrator (possibly acting on behalf of a department), or the system itself (the CLI
run by an operator, the demo loader).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from registry.catalog import Item, get_catalog
from registry.errors import Forbidden, InvalidInput, NotResponsible
from registry.identifiers import region_prefix
from registry.language import Phrase, phrase, say
from registry.models import Department


@dataclass(frozen=True)
class Actor:
    """Who writes and through which path ('mutation:publishDisclosure', 'loader:a.csv', ...).

    ``department`` is the code of the acting department; None for the system (the CLI run
    by an operator, the demo loader). Administrators' keys belong to a department and have
    ``is_admin``.
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


def registrar_roles() -> frozenset[str]:
    return frozenset(get_catalog().registrar_roles)


def check_registrar(actor: Actor, department: Department | None, what: Phrase) -> None:
    """Refuse unless the actor is privileged or its department holds a registrar role."""
    if actor.is_privileged:
        return
    if department is not None and registrar_roles() & set(department.roles or []):
        return
    catalog = get_catalog()
    roles = [catalog.roles[r].phrase for r in catalog.registrar_roles]
    names = Phrase("或".join(r.zh for r in roles), " or ".join(r.en for r in roles))
    raise Forbidden.one(
        "",
        "not_registrar",
        say("only an administrator or a {names} {what}", names=names, what=what),
    )


def check_list_office(actor: Actor, department: Department | None, what: Phrase) -> None:
    """Refuse unless the actor is privileged or its department holds a role that issues the
    lists of major projects (the catalog's ``list_roles``: the 重大项目 office)."""
    if actor.is_privileged:
        return
    catalog = get_catalog()
    if department is not None and set(catalog.list_roles) & set(department.roles or []):
        return
    roles = [catalog.roles[r].phrase for r in catalog.list_roles]
    names = Phrase("或".join(r.zh for r in roles), " or ".join(r.en for r in roles))
    raise Forbidden.one(
        "", "not_list_office",
        say("only an administrator or a {names} {what}", names=names, what=what),
    )  # fmt: skip


def check_region(
    actor: Actor, department: Department | None, region_codes: Iterable[str | None], what: Phrase
) -> None:
    """Registrars act only within their region: the department's division code must cover
    every region code the write touches (the project's now, and the one it would get)."""
    if actor.is_privileged or department is None:
        return
    if not department.region_code:
        raise Forbidden.one(
            "",
            "no_region",
            say(
                "department {code} has no region; an administrator must set its division "
                "code before it {what}",
                code=department.code,
                what=what,
            ),
        )
    prefix = region_prefix(department.region_code)
    for code in region_codes:
        if code and not code.startswith(prefix):
            raise Forbidden.one(
                "region_code",
                "outside_region",
                say(
                    "department {code} ({name}) acts for division {division}; project region "
                    "{region} is outside it",
                    code=department.code,
                    name=department.name,
                    division=department.region_code,
                    region=code,
                ),
            )


def check_owner(actor: Actor, owner: Department | None) -> None:
    """A registrar may not make its own department a project's owner: ownership brings the
    tenderer's responsibilities, which the catalog gives to owners, not to registrars."""
    if owner is not None and not actor.is_privileged and owner.code == actor.department:
        raise Forbidden.one(
            "owner_department",
            "self_ownership",
            say(
                "department {code} cannot make itself the owner of a project it registers; "
                "an administrator may",
                code=owner.code,
            ),
        )


def publisher_code(actor: Actor, requested: str | None) -> str:
    """The department a publication is made as: the actor's own, or (privileged actors,
    who then act on its behalf) the one named in the input."""
    if actor.department and requested and requested != actor.department and not actor.is_admin:
        raise Forbidden.one(
            "publisher",
            "publish_as_other",
            say(
                "department {code} cannot publish as {other}",
                code=actor.department,
                other=requested,
            ),
        )
    code = requested or actor.department
    if code is None:
        raise InvalidInput.one("publisher", "required", say("name the publishing department"))
    return code


def check_backdating(actor: Actor, published_at: dt.datetime | None) -> None:
    if published_at is not None and not actor.is_privileged:
        raise Forbidden.one(
            "published_at",
            "admin_only",
            say("only an administrator may record an earlier publication time"),
        )


def check_responsible(
    publisher: Department, holders: Iterable[Department], item: Item, project_code: str
) -> None:
    """谁公开，谁负责: refuse unless ``publisher`` is a responsible body for the item."""
    holders = list(holders)
    if publisher in holders:
        return
    names = ", ".join(f"{d.code} ({d.name})" for d in holders)
    category = get_catalog().category(item.category).phrase
    raise NotResponsible.one(
        "publisher",
        "not_responsible",
        say(
            "{code} ({name}) is not the responsible body for {category}/{item} of project "
            "{project}; responsible: {names}",
            code=publisher.code,
            name=publisher.name,
            category=category,
            item=item.phrase,
            project=project_code,
            names=names or phrase("no department yet"),
        ),
    )


def on_behalf_of(actor: Actor, publisher: str) -> dict[str, str]:
    """What the audit log adds when an administrator writes for another department."""
    if actor.is_admin and actor.department and publisher != actor.department:
        return {"on_behalf_of": publisher}
    return {}


def check_admin(actor: Actor, what: Phrase) -> None:
    if not actor.is_privileged:
        raise Forbidden.one("", "admin_only", say("only an administrator {what}", what=what))

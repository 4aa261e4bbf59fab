"""Per-request context: the engine, the API settings and the batch loaders.

Each loader's batch function opens its own short connection: sibling resolvers run
concurrently and must not share one. A page therefore costs one statement per loader,
whatever its size.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from graphene.utils.dataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request

from registry.db import Database
from registry.documents.states import link_states
from registry.publishing.keys import Credentials
from registry.reading import disclosures, queries, scope
from registry.settings import ApiSettings


def _batch(
    engine: AsyncEngine,
    fetch: Callable[..., Awaitable[dict]],
    default: Callable[[], Any],
    as_of: dt.datetime | None = None,
    moment: bool = False,
) -> Any:
    async def load(keys: list) -> list:
        async with engine.connect() as conn:
            found = await (fetch(conn, list(keys), as_of) if moment else fetch(conn, list(keys)))
        return [_at(found.get(key, default()), as_of) for key in keys]

    return load


def _at(value: Any, as_of: dt.datetime | None) -> Any:
    """Rows remember the moment they were read for: nested fields read at the same one."""
    if isinstance(value, dict):
        return {**value, "_as_of": as_of}
    if isinstance(value, list):
        return [_at(v, as_of) for v in value]
    return value


async def _scope_reasons(
    conn: Any, project_ids: list[int], as_of: dt.datetime | None
) -> dict[int, list[dict]]:
    return await scope.scope_reasons(conn, project_ids, scope.scope_day(as_of))


class AllDepartments:
    """Departments are few (tens, hundreds in a province): the first resolver that asks for
    any loads them all, once per request, and every later one is answered from that — also
    those that ask a tick later than a batch would have gathered (a DataLoader then issues
    a second statement, and the page's statement count would depend on timing)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._all: asyncio.Future[dict[int, dict]] | None = None

    async def _load_all(self) -> dict[int, dict]:
        async with self.engine.connect() as conn:
            return {row["id"]: row for row in await queries.departments(conn)}

    async def load(self, key: int) -> dict | None:
        if self._all is None:
            self._all = asyncio.ensure_future(self._load_all())
        return (await self._all).get(key)


class Loaders:
    """Per-request batch loaders: one statement per kind of object, whatever the page."""

    def __init__(self, engine: AsyncEngine) -> None:
        def loader(fetch: Any, default: Any = lambda: None) -> Any:
            return DataLoader(_batch(engine, fetch, default))

        self.engine = engine
        self.sites = loader(queries.sites_by_project, list)
        self.responsibilities = loader(queries.responsibilities_by_project, list)
        self.departments = AllDepartments(engine)
        self.projects = loader(queries.projects_by_ids)
        self.links = loader(link_states)
        self._moments: dict[dt.datetime | None, MomentLoaders] = {}

    def at(self, as_of: dt.datetime | None) -> MomentLoaders:
        """Loaders of what was public at ``as_of`` (None: now)."""
        if as_of not in self._moments:
            self._moments[as_of] = MomentLoaders(self.engine, as_of)
        return self._moments[as_of]


class MomentLoaders:
    def __init__(self, engine: AsyncEngine, as_of: dt.datetime | None) -> None:
        def loader(fetch: Any, default: Any = lambda: None) -> Any:
            return DataLoader(_batch(engine, fetch, default, as_of, moment=True))

        self.disclosures = loader(disclosures.disclosures_by_project, list)
        self.history = loader(disclosures.history_by_lineage, list)
        self.by_id = loader(disclosures.disclosures_by_ids)
        self.current_ids = loader(disclosures.current_revision_ids)
        self.declarations = loader(scope.declarations_by_project, list)
        self.scope = loader(_scope_reasons, list)


@dataclass
class Context:
    engine: AsyncEngine
    settings: ApiSettings
    request: Request | None = None
    credentials: Credentials = field(default_factory=lambda: Credentials(problem="missing"))
    database: Database | None = None  # its write engine serves mutations
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.engine)

    def absolute(self, path: str) -> str:
        """A path of this register's as an absolute URL (the public URL, else the request's)."""
        base = self.settings.public_url or (str(self.request.base_url) if self.request else "")
        return base.rstrip("/") + path

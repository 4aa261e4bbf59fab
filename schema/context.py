"""Per-request context: the engine, the API settings and the batch loaders.

Each loader's batch function opens its own short connection: sibling resolvers run
concurrently and must not share one. A page therefore costs one statement per loader,
whatever its size.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from graphene.utils.dataloader import DataLoader
from sqlalchemy.ext.asyncio import AsyncEngine

from registry.publishing.keys import Credentials
from registry.reading import queries
from registry.settings import ApiSettings


def _batch(engine: AsyncEngine, fetch: Callable[..., Awaitable[dict]], default: Callable[[], Any]):
    async def load(keys: list) -> list:
        async with engine.connect() as conn:
            found = await fetch(conn, list(keys))
        return [found.get(key, default()) for key in keys]

    return load


class Loaders:
    def __init__(self, engine: AsyncEngine) -> None:
        def loader(fetch, default=lambda: None):
            return DataLoader(_batch(engine, fetch, default))

        self.sites = loader(queries.sites_by_project, list)
        self.responsibilities = loader(queries.responsibilities_by_project, list)
        self.disclosures = loader(queries.disclosures_by_project, list)
        self.history = loader(queries.history_by_lineage, list)
        self.departments = loader(queries.departments_by_ids)
        self.projects = loader(queries.projects_by_ids)


@dataclass
class Context:
    engine: AsyncEngine
    settings: ApiSettings
    request: Any = None
    credentials: Credentials = field(default_factory=lambda: Credentials(problem="missing"))
    database: Any = None  # registry.db.Database: its write engine serves mutations
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.engine)

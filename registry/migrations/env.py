"""Alembic environment: the URL comes from the caller (registry.migrations) or the settings."""

from typing import Any

from alembic import context
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

from registry.models import Base
from registry.settings import get_settings

config = context.config
url = config.get_main_option("sqlalchemy.url") or get_settings().database.database_url


def include_object(obj: Any, name: Any, type_: Any, reflected: Any, compare_to: Any) -> Any:
    # PostGIS's own tables (spatial_ref_sys, topology...) are not ours to manage.
    if type_ == "table" and reflected and compare_to is None:
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection") or create_engine(url, poolclass=NullPool)
    if hasattr(connectable, "connect"):
        with connectable.connect() as connection:
            _run(connection)
    else:
        _run(connectable)


def _run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()

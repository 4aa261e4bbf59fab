"""The database of a process: the ``Database`` object (a read engine, a write engine, the
read replicas and the failover between them), opened by a composition root and closed by
it. ``database.py`` holds the object, ``replicas.py`` the replicas' health and failover."""

from registry.db.database import Database, opened

__all__ = ["Database", "opened"]

"""Health endpoints for orchestrators and load balancers.

- ``/health/live``: the process answers (no database: a database outage must not make an
  orchestrator restart every replica);
- ``/health/ready``: the process can serve: the database answers, its schema is at the
  migration head, and the working-day calendar covers the next ``READY_DAYS`` days (else
  deadlines cannot be computed). 200 when all hold, 503 with ``Retry-After`` and the
  failing checks otherwise. A calendar whose *official* data ends soon is a warning, not a
  failure: the provisional days are still computed;
- ``/health``: kept for existing monitors; the readiness checks in the old shape.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

from registry.clock import today
from registry.compliance.calendar import COVERAGE, Coverage

READY_DAYS = 60

CHECK = text("SELECT postgis_lib_version(), (SELECT version_num FROM alembic_version)")


def migration_head() -> str:
    """The newest migration shipped with this version of the code."""
    from alembic.script import ScriptDirectory

    from registry.migrations import alembic_config

    head = ScriptDirectory.from_config(alembic_config("postgresql://")).get_current_head()
    assert head is not None
    return head


async def live(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def ready(request: Request) -> JSONResponse:
    body, ok = await readiness(request)
    headers = None if ok else {"Retry-After": str(request.app.state.settings.ops.retry_after_s)}
    return JSONResponse(body, status_code=200 if ok else 503, headers=headers)


async def readiness(request: Request) -> tuple[dict[str, Any], bool]:
    head = request.app.state.migration_head
    checks: dict[str, Any] = {}
    try:
        async with request.app.state.db.primary_read.connect() as conn:
            postgis, version = (await conn.execute(CHECK)).one()
            official, until = (await conn.execute(COVERAGE)).one()
    except Exception as exc:  # noqa: BLE001 - readiness reports the failure, never raises
        checks["database"] = {"ok": False, "error": type(exc).__name__}
        return {"status": "unavailable", "checks": checks}, False
    checks["database"] = {"ok": True, "postgis": postgis}
    checks["migrations"] = {"ok": version == head, "at": version, "head": head}
    needed = today() + dt.timedelta(days=READY_DAYS)
    calendar: dict[str, Any] = {
        "ok": until is not None and until >= needed,
        "until": until and until.isoformat(),
        "official_until": official and official.isoformat(),
        "needed": needed.isoformat(),
    }
    if warning := Coverage(official, until).warning():
        calendar["warning"] = warning
    checks["calendar"] = calendar
    ok = all(check["ok"] for check in checks.values())
    body = {"status": "ok" if ok else "unavailable", "postgis": postgis, "checks": checks}
    replicas = request.app.state.db.replicas.replicas
    if replicas:  # informative: reads fall back to the primary, so readiness does not wait
        body["replicas"] = [replica.describe() for replica in replicas]
    return body, ok


async def health(request: Request) -> JSONResponse:
    body, ok = await readiness(request)
    return JSONResponse(body, status_code=200 if ok else 503)

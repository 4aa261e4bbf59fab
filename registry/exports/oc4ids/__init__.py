"""The register as an OC4IDS 0.9 project package, validated against the vendored schema.

One OC4IDS project per project code (``mapping``: a function per OC4IDS section), read
through the read path (``registry.reading``: the projects the register knew, their sites,
their public items, now or as of a moment), streamed a chunk at a time, and checked by
``validation``. docs/oc4ids.md explains each field.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from registry.clock import CST
from registry.documents.states import with_links
from registry.errors import unknown_project
from registry.exports.oc4ids.mapping import PREFIX, Departments, moment, project_record
from registry.exports.oc4ids.validation import (
    Checker,
    problems,
    project_validator,
    validator,
)
from registry.exports.terms import terms as open_terms
from registry.reading import disclosures, queries, scope
from registry.settings import get_settings

CHUNK = 1000  # projects built, written and forgotten at a time: the export's memory bound


async def projects(
    conn: AsyncConnection,
    project_code: str | None = None,
    as_of: dt.datetime | None = None,
    chunk: int = CHUNK,
    base_url: str = "",
) -> AsyncIterator[list[dict]]:
    """The OC4IDS projects of every project (or one), public disclosures only, as they are
    or as they were at ``as_of`` (projects the register knew then, items public then): in
    code order, ``chunk`` projects at a time, each chunk read by three statements. Run it in
    one REPEATABLE READ transaction for a package that is one moment's register."""
    departments: Departments = {
        d["code"]: (d["code"], d["name"], d["uscc"]) for d in await queries.departments(conn)
    }
    after = ""
    while True:
        rows = await queries.projects_after(conn, after, chunk, project_code, as_of)
        if not rows:
            if project_code and not after:
                raise unknown_project(project_code, "project")
            return
        ids = [p["id"] for p in rows]
        sites = await queries.sites_by_project(conn, ids)
        items = await disclosures.public_items(conn, ids, as_of)
        await _archived(conn, items, base_url)
        reasons = await scope.scope_reasons(conn, ids, scope.scope_day(as_of))
        # mapping a chunk is Python's work: off the event loop, so a server keeps answering
        yield await asyncio.to_thread(_mapped, rows, sites, items, departments, reasons)
        if len(rows) < chunk:
            return
        after = rows[-1]["code"]


async def _archived(conn: AsyncConnection, items: dict, base_url: str) -> None:
    """Each document's kept copy (its URL on this register and SHA-256), where one is kept
    and may be served: ``archived`` on the document, for the mapping."""
    every = [x for found in items.values() for x in found]
    await with_links(conn, every)
    for document in (d for x in every for d in x["documents"]):
        link = document.pop("link")
        if link is not None and link.copy_path is not None:
            document["archived"] = {"url": base_url + link.copy_path,
                                    "sha256": link.kept_sha256, "kept_at": link.kept_at}  # fmt: skip


def _mapped(rows: list[dict], sites: dict, items: dict, departments: Departments,
            reasons: dict) -> list[dict]:  # fmt: skip
    return [
        project_record(
            p, sites.get(p["id"], []), items.get(p["id"], []), departments, reasons.get(p["id"], [])
        )  # fmt: skip
        for p in rows
    ]


def _joined(records: list[dict]) -> bytes:
    return b",".join(orjson.dumps(record) for record in records)


def header(
    base_url: str, project_code: str | None = None, as_of: dt.datetime | None = None
) -> dict:
    """The package without its projects."""
    terms = open_terms(get_settings().open_data, base_url)
    return {
        "uri": f"{base_url}/exports/oc4ids.json" + _query(project=project_code, asOf=as_of),
        "publishedDate": dt.datetime.now(CST).isoformat(timespec="seconds"),
        "version": "0.9",
        "publisher": {"name": "重大建设项目全链条信息公开 registry", "uri": base_url},
        "license": terms["license"],
        "publicationPolicy": terms["publication_policy"],
        "projects": [],
    }


async def package(
    conn: AsyncConnection,
    base_url: str,
    project_code: str | None = None,
    as_of: dt.datetime | None = None,
) -> dict:
    """The whole package in memory: for one project, and for tests on small registers.
    Everything else streams (``stream``)."""
    document = header(base_url, project_code, as_of)
    async for chunk in projects(conn, project_code, as_of, base_url=base_url):
        document["projects"] += chunk
    return document


async def stream(
    conn: AsyncConnection,
    base_url: str,
    project_code: str | None = None,
    as_of: dt.datetime | None = None,
    check: Callable[[list[dict]], None] | None = None,
    chunk: int = CHUNK,
) -> AsyncIterator[bytes]:
    """The package as JSON text, a chunk of projects at a time; ``check`` sees each chunk
    before it is written (the CLI validates with it)."""
    opening = orjson.dumps(header(base_url, project_code, as_of))
    yield opening[: -len(b"[]}")] + b"["
    first = True
    async for records in projects(conn, project_code, as_of, chunk, base_url):
        if check:
            check(records)
        text_value = await asyncio.to_thread(_joined, records)
        yield text_value if first else b"," + text_value
        first = False
    yield b"]}"


def _query(**params: Any) -> str:
    from urllib.parse import urlencode

    given = {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in params.items() if v}
    return f"?{urlencode(given)}" if given else ""


__all__ = ["CHUNK", "PREFIX", "Checker", "header", "moment", "package", "problems",
           "project_validator", "projects", "stream", "validator"]  # fmt: skip

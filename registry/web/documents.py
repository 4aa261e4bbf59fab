"""Kept copies and the link report over HTTP.

- ``/documents/{sha256}``: the copy of a document kept at its first good fetch, while a
  public item links to it, with its type and file name; immutable (named by its content),
  sandboxed (a kept HTML page runs nothing on this site), and withheld when the attachment
  scan found personal data in it.
- ``/links/report.csv`` and ``.xlsx``: every document link of the key's department (all of
  them for an administrator) with its state and the scan's masked findings; never public.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from registry.documents import states
from registry.documents.store import SHA256, document_store
from registry.errors import NotFound, RegistryError, Unauthenticated
from registry.exports import link_report
from registry.exports.downloads import XLSX_MEDIA
from registry.language import say
from registry.publishing.keys import authenticate

IMMUTABLE = "public, max-age=31536000, immutable"
FORMATS = {
    "csv": (link_report.csv_bytes, "text/csv; charset=utf-8"),
    "xlsx": (link_report.xlsx_bytes, XLSX_MEDIA),
}
SANDBOX = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"


def _not_kept(sha256: str) -> RegistryError:
    return NotFound.one("sha256", "not_kept", say(
        "no kept copy {sha256!r} that a public item links to (a copy holding personal data "
        "is not served)", sha256=sha256[:80]))  # fmt: skip


async def kept_copy(request: Request) -> Response:
    sha256 = request.path_params["sha256"].lower()
    if not SHA256.match(sha256):
        raise _not_kept(sha256)
    async with request.app.state.db.read.connect() as conn:
        found = await states.kept_copy(conn, sha256)
    path = document_store(request.app.state.settings.registry.document_dir).path(sha256)
    if found is None or path is None:
        raise _not_kept(sha256)
    name = quote(found.filename, safe="")
    inline = found.content_type != "text/html"  # a page is downloaded, never shown here
    return FileResponse(
        path,
        media_type=found.content_type,
        headers={
            "Content-Disposition": f"{'inline' if inline else 'attachment'}; "
            f"filename*=UTF-8''{name}",
            "Cache-Control": IMMUTABLE,
            "ETag": f'"{sha256}"',
            "Content-Security-Policy": SANDBOX,
            "X-Content-Type-Options": "nosniff",
            "Digest": f"sha-256={sha256}",
        },
    )


async def report_file(request: Request) -> Response:
    fmt = request.path_params["fmt"]
    async with request.app.state.db.read.connect() as conn:
        credentials = await authenticate(
            conn, request.headers.get("authorization"), request.url.path
        )
        actor = credentials.actor
        if actor is None:
            raise Unauthenticated.one("Authorization", f"{credentials.problem}_key", say(
                "the link report is for departments: send your department key as "
                "Authorization: Bearer KEY"))  # fmt: skip
        if fmt not in FORMATS:
            raise NotFound.one("format", "unknown_format", say(
                "{value!r} is not a format of the link report (csv, xlsx)", value=fmt[:20]))  # fmt: skip
        rows = await states.listed(conn, None if actor.is_admin else actor.department)
    build, media_type = FORMATS[fmt]
    return Response(
        build(rows),
        media_type=media_type,
        headers={
            "Content-Disposition": f"attachment; filename=links.{fmt}",
            "Cache-Control": "private, no-store",
        },  # fmt: skip
    )


ROUTES = [
    Route("/documents/{sha256}", kept_copy),
    Route("/links/report.{fmt:str}", report_file),
]

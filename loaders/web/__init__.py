"""The upload page (`/upload`): a department loads a file from a browser.

The same `load_file` as `registry load`, with the same rules, words and all-or-nothing
writes. A clerk signs in by pasting the department key (never stored, never put in a page
or a cookie), chooses a file, and sees the dry-run report; the file waits on the server
under a random token, bound to that department, for 15 minutes; "confirm" loads it for
real and shows what was written. The token is the only thing the confirming form carries:
it was given only to whoever held the key, is single-use and expires.

Pending files live in a folder on the server's disk (REGISTRY_UPLOAD_DIR, default a
folder in the system's temporary directory), so several server processes on one machine
share them.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from loaders.report import FileReport
from loaders.run import FileRefused, load_file
from registry.errors import RegistryError
from registry.language import N_, say
from registry.publishing import keys

TTL_S = 15 * 60
MAX_BYTES = 200 * 1024 * 1024
SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".geojson", ".json", ".zip")
KINDS = {
    "": N_("from the headers"),
    "disclosures": N_("disclosures"),
    "projects": N_("projects"),
    "sites": N_("sites"),
    "responsibilities": N_("responsibilities"),
}
# the upload pages, laid out by the site's own base.html (registry/web/templates)
PAGES = Environment(
    loader=ChoiceLoader(
        [PackageLoader("loaders.web", "."), PackageLoader("registry.web", "templates")]
    ),
    autoescape=select_autoescape(["html"]),
)


def _folder() -> Path:
    folder = Path(
        os.environ.get("REGISTRY_UPLOAD_DIR") or Path(tempfile.gettempdir()) / "registry-uploads"
    )
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _sweep(folder: Path) -> None:
    """Remove checks nobody confirmed in time (each check sweeps the ones before it)."""
    for pending in folder.iterdir():
        meta = pending / "upload.json"
        try:
            expired = json.loads(meta.read_text(encoding="utf-8"))["expires"] < time.time()
        except (OSError, ValueError, KeyError):
            expired = time.time() - pending.stat().st_mtime > TTL_S
        if expired:
            shutil.rmtree(pending, ignore_errors=True)


def _page(name: str, status: int = 200, **values: Any) -> HTMLResponse:
    return HTMLResponse(
        PAGES.get_template(name).render(kinds={k: say(v) for k, v in KINDS.items()}, **values),
        status_code=status,
    )


def _form(message: str = "", status: int = 200) -> HTMLResponse:
    return _page("upload.html", status, message=message)


async def form(request: Request) -> Response:
    return _form()


async def check(request: Request) -> Response:
    """Sign in with the key, keep the file, run the dry run, show the report."""
    async with request.form(max_files=1, max_fields=10) as data:
        key, upload = str(data.get("key") or "").strip(), data.get("file")
        kind, crs = str(data.get("kind") or "") or None, str(data.get("crs") or "").strip() or None
        async with request.app.state.db.primary_read.connect() as conn:
            credentials = await keys.authenticate(conn, f"Bearer {key}", "upload")
        if credentials.actor is None:
            problem = (
                say("enter your department key")
                if not key
                else say("the key is unknown or revoked; ask an administrator")
            )
            return _form(problem, 401)
        if not isinstance(upload, UploadFile) or not upload.filename:
            return _form(say("choose a file to load"), 400)
        name = Path(upload.filename).name
        if not name.lower().endswith(SUFFIXES):
            return _form(
                say(
                    "{name!r} is not a file the loaders read: choose a CSV, XLSX, GeoJSON or "
                    "zipped Shapefile (.zip)",
                    name=name,
                ),
                400,
            )
        _sweep(_folder())
        token = secrets.token_urlsafe(24)
        folder = _folder() / token
        folder.mkdir(mode=0o700)
        path = folder / name
        if not await _save(upload, path):
            shutil.rmtree(folder, ignore_errors=True)
            return _form(say("the file is larger than {mb} MB", mb=MAX_BYTES >> 20), 413)
    actor = credentials.actor
    department = "admin" if actor.is_admin else str(actor.department)
    meta = {"department": department, "kind": kind, "crs": crs, "name": name,
            "expires": time.time() + TTL_S}  # fmt: skip
    (folder / "upload.json").write_text(json.dumps(meta), encoding="utf-8")
    report = await _load(request, path, meta, dry_run=True)
    if not report.ok:
        shutil.rmtree(folder, ignore_errors=True)
    return _page("report.html", 200 if report.ok else 422, report=report,
                 token=token if report.ok else None, department=department)  # fmt: skip


async def confirm(request: Request) -> Response:
    """Load the file the dry run checked, for real."""
    async with request.form(max_files=0, max_fields=5) as data:
        token = str(data.get("token") or "")
    folder = _folder() / token if token.replace("-", "").replace("_", "").isalnum() else None
    meta_path = folder / "upload.json" if folder else None
    if meta_path is None or not meta_path.exists():
        return _form(say("this check has expired; upload the file again"), 410)
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    assert folder is not None
    try:
        if meta["expires"] < time.time():
            return _form(say("the check is over 15 minutes old; upload the file again"), 410)
        report = await _load(request, folder / meta["name"], meta, dry_run=False)
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # single use, whatever happened
    return _page("report.html", 200 if report.ok else 422, report=report, token=None,
                 department=meta["department"])  # fmt: skip


async def _save(upload: UploadFile, path: Path) -> bool:
    size = 0
    with path.open("wb") as handle:
        while chunk := await upload.read(1 << 20):
            size += len(chunk)
            if size > MAX_BYTES:
                return False
            handle.write(chunk)
    return True


async def _load(request: Request, path: Path, meta: dict, dry_run: bool) -> FileReport:
    database = request.app.state.db

    def run() -> FileReport:
        try:
            with Session(database.write) as session, session.begin():
                return load_file(session, path, meta["department"], kind=meta["kind"],
                                 crs=meta["crs"], dry_run=dry_run)  # fmt: skip
        except FileRefused as exc:
            return exc.report
        except RegistryError as exc:
            report = FileReport(path.name, dry_run=dry_run)
            report.refuse_file(exc.problems)
            return report

    return await run_in_threadpool(run)


ROUTES = [
    Route("/upload", form, methods=["GET"]),
    Route("/upload/check", check, methods=["POST"]),
    Route("/upload/confirm", confirm, methods=["POST"]),
]

"""The upload page (`/upload`): a department loads a file from a browser.

The same `load_file` as `registry load`, with the same rules, words, limits and
all-or-nothing writes. A clerk signs in by pasting the department key (never stored, never
put in a page or a cookie), chooses a file, and sees the dry-run report; the file waits on
the server under a random token, bound to that department, for 15 minutes; "confirm" loads
it for real and shows what was written. The token is the only thing the confirming form
carries: it was given only to whoever held the key, is single-use and expires.

Bounded before any work: the request body is counted as it arrives and cut off past the
file limit (``REGISTRY_LIMIT_FILE_MB``); uploads under way are bounded in total and per
department (``REGISTRY_LIMIT_UPLOADS``, ``…_PER_DEPARTMENT``); the file's own limits are the
loaders' (loaders/limits.py), checked before it is read.

Pending files live in ``REGISTRY_UPLOAD_DIR``: every process that may answer the
confirmation must see that folder (one machine's processes do; API replicas share a volume,
as the compose ``scale`` profile mounts). A confirmation claims its folder by renaming it,
which one process alone can do: a token sent to two processes at once loads once.

This module is a composition root, like ``registry/app.py`` and ``registry/cli.py``: it
joins the loaders to the web (tests/test_architecture.py names it).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

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
from registry.settings import LimitSettings
from registry.web.pages import render

TTL_S = 15 * 60
MB = 1 << 20
SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".geojson", ".json", ".zip")
KINDS = {
    "": N_("from the headers"),
    "disclosures": N_("disclosures"),
    "projects": N_("projects"),
    "sites": N_("sites"),
    "responsibilities": N_("responsibilities"),
}


def _folder(request: Request) -> Path:
    configured = request.app.state.settings.registry.upload_dir
    folder = Path(configured or Path(tempfile.gettempdir()) / "registry-uploads")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _limits(request: Request) -> LimitSettings:
    return request.app.state.settings.limits


def _sweep(folder: Path) -> None:
    """Remove checks nobody confirmed in time (each check sweeps the ones before it)."""
    for pending in folder.iterdir():
        meta = pending / "upload.json"
        try:
            expired = json.loads(meta.read_text(encoding="utf-8"))["expires"] < time.time()
        except (OSError, ValueError, KeyError):
            try:
                expired = time.time() - pending.stat().st_mtime > TTL_S
            except OSError:
                continue  # another process swept it
        if expired:
            shutil.rmtree(pending, ignore_errors=True)


def _page(name: str, status: int = 200, **values: Any) -> HTMLResponse:
    return render(name, status, kinds={k: say(v) for k, v in KINDS.items()}, **values)


def _form(message: str = "", status: int = 200, headers: dict | None = None) -> HTMLResponse:
    page = _page("upload.html", status, message=message)
    page.headers.update(headers or {})
    return page


async def form(request: Request) -> Response:
    return _form()


class _TooLarge(Exception):
    pass


def _capped(request: Request, limit: int) -> Request:
    """The request, its body cut off past ``limit`` bytes as it arrives (the multipart
    parser spools files to disk beyond 1 MB, so memory holds a piece, not the file)."""
    received = 0
    receive = request.receive

    async def counting() -> Any:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > limit:
            raise _TooLarge
        return message

    return Request(request.scope, counting)


class Busy:
    """Uploads under way in this process: at most ``total``, ``each`` per department."""

    def __init__(self) -> None:
        self.total = 0
        self.by_department: dict[str, int] = {}

    @contextlib.asynccontextmanager
    async def slot(
        self, department: str, limits: LimitSettings
    ) -> AsyncIterator[tuple[int, str] | None]:
        """None when a slot is taken (and given back after), else (status, why not)."""
        if self.by_department.get(department, 0) >= limits.uploads_per_department:
            yield 429, say("your department already has an upload under way; wait for it to finish")
            return
        if self.total >= limits.uploads:
            yield 503, say("the server is checking other uploads; try again in a minute")
            return
        self.total += 1
        self.by_department[department] = self.by_department.get(department, 0) + 1
        try:
            yield None
        finally:
            self.total -= 1
            self.by_department[department] -= 1


BUSY = Busy()
RETRY = {"Retry-After": "30"}


async def check(request: Request) -> Response:
    """Sign in with the key, keep the file, run the dry run, show the report."""
    limits = _limits(request)
    limit = limits.file_mb * MB + MB  # the form's other fields and boundaries besides
    declared = request.headers.get("content-length", "")
    too_large = say("the file is larger than {mb} MB", mb=limits.file_mb)
    if declared.isdigit() and int(declared) > limit:
        return _form(too_large, 413)
    try:
        async with _capped(request, limit).form(max_files=1, max_fields=10) as data:
            return await _check(request, data, limits)
    except _TooLarge:
        return _form(too_large, 413)


async def _check(request: Request, data: Any, limits: LimitSettings) -> Response:
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
    actor = credentials.actor
    department = "admin" if actor.is_admin else str(actor.department)
    async with BUSY.slot(department, limits) as refused:
        if refused is not None:
            return _form(refused[1], refused[0], RETRY)
        root = _folder(request)
        _sweep(root)
        token = secrets.token_urlsafe(24)
        folder = root / token
        folder.mkdir(mode=0o700)
        path = folder / name
        if not await _save(upload, path, limits.file_mb * MB):
            shutil.rmtree(folder, ignore_errors=True)
            return _form(say("the file is larger than {mb} MB", mb=limits.file_mb), 413)
        meta = {"department": department, "kind": kind, "crs": crs, "name": name,
                "expires": time.time() + TTL_S}  # fmt: skip
        (folder / "upload.json").write_text(json.dumps(meta), encoding="utf-8")
        report = await _load(request, path, meta, dry_run=True)
        if not report.ok:
            shutil.rmtree(folder, ignore_errors=True)
    return _page("upload-report.html", 200 if report.ok else 422, report=report,
                 token=token if report.ok else None, department=department)  # fmt: skip


def _claim(root: Path, token: str) -> Path | None:
    """The token's folder, renamed so that no other request or process can claim it: the
    rename succeeds once."""
    if not token or not token.replace("-", "").replace("_", "").isalnum():
        return None
    claimed = root / f"{token}.claimed-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        os.rename(root / token, claimed)
    except OSError:
        return None
    return claimed


async def confirm(request: Request) -> Response:
    """Load the file the dry run checked, for real."""
    async with request.form(max_files=0, max_fields=5) as data:
        token = str(data.get("token") or "")
    folder = _claim(_folder(request), token)
    if folder is None or not (folder / "upload.json").exists():
        return _form(say("this check has expired; upload the file again"), 410)
    try:
        meta = json.loads((folder / "upload.json").read_text(encoding="utf-8"))
        if meta["expires"] < time.time():
            return _form(say("the check is over 15 minutes old; upload the file again"), 410)
        async with BUSY.slot(meta["department"], _limits(request)) as refused:
            if refused is not None:
                os.rename(folder, folder.parent / token)  # not used: the clerk may try again
                return _form(refused[1], refused[0], RETRY)
            report = await _load(request, folder / meta["name"], meta, dry_run=False)
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # single use, whatever happened
    return _page("upload-report.html", 200 if report.ok else 422, report=report, token=None,
                 department=meta["department"])  # fmt: skip


async def _save(upload: UploadFile, path: Path, limit: int) -> bool:
    size = 0
    with path.open("wb") as handle:
        while chunk := await upload.read(MB):
            size += len(chunk)
            if size > limit:
                return False
            handle.write(chunk)
    return True


async def _load(request: Request, path: Path, meta: dict, dry_run: bool) -> FileReport:
    database = request.app.state.db

    def run() -> FileReport:
        try:
            with database.session() as session:
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

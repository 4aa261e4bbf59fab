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
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from loaders.lists import ListLoad, load_list
from loaders.report import FileReport
from loaders.run import FileRefused, actor_for, load_file
from registry.errors import InvalidInput, Problem, RegistryError
from registry.identifiers import digits
from registry.language import N_, say
from registry.publishing import keys
from registry.reading import scope
from registry.reading.inputs import iso_day, record_id
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
    "list": N_("a list of major projects (名单)"),
}
LIST_FIELDS = ("list", "on", "adjustment")


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


def _form(message: str = "", status: int = 200, headers: dict | None = None,
          lists: list[dict] | None = None) -> HTMLResponse:  # fmt: skip
    page = _page("upload.html", status, message=message, lists=lists or [])
    page.headers.update(headers or {})
    return page


async def form(request: Request) -> Response:
    async with request.app.state.db.read.connect() as conn:
        return _form(lists=await scope.lists(conn))


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
    if digits(declared) and int(declared) > limit:
        return _form(too_large, 413)
    try:
        async with _capped(request, limit).form(max_files=1, max_fields=12) as data:
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
        if kind == "list":
            meta.update({field: str(data.get(field) or "").strip() for field in LIST_FIELDS})
        (folder / "upload.json").write_text(json.dumps(meta), encoding="utf-8")
        if kind == "list":
            return await _check_list(request, folder, token, meta)
        report = await _load(request, path, meta, dry_run=True)
        if not report.ok:
            shutil.rmtree(folder, ignore_errors=True)
    return _page("upload-report.html", 200 if report.ok else 422, report=report,
                 token=token if report.ok else None, department=department)  # fmt: skip


# --- a list of major projects: matched, decided on the page, then written -----------------------


async def _check_list(request: Request, folder: Path, token: str, meta: dict) -> Response:
    load = await _load_list(request, folder / meta["name"], meta, dry_run=True, review=None)
    keep = bool(load.decisions) and _only_undecided(load)
    if not keep:
        shutil.rmtree(folder, ignore_errors=True)
    return _list_page(load, token if keep else None, meta)


def _only_undecided(load: ListLoad) -> bool:
    """The file itself is fine: nothing refused but rows left to decide."""
    return all(p.code == "undecided" for p in load.report.problems)


def _list_page(load: ListLoad, token: str | None, meta: dict) -> HTMLResponse:
    status = 200 if load.report.ok or (token and _only_undecided(load)) else 422
    return _page("upload-list.html", status, load=load, report=load.report, token=token,
                 department=meta["department"])  # fmt: skip


def _choices(data: Any) -> list[dict[str, str]]:
    """The page's decisions as review records: 决定 from the row's choice (a candidate's
    number, 新建 or 不匹配) and code, 说明 from its reason."""
    records = []
    for field, value in data.multi_items():
        if not field.startswith("decide-"):
            continue
        row = field.removeprefix("decide-")
        code = str(data.get(f"code-{row}") or "").strip()
        chosen = str(value).strip()
        if chosen == "新建":
            chosen = f"新建 {code}"
        elif chosen == "代码":
            chosen = code
        if chosen:
            records.append(
                {"行": row, "决定": chosen, "说明": str(data.get(f"reason-{row}") or "")}
            )
    return records


async def _confirm_list(request: Request, folder: Path, meta: dict, data: Any) -> Response:
    load = await _load_list(request, folder / meta["name"], meta, dry_run=False,
                            review=_choices(data))  # fmt: skip
    if load.report.written:
        return _list_page(load, None, meta)
    # rows still to decide, or a decision refused: the clerk decides again on the same file
    token = secrets.token_urlsafe(24)
    meta["expires"] = time.time() + TTL_S
    (folder / "upload.json").write_text(json.dumps(meta), encoding="utf-8")
    os.rename(folder, folder.parent / token)
    return _list_page(load, token, meta)


async def _load_list(request: Request, path: Path, meta: dict, dry_run: bool,
                     review: list[dict[str, str]] | None) -> ListLoad:  # fmt: skip
    database = request.app.state.db

    def run() -> ListLoad:
        try:
            with database.session() as session:
                actor = actor_for(session, meta["department"], path)
                list_id = record_id(meta.get("list") or "", "list")
                on = None
                if meta.get("on"):
                    problems: list[Problem] = []
                    on = iso_day(meta["on"], "on", problems)
                    if problems:
                        raise InvalidInput(problems)
                return load_list(session, actor, path, list_id, review=review, on=on,
                                 adjustment=bool(meta.get("adjustment")), dry_run=dry_run)  # fmt: skip
        except RegistryError as exc:
            report = FileReport(path.name, kind="list", dry_run=dry_run)
            report.refuse_file(exc.problems)
            return ListLoad(report, [])

    return await run_in_threadpool(run)


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
    """Load the file the dry run checked, for real (a list: with the clerk's decisions)."""
    fields = 3 * _limits(request).rows + 5  # a list's page: a choice, a code, a reason a row
    async with request.form(max_files=0, max_fields=fields) as data:
        token = str(data.get("token") or "")
        decided = {k: v for k, v in data.multi_items()}
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
            if meta.get("kind") == "list":
                return await _confirm_list(request, folder, meta, FormData(decided))
            report = await _load(request, folder / meta["name"], meta, dry_run=False)
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # single use (a list's re-issued folder moved)
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

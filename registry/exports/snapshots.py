"""Dated snapshots of the register's open data, and the terms it is published under.

A snapshot is every download (registry/exports/downloads.py) and the OC4IDS package, built
from one moment's register (one REPEATABLE READ transaction) into ``<dir>/YYYY-MM-DD/``
with ``SHA256SUMS`` (as ``sha256sum`` writes it) and ``manifest.json`` (the day, the state,
the terms, each file's size, rows and SHA-256): a fixed file a reuser or an assessor can
cite. Daily snapshots are kept for ``daily_days`` days; older ones, the first of each month.
A snapshot is built under a temporary name and renamed into place: never seen half-made.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from registry import clock
from registry.exports import downloads, oc4ids
from registry.exports.terms import terms
from registry.reading.state import register_state
from registry.settings import OpenDataSettings

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,80}$")
SUMS, MANIFEST = "SHA256SUMS", "manifest.json"
OC4IDS_NAME = "oc4ids.json"


def folder(settings: OpenDataSettings) -> Path:
    return settings.snapshot_dir or Path.home() / ".local" / "share" / "registry" / "snapshots"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


async def build(
    engine: AsyncEngine, settings: OpenDataSettings, base_url: str, day: dt.date | None = None
) -> dict[str, Any]:
    """Take the snapshot of ``day`` (today in China), replacing one taken earlier that day;
    then prune. Its manifest."""
    day = day or clock.today()
    root = folder(settings)
    root.mkdir(parents=True, exist_ok=True)
    partial = root / f".partial-{day.isoformat()}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    made: list[dict[str, Any]] = []
    try:
        async with engine.connect() as conn:
            repeatable = await conn.execution_options(isolation_level="REPEATABLE READ")
            async with repeatable.begin():
                await repeatable.execute(text("SET LOCAL statement_timeout = '60min'"))
                version = await register_state(repeatable)
                for item in downloads.downloads():
                    rows = await item.build(repeatable, partial / item.name)
                    made.append({"name": item.name, "rows": rows, "media_type": item.media_type,
                                 "title": f"{item.title_zh} · {item.title_en}"})  # fmt: skip
                with (partial / OC4IDS_NAME).open("wb") as out:
                    async for part in oc4ids.stream(repeatable, base_url):
                        out.write(part)
                made.append({"name": OC4IDS_NAME, "rows": None, "media_type": "application/json",
                             "title": "OC4IDS 项目数据包 · OC4IDS project package"})  # fmt: skip
        for entry in made:
            path = partial / entry["name"]
            entry["bytes"], entry["sha256"] = path.stat().st_size, _sha256(path)
        (partial / SUMS).write_text(
            "".join(f"{e['sha256']}  {e['name']}\n" for e in made), encoding="utf-8"
        )
        manifest = {
            "day": day.isoformat(),
            "built_at": dt.datetime.now(clock.CST).isoformat(timespec="seconds"),
            "state": version,
            **terms(settings, base_url),
            "files": made,
        }
        (partial / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        target = root / day.isoformat()
        if target.exists():
            shutil.rmtree(target)
        partial.rename(target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    prune(root, day, settings.daily_days)
    return manifest


def kept_days(days: list[dt.date], today: dt.date, daily_days: int) -> set[dt.date]:
    """Which snapshots stay: every one of the last ``daily_days`` days, and before them the
    first of each month."""
    recent = {d for d in days if (today - d).days < daily_days}
    first: dict[tuple[int, int], dt.date] = {}
    for d in sorted(days):
        if d not in recent:
            first.setdefault((d.year, d.month), d)
    return recent | set(first.values())


def _days(root: Path) -> list[dt.date]:
    if not root.is_dir():
        return []
    return [dt.date.fromisoformat(p.name) for p in root.iterdir()
            if p.is_dir() and DAY.match(p.name)]  # fmt: skip


def prune(root: Path, today: dt.date, daily_days: int) -> list[dt.date]:
    """Remove the snapshots ``kept_days`` does not keep; the days removed."""
    days = _days(root)
    keep = kept_days(days, today, daily_days)
    gone = sorted(d for d in days if d not in keep)
    for d in gone:
        shutil.rmtree(root / d.isoformat(), ignore_errors=True)
    return gone


def listed(settings: OpenDataSettings) -> list[dict[str, Any]]:
    """The snapshots kept, newest first, each its manifest."""
    root = folder(settings)
    found = []
    for d in sorted(_days(root), reverse=True):
        try:
            found.append(json.loads((root / d.isoformat() / MANIFEST).read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return found


def file_of(settings: OpenDataSettings, day: str, name: str) -> Path | None:
    """A file of a kept snapshot, or None (never a path outside the snapshots)."""
    if not DAY.match(day) or not NAME.match(name):
        return None
    path = folder(settings) / day / name
    return path if path.is_file() else None

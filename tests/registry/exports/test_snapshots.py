"""Dated snapshots of the open data: taken by `registry export snapshot` from one moment's
register, checked with coreutils' `sha256sum -c`, served fixed at
/downloads/snapshots/{day}/{name} and listed on /downloads with the terms; which days are
kept is held against a reference over generated calendars."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.exports.snapshots import kept_days
from tests.conftest import serving

LICENSE = "https://data.example.gov.cn/licence/v1"


def reference(days: set[dt.date], today: dt.date, daily: int) -> set[dt.date]:
    kept = set()
    for day in days:
        if (today - day).days < daily or day == min(
            d
            for d in days
            if (d.year, d.month) == (day.year, day.month) and (today - d).days >= daily
        ):
            kept.add(day)
    return kept


@settings(max_examples=300, deadline=None)
@given(
    st.sets(st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31)), max_size=60),
    st.integers(1, 40),
)
def test_daily_for_a_month_then_monthly(days, daily):
    today = dt.date(2026, 12, 31)
    assert kept_days(sorted(days), today, daily) == reference(days, today, daily)


@pytest.fixture(scope="module")
def snapshot(demo_data, database_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("snapshots")
    env = {**os.environ, "DATABASE_URL": database_url, "REGISTRY_OPEN_DATA_SNAPSHOT_DIR": str(folder),
           "REGISTRY_OPEN_DATA_LICENSE_URL": LICENSE}  # fmt: skip
    made = subprocess.run([sys.executable, "-m", "registry.cli", "export", "snapshot"],
                          capture_output=True, text=True, env=env, timeout=600)  # fmt: skip
    assert made.returncode == 0, made.stderr
    day = next(p for p in folder.iterdir() if not p.name.startswith("."))
    return folder, day, made.stdout


def test_a_snapshot_holds_every_file_and_its_sums(snapshot):
    _, day, said = snapshot
    assert f"snapshot {day.name}:" in said
    checked = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=day, capture_output=True,
                             text=True)  # fmt: skip
    assert checked.returncode == 0 and checked.stdout.count(": OK") >= 15, checked.stdout
    manifest = json.loads((day / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["license"] == LICENSE and manifest["publication_policy"].endswith("#terms")
    assert {f["name"] for f in manifest["files"]} >= {
        "projects.csv",
        "register.gpkg",
        "oc4ids.json",
    }
    package = json.loads((day / "oc4ids.json").read_bytes())
    assert package["license"] == LICENSE and package["publicationPolicy"]
    assert len(package["projects"]) > 10


def test_snapshots_are_served_fixed_and_listed_with_the_terms(snapshot, database_url, tmp_path):
    folder, day, _ = snapshot
    env = {
        "REGISTRY_OPEN_DATA_SNAPSHOT_DIR": str(folder),
        "REGISTRY_OPEN_DATA_LICENSE_URL": LICENSE,
    }
    with serving(database_url, tmp_path / "server.log", **env) as port:
        base = f"http://127.0.0.1:{port}"
        page = httpx.get(f"{base}/downloads").text
        assert f"/downloads/snapshots/{day.name}/SHA256SUMS" in page and 'id="terms"' in page
        assert f'href="{LICENSE}" rel="license"' in page
        manifest = json.loads((day / "manifest.json").read_text(encoding="utf-8"))
        for entry in manifest["files"][:4]:
            answer = httpx.get(f"{base}/downloads/snapshots/{day.name}/{entry['name']}")
            assert answer.status_code == 200
            assert hashlib.sha256(answer.content).hexdigest() == entry["sha256"]
            assert "immutable" in answer.headers["cache-control"]
            assert answer.headers["link"] == f'<{LICENSE}>; rel="license"'
        current = httpx.get(f"{base}/downloads/projects.csv")
        assert current.headers["link"] == f'<{LICENSE}>; rel="license"'
        for wrong in (f"{day.name}/..%2F..%2Fetc%2Fpasswd", "2026-13-45/projects.csv",
                      f"{day.name}/nothing.csv", "..%2F..%2F/projects.csv"):  # fmt: skip
            assert httpx.get(f"{base}/downloads/snapshots/{wrong}").status_code == 404, wrong

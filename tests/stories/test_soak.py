"""The short soak of `make test`: bench/soak.py's 16 clients for 20 seconds on a generated
register of 2,000 projects, with publishing and a loader run in the middle. The full run
(5 minutes on 50,000 projects) is in docs/performance.md."""

from __future__ import annotations

import uuid

import pytest

from bench.generate import generate
from bench.soak import MIX, soak
from tests.conftest import create_database, drop_database

SECONDS = 20


@pytest.fixture(scope="module")
def soak_url():
    name = f"registry_s_{uuid.uuid4().hex[:10]}"
    url = create_database(name)
    try:
        generate(url, 2000, 20000)
        yield url
    finally:
        drop_database(name)


def test_short_soak(soak_url, tmp_path):
    result = soak(soak_url, clients=16, seconds=SECONDS, load_rows=3000, log=tmp_path / "log")
    print({k: v for k, v in result.items() if k != "rss_samples"})
    assert result["errors"] == 0, result["first_errors"]
    assert result["load"]["ok"], result["load"]
    assert set(result["kinds"]) == set(MIX), result["kinds"]  # every kind was exercised
    assert all(kind["requests"] >= 5 for kind in result["kinds"].values()), result["kinds"]
    # memory settles: no more than 64 MB growth after the first fifth of the run
    assert result["rss_mb"]["growth_after_first_fifth"] < 64, result["rss_mb"]
    log = (tmp_path / "log").read_text()
    assert "Traceback" not in log

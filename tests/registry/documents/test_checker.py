"""The link checker against a real HTTP server (tests/linkserver.py, over IPv4 and IPv6):
every case a department website serves ends in the state it should, a failure becomes
"broken" only after N checks over D days, the first good copy is kept and scanned, and the
per-host limits hold."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import text

from registry.documents.store import DirectoryStore
from tests import linkserver
from tests.linkserver import CASES, DAY, SCAN, T0, link_documents, run_check


@pytest.mark.parametrize("path", list(CASES))
def test_each_case_ends_in_its_state(checked, path):
    _, state, reason = CASES[path]
    link = checked["links"][checked["bases"][path] + path]
    assert (link.state, link.reason) == (state, reason), (path, link)


def test_broken_only_after_three_checks_over_two_days(checked, database_url):
    first = checked["runs"][0]
    assert "broken" not in first.states  # one failure is an outage, not a broken link
    missing = checked["links"][checked["bases"]["/missing.pdf"] + "/missing.pdf"]
    assert missing.failures == 3 and missing.state_since == T0


def test_a_move_proposes_the_new_address(checked):
    base = checked["bases"]["/old.pdf"]
    assert checked["links"][base + "/old.pdf"].moved_to == base + "/new.pdf"


def test_first_good_copy_is_kept_by_its_hash(checked):
    for path, expected in SCAN.items():
        link = checked["links"][checked["bases"][path] + path]
        assert link.kept_sha256 is not None, path
        kept = checked["store"].path(link.kept_sha256)
        assert (
            kept is not None and hashlib.sha256(kept.read_bytes()).hexdigest() == link.kept_sha256
        )
        assert link.scan == expected, path
    huge = checked["links"][checked["bases"]["/huge.pdf"] + "/huge.pdf"]
    assert huge.kept_sha256 is None  # over the size limit: checked, not kept
    changing = checked["links"][checked["bases"]["/changing.pdf"] + "/changing.pdf"]
    assert changing.kept_sha256 is not None  # the first version, compared with since


def test_findings_are_masked(checked, demo_data):
    with demo_data.connect() as conn:
        found = conn.execute(text("SELECT kind, page, masked FROM document_findings")).all()
    assert {(k, m) for k, _, m in found} >= {
        ("resident_id", "110105********002X"),
        ("mobile", "138****5678"),
    }
    assert all(linkserver.RESIDENT_ID not in m and linkserver.MOBILE not in m for _, _, m in found)
    assert {p for k, p, _ in found if k == "resident_id"} >= {1, None}  # a PDF page; a DOCX


def test_polite_client(checked):
    site = checked["site"]
    assert all(run.most_per_host <= 2 for run in checked["runs"])
    assert any("links-test@example.org" in agent for agent in site.user_agents)
    assert all(agent.startswith("major-project-registry/") for agent in site.user_agents)
    # two links reach /good.pdf (directly and through a chain): each fetched in full on the
    # first day only; then its ETag says it did not change
    assert site.asked[("GET", "/good.pdf")] == 2


def test_private_addresses_are_not_fetched(demo_data, database_url, tmp_path):
    with linkserver.serving() as (site, four, _):
        link_documents(demo_data, [[{"title": "内网文件.pdf", "url": four + "/good.pdf"}]])
        run_check(database_url, DirectoryStore(tmp_path), allow_private=False,
                  now=T0 + 5 * DAY)  # fmt: skip
        with demo_data.connect() as conn:
            state, reason = conn.execute(
                text("SELECT state, reason FROM links WHERE url = :u"), {"u": four + "/good.pdf"}
            ).one()
    assert (state, reason) == ("wrong", "private_address")
    assert site.asked[("GET", "/good.pdf")] == 0 and site.asked[("HEAD", "/good.pdf")] == 0

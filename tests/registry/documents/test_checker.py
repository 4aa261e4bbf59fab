"""The link checker against a real HTTP server (tests/linkserver.py, over IPv4 and IPv6):
every case a department website serves ends in the state it should, a failure becomes
"broken" only after N checks over D days, the first good copy is kept and scanned, and the
per-host limits hold."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import Session

from registry.documents.checker import check_links
from registry.documents.store import DirectoryStore
from registry.publishing.authority import Actor
from registry.publishing.disclosures import correct_disclosure
from registry.settings import LinkSettings
from tests import linkserver

T0 = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)

# path: (the document's title, state after checks on days 0, 1 and 2, reason)
CASES = {
    "/good.pdf": ("关于项目建议书的批复.pdf", "ok", None),
    "/missing.pdf": ("可行性研究报告批复.pdf", "broken", "http_404"),
    "/error.pdf": ("初步设计批复.pdf", "broken", "http_500"),
    "/slow.pdf": ("用地预审意见.pdf", "broken", "timeout"),
    "/chain/1": ("规划许可证", "ok", None),
    "/loop/a": ("施工许可证", "broken", "redirect_loop"),
    "/long/1": ("竣工验收备案", "broken", "too_many_redirects"),
    "/old.pdf": ("招标公告.pdf", "moved", "permanent_redirect"),
    "/soft404.html": ("中标结果公示", "wrong", "soft_404"),
    "/login": ("设计变更批复", "wrong", "login_page"),
    "/notice.pdf": ("环评批复.pdf", "wrong", "html_for_document"),
    "/gone/doc.pdf": ("水土保持方案批复.pdf", "wrong", "home_redirect"),
    "/changing.pdf": ("征收决定.pdf", "changed", "content_changed"),
    "/huge.pdf": ("初步设计文本.pdf", "ok", "too_large_to_keep"),
    "/flaky.pdf": ("质量监督报告.pdf", "ok", None),
    "/head405.pdf": ("安全监督报告.pdf", "ok", None),
    "/id.pdf": ("征地补偿登记表.pdf", "ok", None),
    "/mobile.pdf": ("联系人名单.pdf", "ok", None),
    "/scanned.pdf": ("批复扫描件.pdf", "ok", None),
    "/id.docx": ("征地补偿公示.docx", "ok", None),
    "/clean.docx": ("补偿标准.docx", "ok", None),
    "/article.html": ("可研批复", "ok", None),
}
SCAN = {
    "/id.pdf": "found", "/mobile.pdf": "found", "/id.docx": "found", "/scanned.pdf": "not_scannable",
    "/clean.docx": "clean", "/good.pdf": "clean", "/article.html": "clean",
}  # fmt: skip


def settings(**given) -> LinkSettings:
    values = {"allow_private": True, "delay_s": 0.0, "timeout_s": 1.0, "keep_max_mb": 0.1,
              "contact": "links-test@example.org"} | given  # fmt: skip
    return LinkSettings(**values)


def run_check(url: str, store, **given):
    async def go():
        engine = create_async_engine(url)
        try:
            return await check_links(engine, store, settings(**{k: v for k, v in given.items()
                                                               if k != "now"}),
                                     now=given.get("now"))  # fmt: skip
        finally:
            await engine.dispose()

    return asyncio.run(go())


def link_documents(engine, documents: list[list[dict]]) -> list[int]:
    """Give public demo items these documents, through the write path (a correction)."""
    actor = Actor(path="test:system")
    with Session(engine) as session:
        ids = session.scalars(
            text("SELECT id FROM public_disclosures ORDER BY id LIMIT :n"), {"n": len(documents)}
        ).all()
        for disclosure_id, docs in zip(ids, documents, strict=True):
            correct_disclosure(session, actor, disclosure_id, "链接检查测试", documents=docs)
        session.commit()
    return list(ids)


@pytest.fixture(scope="module")
def checked(demo_data, database_url, tmp_path_factory):
    """Every case linked from a public item (alternately over IPv4 and IPv6), checked on
    three days; the site's counts and the store are kept for the tests."""
    store = DirectoryStore(tmp_path_factory.mktemp("documents"))
    with linkserver.serving() as (site, four, six):
        bases = {}
        documents = []
        for index, (path, (title, _, _)) in enumerate(CASES.items()):
            base = (four, six)[index % 2]
            bases[path] = base
            documents.append([{"title": title, "url": base + path}])
        link_documents(demo_data, documents)
        runs = [run_check(database_url, store, now=T0 + n * DAY) for n in range(3)]
        with demo_data.connect() as conn:
            links = {r.url: r for r in conn.execute(text(
                "SELECT l.*, k.scan, k.size AS kept_size FROM links l "
                "LEFT JOIN kept_documents k ON k.sha256 = l.kept_sha256"))}  # fmt: skip
        yield {"site": site, "bases": bases, "runs": runs, "links": links, "store": store}


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
        assert kept is not None and hashlib.sha256(kept.read_bytes()).hexdigest() == link.kept_sha256
        assert link.scan == expected, path
    huge = checked["links"][checked["bases"]["/huge.pdf"] + "/huge.pdf"]
    assert huge.kept_sha256 is None  # over the size limit: checked, not kept
    changing = checked["links"][checked["bases"]["/changing.pdf"] + "/changing.pdf"]
    assert changing.kept_sha256 is not None  # the first version, compared with since


def test_findings_are_masked(checked, demo_data):
    with demo_data.connect() as conn:
        found = conn.execute(text("SELECT kind, page, masked FROM document_findings")).all()
    assert {(k, m) for k, _, m in found} >= {
        ("resident_id", "110105********002X"), ("mobile", "138****5678")
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

"""Answers cached by the register's state, held against a server that keeps nothing: over
generated reads (pages, OGC items, tiles, GraphQL GET, feeds, the change stream) and
generated writes (a correction through the write path; a link check; the calendar), every
answer of the caching server equals the fresh one, an unchanged register answers 304 to the
tag it gave, and no tag (nor kept answer) survives a change."""

from __future__ import annotations

import math
import re
import uuid

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.orm import Session

from registry.publishing.authority import Actor
from registry.publishing.disclosures import correct_disclosure
from tests.conftest import serving

CENTRE = (115.89, 28.68)  # the demo's city


def tile_of(z: int, lon: float, lat: float) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


@pytest.fixture(scope="module")
def servers(demo_data, database_url, tmp_path_factory):
    log = tmp_path_factory.mktemp("cache")
    with (
        serving(database_url, log / "a.log") as kept,
        serving(database_url, log / "b.log", REGISTRY_API_CACHE_MB="0") as fresh,
    ):
        with demo_data.connect() as conn:
            codes = conn.scalars(text("SELECT code FROM projects ORDER BY code")).all()
        yield f"http://127.0.0.1:{kept}", f"http://127.0.0.1:{fresh}", codes


def paths(codes: list[str]) -> st.SearchStrategy[str]:
    def tile(z: int, dx: int, dy: int) -> str:
        x, y = tile_of(z, *CENTRE)
        return f"/tiles/{z}/{x + dx}/{y + dy}.mvt"

    return st.one_of(
        st.sampled_from(["/", "/report", "/lists", "/catalog", "/feeds/disclosures.atom",
                         "/changes?limit=5",
                         "/tiles/tilejson.json", "/ogc/collections"]),
        st.builds(lambda p: f"/projects?page={p}", st.integers(1, 3)),
        st.builds(lambda c: f"/projects/{c}", st.sampled_from(codes)),
        st.builds(lambda k, o: f"/ogc/collections/projects/items?limit={k}&offset={o}",
                  st.integers(1, 20), st.integers(0, 30)),
        st.builds(tile, st.integers(8, 14), st.integers(-1, 1), st.integers(-1, 1)),
        st.builds(lambda k: f"/graphql?query={{projects(first:{k}){{edges{{node{{code name}}}}}}}}",
                  st.integers(1, 10)),
    )  # fmt: skip


STAMP = re.compile(rb'"timeStamp":"[^"]*"')


def same(body: bytes, fresh: str, kept: str) -> bytes:
    """The fresh server's answer as the caching one would say it (its own address); OGC's
    timeStamp (when the answer was made: a kept answer keeps its own) left out."""
    return STAMP.sub(b"", body.replace(fresh.encode(), kept.encode()))


def write(engine, kind: str, pick: int) -> None:
    """A change the public sees, of one of three kinds."""
    with Session(engine) as session:
        if kind == "correction":
            ids = session.scalars(text("SELECT id FROM public_disclosures ORDER BY id")).all()
            correct_disclosure(session, Actor(path="test:system"), ids[pick % len(ids)],
                               "缓存测试", title=f"更正后的标题 {uuid.uuid4().hex[:6]}")  # fmt: skip
        elif kind == "link":
            urls = session.scalars(text(
                "SELECT DISTINCT d ->> 'url' FROM public_disclosures x, "
                "jsonb_array_elements(x.documents) d ORDER BY 1")).all()  # fmt: skip
            session.execute(text(
                "INSERT INTO links (url, state, state_since, checked_at) "
                "VALUES (:u, 'broken', now(), now()) ON CONFLICT (url) DO UPDATE SET "
                "state = CASE links.state WHEN 'broken' THEN 'ok' ELSE 'broken' END"),
                {"u": urls[pick % len(urls)]})  # fmt: skip
        else:  # the calendar rewritten (registry calendar update)
            from registry.compliance.calendar import refresh

            refresh(session.connection())
        session.commit()


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_no_kept_answer_survives_a_change(servers, demo_data, data):
    kept, fresh, codes = servers
    reads = data.draw(st.lists(paths(codes), min_size=3, max_size=6, unique=True), label="reads")
    tags = {}
    with httpx.Client(timeout=60) as client:
        stream = client.get(f"{kept}/changes?limit=5")  # polled: never kept, never tagged
        assert "etag" not in stream.headers and stream.headers["cache-control"] == "no-store"
        reads = [p for p in reads if not p.startswith("/changes")] or ["/"]
        for path in reads:
            first = client.get(kept + path)
            again = client.get(kept + path)  # kept: the same bytes, the same tag
            assert first.status_code in (200, 204), (path, first.text[:200])
            assert first.headers["etag"] == again.headers["etag"] and first.content == again.content
            assert first.headers["cache-control"] == "public, no-cache"
            assert same(client.get(fresh + path).content, fresh, kept) == STAMP.sub(
                b"", first.content
            ), path
            unchanged = client.get(kept + path, headers={"If-None-Match": first.headers["etag"]})
            assert unchanged.status_code == 304 and not unchanged.content
            tags[path] = first.headers["etag"]
        kind = data.draw(st.sampled_from(["correction", "link", "calendar"]), label="write")
        write(demo_data, kind, data.draw(st.integers(0, 10_000), label="pick"))
        for path in reads:
            after = client.get(kept + path, headers={"If-None-Match": tags[path]})
            assert after.status_code in (200, 204), (kind, path)
            assert after.headers["etag"] != tags[path], (kind, path)
            assert STAMP.sub(b"", after.content) == same(
                client.get(fresh + path).content, fresh, kept
            ), (
                kind,
                path,
            )


def test_private_and_refused_answers_carry_no_tag(servers, keys):
    kept, _, _ = servers
    with httpx.Client(timeout=60) as client:
        keyed = client.get(
            f"{kept}/links/report.csv", headers={"Authorization": f"Bearer {keys['fgw']}"}
        )
        assert keyed.status_code == 200 and "etag" not in keyed.headers
        assert keyed.headers["cache-control"] == "private, no-store"
        assert "etag" not in client.get(f"{kept}/projects/nope").headers
        assert "etag" not in client.get(f"{kept}/metrics").headers
        assert "etag" not in client.post(f"{kept}/graphql", json={"query": "{__typename}"}).headers
        authorised = client.get(f"{kept}/graphql?query={{__typename}}",
                                headers={"Authorization": f"Bearer {keys['fgw']}"})  # fmt: skip
        assert "etag" not in authorised.headers

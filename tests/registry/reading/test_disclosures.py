"""Each revision keeps its own fate, and every field answered as of a moment is its value
at that moment.

An item's life is generated (published, corrected 0-3 times with reasons, perhaps
withdrawn), its events spread over time (some across China's midnight); the API is asked
at every event and between every pair of events, and each answer is held against what the
events alone say it must be (the reference below, independent of the SQL): which revision
is current, each revision's status (superseded by which correction and why, or withdrawn),
the item's withdrawal (once, for the item), content hidden once withdrawn, and whether the
item is in the public list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from registry import publishing as pub
from registry.publishing import Actor
from tests.registry.factories import PROJECT_CODE, approval_input, seeded

pytestmark = pytest.mark.generated
UTC = dt.UTC
REVISION = (
    "id revision status publishedAt correctionReason supersededAt supersededReason "
    "supersededBy withdrawnReason withdrawnAt elements"
)
ONE = (
    "query($id: ID!, $at: Timestamp) { disclosure(id: $id, asOf: $at) { id status revision "
    "title withdrawal { at reason by { code } } currentRevision { id } "
    f"history {{ {REVISION} }} ... on ApprovalResultDisclosure {{ approvalDocNo }} }} }}"
)
LISTED = (
    "query($code: String!, $at: Timestamp) { disclosures(filter: {projectCode: $code}, "
    "asOf: $at, first: 100) { nodes { id revision status withdrawal { reason } } } "
    "project(code: $code, asOf: $at) { approvalResults { id revision status "
    "withdrawal { reason } approvalDocNo } } }"
)


@dataclass
class Life:
    """What happened to one item: revision i published at ``times[i]``, corrected for
    ``reasons[i]`` (i ≥ 1); withdrawn at ``withdrawn`` for ``why``."""

    ids: list[int]
    times: list[dt.datetime]
    reasons: list[str | None]
    withdrawn: dt.datetime | None
    why: str | None

    def expected(self, at: dt.datetime) -> dict | None:
        """The item as the public saw it at ``at``: None before its first publication."""
        published = [i for i, t in enumerate(self.times) if t <= at]
        if not published:
            return None
        current = published[-1]
        gone = self.withdrawn is not None and self.withdrawn <= at
        revisions = []
        for i in published:
            nxt = i + 1 if i + 1 in published else None
            status = "SUPERSEDED" if nxt is not None else ("WITHDRAWN" if gone else "PUBLISHED")
            revisions.append({
                "id": str(self.ids[i]),
                "revision": i + 1,
                "status": status,
                "correctionReason": self.reasons[i],
                "supersededBy": str(self.ids[nxt]) if nxt is not None else None,
                "supersededReason": self.reasons[nxt] if nxt is not None else None,
                "supersededAt": stamp(self.times[nxt]) if nxt is not None else None,
                "withdrawnReason": self.why if status == "WITHDRAWN" else None,
                "withdrawnAt": stamp(self.withdrawn) if status == "WITHDRAWN" else None,
                "hidden": gone,
            })  # fmt: skip
        return {"current": self.ids[current], "revisions": revisions, "withdrawn": gone}


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@st.composite
def lives(draw) -> tuple[int, list[int], bool]:
    corrections = draw(st.integers(0, 3))
    withdrawn = draw(st.booleans())
    # gaps in minutes: a few minutes to a few days; the first event near China's midnight
    gaps = draw(st.lists(st.integers(1, 5 * 24 * 60), min_size=corrections + withdrawn,
                         max_size=corrections + withdrawn))  # fmt: skip
    return corrections, gaps, withdrawn


@pytest.fixture
def api(session, system, live_server):
    seeded(session, system)
    session.execute(text("UPDATE projects SET created_at = '2020-01-01'"))  # known by then
    session.commit()
    with httpx.Client(base_url=f"http://127.0.0.1:{live_server}", timeout=30) as client:
        yield client


def ask(client: httpx.Client, query: str, **variables) -> dict:
    answer = client.post("/graphql", json={"query": query, "variables": variables})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert "errors" not in body, body
    return body["data"]


def test_every_field_as_of_every_moment_is_its_value_then(api, session):
    fgw = Actor(path="test:history", department="FGW")
    counter = iter(range(10**6))

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(life=lives(), start_minute=st.integers(-90, 90))
    def check(life, start_minute):
        corrections, gaps, withdrawn = life
        n = next(counter)
        # the first publication around China's midnight (16:00 UTC) of 2025-06-0n
        first = dt.datetime(2025, 6, 1 + n % 28, 16, 0, tzinfo=UTC) + dt.timedelta(
            minutes=start_minute
        )
        times = [first]
        for gap in gaps:
            times.append(times[-1] + dt.timedelta(minutes=gap))
        row = pub.publish_disclosure(session, fgw, approval_input(ref=f"H{n}")).record
        ids, reasons = [row.id], [None]
        for k in range(corrections):
            reason = f"更正{k + 1}"
            row = pub.correct_disclosure(session, fgw, row.id, reason=reason,
                                         elements={"approval_doc_no": f"洪发改〔{n}〕{k}号"}).record  # fmt: skip
            ids.append(row.id)
            reasons.append(reason)
        why = None
        if withdrawn:
            why = f"撤回{n}"
            pub.withdraw_disclosure(session, fgw, row.id, reason=why)
        # the events at their generated moments (the write path stamps "now")
        for i, disclosure_id in enumerate(ids):
            session.execute(text("UPDATE disclosures SET published_at = :at, "
                                 "first_published_at = :first WHERE id = :id"),
                            {"at": times[i], "first": first, "id": disclosure_id})  # fmt: skip
        gone = times[len(ids)] if withdrawn else None
        if withdrawn:
            session.execute(text("UPDATE disclosures SET withdrawn_at = :at WHERE id = :id"),
                            {"at": gone, "id": ids[-1]})  # fmt: skip
        session.commit()
        story = Life(ids, times[: len(ids)], reasons, gone, why)
        events = sorted(set(times))
        moments = [events[0] - dt.timedelta(seconds=1), *events]
        moments += [a + (b - a) / 2 for a, b in zip(events, events[1:], strict=False)]
        moments += [events[-1] + dt.timedelta(days=1)]
        for at in moments:
            expected = story.expected(at)
            for asked in ids:
                got = ask(api, ONE, id=str(asked), at=stamp(at))["disclosure"]
                revision_index = ids.index(asked)
                if expected is None or revision_index >= len(expected["revisions"]):
                    assert got is None, (at, asked, got)
                    continue
                mine = expected["revisions"][revision_index]
                assert got["status"] == mine["status"], (at, mine, got)
                assert got["currentRevision"]["id"] == str(expected["current"])
                if expected["withdrawn"]:
                    assert got["withdrawal"]["reason"] == why and got["approvalDocNo"] is None
                else:
                    assert got["withdrawal"] is None and got["approvalDocNo"] is not None
                history = got["history"]
                assert [h["id"] for h in history] == [r["id"] for r in expected["revisions"]]
                for seen, want in zip(history, expected["revisions"], strict=True):
                    hidden = want["hidden"]
                    want = {k: v for k, v in want.items() if k != "hidden"}
                    assert {k: seen[k] for k in want} == want, (at, seen, want)
                    assert (seen["elements"] == {}) is hidden
            listed = ask(api, LISTED, code=PROJECT_CODE, at=stamp(at))
            mine = [d for d in listed["disclosures"]["nodes"] if int(d["id"]) in ids]
            shown = [d for d in listed["project"]["approvalResults"] if int(d["id"]) in ids]
            if expected is None or expected["withdrawn"]:
                assert mine == [] and shown == [], (at, mine, shown)
            else:
                want = {"id": str(expected["current"]), "revision": len(expected["revisions"]),
                        "status": "PUBLISHED", "withdrawal": None}  # fmt: skip
                assert mine == [want], (at, mine)
                assert [{k: d[k] for k in want} for d in shown] == [want], (at, shown)

    check()


def test_correct_then_withdraw_keeps_each_revision_s_fate(api, session):
    """The story of the issue: revision 1 was superseded by the correction (reason A); the
    withdrawal (reason B) is revision 2's and the item's, once."""
    fgw = Actor(path="test:history", department="FGW")
    first = pub.publish_disclosure(session, fgw, approval_input(ref="A")).record
    second = pub.correct_disclosure(session, fgw, first.id, reason="A 文号更正",
                                    elements={"approval_doc_no": "洪发改〔2023〕99号"}).record  # fmt: skip
    pub.withdraw_disclosure(session, fgw, second.id, reason="B 重复发布")
    never = pub.publish_disclosure(session, fgw, approval_input(ref="N")).record
    pub.withdraw_disclosure(session, fgw, never.id, reason="C 发布错误")
    session.commit()
    history = ask(api, ONE, id=str(first.id))["disclosure"]["history"]
    assert [(h["revision"], h["status"], h["supersededReason"], h["withdrawnReason"])
            for h in history] == [(1, "SUPERSEDED", "A 文号更正", None),
                                  (2, "WITHDRAWN", None, "B 重复发布")]  # fmt: skip
    assert history[0]["supersededBy"] == str(second.id)
    lone = ask(api, ONE, id=str(never.id))["disclosure"]
    assert [(h["status"], h["withdrawnReason"]) for h in lone["history"]] == [
        ("WITHDRAWN", "C 发布错误")
    ]
    assert lone["withdrawal"]["reason"] == "C 发布错误"
    page = api.get(f"/projects/{PROJECT_CODE}").text
    assert "被第 2 版更正，原因：A 文号更正" in page and page.count("B 重复发布") == 1

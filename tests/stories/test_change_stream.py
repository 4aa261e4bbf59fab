"""Every public change, exactly once, in commit order, while many write at once.

Writers commit concurrently and out of order against the demo register: single
publications, batches (the loaders' path), corrections and withdrawals through the
publishing functions, each holding its transaction open for a random moment after writing
(as a large load does), and corrections through the GraphQL mutation on the real server.
Meanwhile consumers follow ``/changes`` (and GraphQL ``changes``) with small pages and
random pauses. Afterwards every consumer's events are held against what the disclosures
table says happened: each new public revision published or corrected once, each withdrawal
once, nothing else, no duplicate, and per item the revisions in order with the withdrawal
last.

The harness proves it can fail: a consumer that follows the events numbered at the write
(``change_events.id``, what a sequence taken inside the transaction gives) misses events
in the same run, because a transaction that took a lower number commits after the
consumer has passed it.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time

import httpx
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from registry import publishing as pub
from registry.errors import RegistryError
from registry.models import Disclosure
from registry.publishing import Actor

WRITERS = 6
OPERATIONS = 30  # per writer
SYSTEM = Actor(path="test:change-stream", is_admin=True)


def _current_public(session: Session, rng: random.Random) -> Disclosure | None:
    rows = session.scalars(
        select(Disclosure)
        .where(
            Disclosure.status == "published",
            Disclosure.audience == "public",
            Disclosure.mode == "proactive",
        )
        .order_by(Disclosure.id)  # fmt: skip
    ).all()
    return rng.choice(rows) if rows else None


def _copy(row: Disclosure, ref: str) -> pub.DisclosureInput:
    return pub.DisclosureInput(
        project_code=row.project.code, item=row.item_key, formed_on=row.formed_on,
        elements=dict(row.elements), title=f"{row.title}（{ref}）", ref=ref,
        publisher=row.publisher.code,
    )  # fmt: skip


def _writer(engine, seed: int, done: list[str], failures: list[BaseException]) -> None:
    rng = random.Random(seed)
    try:
        for n in range(OPERATIONS):
            with Session(engine) as session:
                row = _current_public(session, rng)
                assert row is not None
                choice = rng.random()
                try:
                    if choice < 0.35:
                        pub.correct_disclosure(session, SYSTEM, row.id, reason=f"更正{seed}-{n}",
                                               title=f"{row.title.split('·')[0]}·{seed}-{n}")  # fmt: skip
                    elif choice < 0.45:
                        pub.withdraw_disclosure(session, SYSTEM, row.id, reason=f"撤回{seed}-{n}")
                    elif choice < 0.75:
                        pub.publish_disclosure(session, SYSTEM, _copy(row, f"w{seed}-{n}"))
                    else:  # a batch, as a loader writes it
                        pub.publish_disclosures(
                            session, SYSTEM,
                            [_copy(row, f"b{seed}-{n}-{k}") for k in range(rng.randint(2, 8))],
                        )  # fmt: skip
                    time.sleep(rng.uniform(0, 0.03))  # committed later than written
                    # and a moment between the number taken at commit and the commit
                    pause = f"{rng.uniform(0, 0.01):.4f}"
                    session.execute(text(f"SET LOCAL registry.seal_pause = '{pause}'"))
                    session.commit()
                    done.append(f"{seed}-{n}")
                except RegistryError:  # another writer took the same item first
                    session.rollback()
    except BaseException as exc:  # noqa: BLE001 - reported by the test
        failures.append(exc)


def _mutation_writer(base: str, key: str, engine, stop: threading.Event, done: list) -> None:
    """Corrections of 发改委's items through the real server, as a department sends them."""
    with httpx.Client(timeout=30, headers={"Authorization": f"Bearer {key}"}) as http:
        _mutations(base, http, engine, stop, done)


def _mutations(base: str, http: httpx.Client, engine, stop: threading.Event, done: list) -> None:
    rng = random.Random(99)
    n = 0
    while not stop.is_set() and n < 40:
        with engine.connect() as conn:
            ids = conn.scalars(text(
                "SELECT d.id FROM public_disclosures d JOIN departments p ON p.id = d.publisher_id"
                " WHERE p.code = 'NCFGW' ORDER BY d.id"
            )).all()  # fmt: skip
        reply = http.post(f"{base}/graphql", json={
            "query": "mutation($id: ID!, $t: String) { correctDisclosure(id: $id, "
                     "reason: \"接口更正\", title: $t) { userErrors { message } } }",
            "variables": {"id": str(rng.choice(ids)), "t": f"接口更正 {n}"},
        })  # fmt: skip
        assert reply.status_code == 200, reply.text
        if not reply.json()["data"]["correctDisclosure"]["userErrors"]:
            done.append(f"m{n}")
        n += 1


class Consumer:
    """Follows /changes (or GraphQL) with small pages and pauses; keeps what it received."""

    def __init__(self, base: str, seed: int, graphql: bool = False) -> None:
        self.base, self.rng, self.graphql = base, random.Random(seed), graphql
        self.http = httpx.Client(timeout=30)
        self.cursor = ""
        self.events: list[dict] = []

    def poll(self) -> bool:
        """One page; whether more is waiting."""
        size = self.rng.randint(1, 7)
        if self.graphql:
            body = self.http.post(f"{self.base}/graphql", json={
                "query": "query($a: String, $n: Int) { changes(after: $a, first: $n, "
                         "filter: {kinds: [\"item\"]}) { endCursor hasMore "
                         "events { cursor seq kind data } } }",
                "variables": {"a": self.cursor or None, "n": size},
            }).json()["data"]["changes"]  # fmt: skip
            self.events += body["events"]
            self.cursor = body["endCursor"]
            return body["hasMore"]
        reply = self.http.get(f"{self.base}/changes",
                              params={"after": self.cursor, "limit": size, "kind": "item"})  # fmt: skip
        assert reply.status_code == 200, reply.text
        import json

        self.events += [json.loads(line) for line in reply.text.splitlines()]
        self.cursor = reply.headers["Registry-Next-Cursor"]
        return reply.headers["Registry-Has-More"] == "true"

    def follow(self, stop: threading.Event, failures: list) -> None:
        try:
            while not stop.is_set():
                self.poll()
                time.sleep(self.rng.uniform(0, 0.02))
            while self.poll():  # the rest, once every writer has finished
                pass
        except BaseException as exc:  # noqa: BLE001
            failures.append(exc)
        finally:
            self.http.close()


class NaiveConsumer:
    """What a stream numbered at the write gives: events by id, committed ones only."""

    def __init__(self, engine, start: int) -> None:
        self.engine, self.last, self.seen = engine, start, []

    def follow(self, stop: threading.Event) -> None:
        while not stop.is_set():
            with self.engine.connect() as conn:
                rows = conn.execute(text(
                    "SELECT id, disclosure_id, kind FROM change_events WHERE id > :last"
                    " AND kind LIKE 'item.%' ORDER BY id LIMIT 5"), {"last": self.last}).all()  # fmt: skip
            if rows:
                self.last = rows[-1].id
                self.seen += [(r.kind, r.disclosure_id) for r in rows]
            time.sleep(0.001)


def _truth(engine, since: int, started: dt.datetime) -> set[tuple[str, int]]:
    """What happened, from the disclosures themselves (not from the events)."""
    with engine.connect() as conn:
        added = conn.execute(text(
            "SELECT id, replaces_id FROM disclosures WHERE id > :since"
            " AND audience = 'public' AND mode = 'proactive' AND published_at IS NOT NULL"),
            {"since": since}).all()  # fmt: skip
        withdrawn = conn.scalars(
            text("SELECT id FROM disclosures WHERE withdrawn_at >= :started"), {"started": started}
        ).all()
    return {("item.corrected" if r.replaces_id else "item.published", r.id) for r in added} | {
        ("item.withdrawn", i) for i in withdrawn
    }


def test_every_consumer_gets_every_public_change_once_in_commit_order(demo_data, keys, live_server):
    engine = demo_data
    base = f"http://127.0.0.1:{live_server}"
    with engine.connect() as conn:
        since = conn.scalar(text("SELECT max(id) FROM disclosures"))
        started = conn.scalar(text("SELECT now()"))
        first_event = conn.scalar(text("SELECT coalesce(max(id), 0) FROM change_events"))
    # consumers start from now: what the demo load wrote is not this test's business
    with httpx.Client() as http:
        start_cursor = http.get(f"{base}/changes", params={"after": "latest"}).headers[
            "Registry-Next-Cursor"
        ]
    stop_consumers, stop_mutations = threading.Event(), threading.Event()
    failures: list[BaseException] = []
    done: list[str] = []
    consumers = [Consumer(base, seed) for seed in range(3)] + [Consumer(base, 7, graphql=True)]
    for consumer in consumers:
        consumer.cursor = start_cursor
    naive = NaiveConsumer(engine, first_event)
    threads = [threading.Thread(target=c.follow, args=(stop_consumers, failures))
               for c in consumers]  # fmt: skip
    threads.append(threading.Thread(target=naive.follow, args=(stop_consumers,)))
    writers = [threading.Thread(target=_writer, args=(engine, seed, done, failures))
               for seed in range(WRITERS)]  # fmt: skip
    mutations = threading.Thread(
        target=_mutation_writer, args=(base, keys["fgw"], engine, stop_mutations, done)
    )
    for thread in [*threads, *writers, mutations]:
        thread.start()
    for writer in writers:
        writer.join()
    stop_mutations.set()
    mutations.join()
    stop_consumers.set()
    for thread in threads:
        thread.join()
    assert not failures, failures

    truth = _truth(engine, since, started)
    assert len(done) > WRITERS * OPERATIONS // 2 and len(truth) > 150
    for consumer in consumers:
        received = [(e["kind"], e["data"]["id"]) for e in consumer.events]
        assert len(received) == len(set(received)), "a change came twice"
        assert set(received) == truth, (
            f"missing {sorted(truth - set(received))[:5]}, extra {sorted(set(received) - truth)[:5]}"
        )
        seqs = [e["seq"] for e in consumer.events]
        assert seqs == sorted(seqs)
        by_item: dict[int, list[tuple[int, str]]] = {}
        for e in consumer.events:
            by_item.setdefault(e["data"]["lineage_id"], []).append(
                (e["data"]["revision"], e["kind"])
            )
        for history in by_item.values():
            revisions = [r for r, _ in history]
            assert revisions == sorted(revisions), history
            kinds = [k for _, k in history]
            assert "item.withdrawn" not in kinds[:-1], history

    # the same run, numbered at the write: events committed late are passed over
    naive_missed = truth - set(naive.seen)
    assert naive_missed, "the harness saw no commit out of order: it cannot tell"

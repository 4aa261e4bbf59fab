"""The change stream: every public change, oldest first, after a cursor (migration 0014).

An event is what the triggers recorded in the transaction that made the change; it becomes
readable when that transaction has committed and been numbered (``change_commits.seq``,
handed out in commit order). A cursor is ``"<seq>-<event id>"``: opaque to clients, tied to
this order, valid forever. Asking again with the last cursor received gives every later
change exactly once. PostgreSQL writes each event's JSON; Python only passes it on.

An item withdrawn since keeps its events (so a mirror can follow what happened) but not its
content: their titles read as a withdrawn item's do, as in the Atom feed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from registry.catalog import Category
from registry.errors import InvalidInput, not_one_of
from registry.identifiers import region_prefix
from registry.language import say
from registry.reading.disclosures import WITHDRAWN_TITLE

KINDS = (
    "project.registered",
    "project.changed",
    "project.sites_replaced",
    "item.published",
    "item.corrected",
    "item.withdrawn",
    "responsibility.assigned",
    "responsibility.changed",
    "responsibility.removed",
    "list.issued",
    "list.changed",
    "list.entry_added",
    "list.entry_removed",
    "scope.designated",
    "declaration.made",
    "declaration.withdrawn",
)
FAMILIES = sorted({k.split(".")[0] for k in KINDS})
CURSOR = re.compile(r"(\d{1,18})-(\d{1,18})")
START = (0, 0)


@dataclass(frozen=True)
class ChangeFilter:
    region: str | None = None
    department: str | None = None
    category: list[str] = field(default_factory=list)
    project: str | None = None
    kinds: list[str] = field(default_factory=list)


def parse_cursor(value: str | None, where: str = "after") -> tuple[int, int]:
    """``None`` or ``""`` is the beginning of the stream."""
    if not value:
        return START
    found = CURSOR.fullmatch(value.strip())
    if not found:
        message = say(
            "{value!r} is not a cursor of the change stream (give back a cursor it sent)",
            value=value[:80],
        )
        raise InvalidInput.one(where, "bad_cursor", message)
    return int(found[1]), int(found[2])


def kinds_of(values: list[str], where: str = "kinds") -> list[str]:
    """Kinds as asked: each a kind (``item.published``) or a family (``item``)."""
    chosen: list[str] = []
    for value in values:
        if value in KINDS:
            chosen.append(value)
        elif value in FAMILIES:
            chosen += [k for k in KINDS if k.startswith(value + ".")]
        else:
            raise InvalidInput([not_one_of(where, value, [*FAMILIES, *KINDS])])
    return chosen


def change_filter(given: Any, prefix: str = "", kinds_name: str = "kinds") -> ChangeFilter:
    """The filter of ``changes`` from a mapping (a GraphQL input, a subscription's stored
    filter, query parameters made a dict): categories and kinds checked, a refusal naming
    ``prefix + "category"`` or ``prefix + kinds_name``."""
    return ChangeFilter(
        region=given.get("region") or None,
        department=given.get("department") or None,
        category=categories_of(
            [getattr(c, "value", c) for c in given.get("category") or []], f"{prefix}category"
        ),
        project=given.get("project") or None,
        kinds=kinds_of(list(given.get(kinds_name) or []), f"{prefix}{kinds_name}"),
    )


def categories_of(values: list[str], where: str = "category") -> list[str]:
    known = [c.value for c in Category]
    for value in values:
        if value not in known:
            raise InvalidInput([not_one_of(where, value, known)])
    return values


_EVENT = f"""
json_build_object(
  'cursor', x.seq || '-' || x.id,
  'seq', x.seq,
  'kind', x.kind,
  'at', x.committed_at,
  'project', p.code,
  'region', coalesce(p.region_code, l.region_code),
  'department', d.code,
  'category', x.category,
  'item', x.item_key,
  'list', x.list_id,
  'data', CASE WHEN x.lineage_id IS NOT NULL AND EXISTS (
              SELECT FROM disclosures w
               WHERE w.lineage_id = x.lineage_id AND w.withdrawn_at IS NOT NULL)
            THEN x.body || jsonb_build_object(
              'title', '{WITHDRAWN_TITLE}', 'correction_reason', NULL, 'item_withdrawn', true)
            ELSE x.body END
)::text"""


def _shown(order: str) -> str:
    """Each event of the CTE ``page`` as the public sees it, in ``order``."""
    return f"""SELECT {_EVENT} AS event, x.seq, x.id
  FROM page x
  LEFT JOIN projects p ON p.id = x.project_id
  LEFT JOIN departments d ON d.id = x.department_id
  LEFT JOIN project_lists l ON l.id = x.list_id
 ORDER BY {order}"""


def _conditions(chosen: ChangeFilter, binds: dict[str, Any]) -> str:
    where = []
    if chosen.kinds:
        where.append("e.kind = ANY(:kinds)")
        binds["kinds"] = chosen.kinds
    if chosen.category:
        where.append("e.category = ANY(:categories)")
        binds["categories"] = chosen.category
    if chosen.department:
        where.append("e.department_id = (SELECT id FROM departments WHERE code = :department)")
        binds["department"] = chosen.department
    if chosen.project:
        where.append("e.project_id = (SELECT id FROM projects WHERE code = :project)")
        binds["project"] = chosen.project
    if chosen.region:
        binds["region"] = region_prefix(chosen.region) + "%"
        where.append(
            "(e.project_id IN (SELECT id FROM projects WHERE region_code LIKE :region)"
            " OR e.list_id IN (SELECT id FROM project_lists WHERE region_code LIKE :region))"
        )
    return "".join(f" AND {w}" for w in where)


def page_statement(chosen: ChangeFilter, after: tuple[int, int], limit: int) -> tuple[Any, dict]:
    """The events after ``after`` in commit order, at most ``limit``: the rest of the
    transaction the cursor is in, then later transactions (two index-ordered branches, so
    PostgreSQL reads no more than the page)."""
    binds: dict[str, Any] = {"seq": after[0], "id": after[1], "limit": limit}
    extra = _conditions(chosen, binds)
    sql = f"""
WITH page AS (
  (SELECT c.seq, c.committed_at, e.* FROM change_commits c
    CROSS JOIN LATERAL (SELECT * FROM change_events e
                         WHERE e.txid = c.txid AND e.id > :id{extra}
                         ORDER BY e.id LIMIT :limit) e
    WHERE c.seq = :seq)
  UNION ALL
  (SELECT c.seq, c.committed_at, e.* FROM change_commits c
    CROSS JOIN LATERAL (SELECT * FROM change_events e
                         WHERE e.txid = c.txid{extra}
                         ORDER BY e.id LIMIT :limit) e
    WHERE c.seq > :seq
    ORDER BY c.seq, e.id LIMIT :limit)
)
{_shown("x.seq, x.id")}
 LIMIT :limit"""
    return text(sql), binds


def body_statement(chosen: ChangeFilter, after: tuple[int, int], limit: int) -> tuple[Any, dict]:
    """One row for a page: its JSON lines (each event and a newline) as PostgreSQL joined
    them, how many, the last one's (seq, id), and whether more follow — no Python per event.
    """
    rows, binds = page_statement(chosen, after, limit + 1)
    binds["shown"] = limit
    sql = f"""
WITH rows AS ({rows.text}),
numbered AS (SELECT event, seq, id, row_number() OVER (ORDER BY seq, id) AS n FROM rows)
SELECT coalesce(string_agg(event || E'\\n', '' ORDER BY n) FILTER (WHERE n <= :shown), '')
         AS body,
       count(*) FILTER (WHERE n <= :shown) AS shown,
       count(*) > :shown AS more,
       (array_agg(seq ORDER BY n DESC) FILTER (WHERE n <= :shown))[1] AS last_seq,
       (array_agg(id ORDER BY n DESC) FILTER (WHERE n <= :shown))[1] AS last_id
  FROM numbered"""
    return text(sql), binds


def newest_statement(
    chosen: ChangeFilter, before: tuple[int, int] | None, limit: int
) -> tuple[Any, dict]:
    """The newest events before ``before`` (or the newest of all), newest first: for the
    Atom feed, whose readers want the latest on top."""
    top = before or (2**62, 0)
    binds: dict[str, Any] = {"bseq": top[0], "bid": top[1] if before else 2**62, "limit": limit}
    extra = _conditions(chosen, binds)
    sql = f"""
WITH page AS (
  SELECT c.seq, c.committed_at, e.* FROM change_commits c
   CROSS JOIN LATERAL (SELECT * FROM change_events e
                        WHERE e.txid = c.txid AND (c.seq, e.id) < (:bseq, :bid){extra}
                        ORDER BY e.id DESC LIMIT :limit) e
   WHERE c.seq <= :bseq
   ORDER BY c.seq DESC, e.id DESC LIMIT :limit
)
{_shown("x.seq DESC, x.id DESC")}"""
    return text(sql), binds


async def newest(
    conn: AsyncConnection, chosen: ChangeFilter, before: tuple[int, int] | None, limit: int
) -> list[str]:
    statement, binds = newest_statement(chosen, before, limit)
    await conn.execute(text("SET LOCAL jit = off"))
    return [r.event for r in (await conn.execute(statement, binds)).all()]


@dataclass
class ChangePage:
    body: str  # the events' JSON texts, each followed by a newline, as PostgreSQL wrote them
    count: int
    end: tuple[int, int]  # the cursor to ask after next (the given one when nothing came)
    has_more: bool

    @property
    def events(self) -> list[str]:
        return self.body.splitlines()  # JSON text holds no raw newline

    @property
    def end_cursor(self) -> str:
        return f"{self.end[0]}-{self.end[1]}"


async def page(
    conn: AsyncConnection, chosen: ChangeFilter, after: tuple[int, int], limit: int
) -> ChangePage:
    statement, binds = body_statement(chosen, after, limit)
    # the planner cannot know a transaction's events are few or many: its estimates for
    # the stream run high, and JIT would spend 300 ms compiling a page read in 1
    await conn.execute(text("SET LOCAL jit = off"))
    row = (await conn.execute(statement, binds)).one()
    end = (row.last_seq, row.last_id) if row.shown else after
    return ChangePage(row.body, row.shown, end, row.more)


HEAD = (
    "SELECT c.seq, max(e.id) AS id FROM change_commits c JOIN change_events e ON e.txid = c.txid"
    " WHERE c.seq = (SELECT max(seq) FROM change_commits) GROUP BY c.seq"
)
"""The stream's head: the newest readable event's (seq, id); no row for an empty stream.
SQL text, for the statements that start from it (a new subscription, the delivery queue)."""


async def latest_cursor(conn: AsyncConnection) -> str:
    """The cursor of the newest readable event: where a new mirror that wants only what
    happens from now on starts."""
    row = (await conn.execute(text(HEAD))).first()
    return f"{row.seq}-{row.id}" if row else "0-0"

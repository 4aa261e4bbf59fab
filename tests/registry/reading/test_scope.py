"""Which projects are major on a day, and each list's accountability, held against an
independent recomputation over generated lists.

A world is generated on the demo projects: lists (issued on a day, perhaps ending), their
entries (added on a day, perhaps removed), administrators' designations, scope rules, and
declarations (made at a moment, perhaps withdrawn). The SQL (registry/reading/scope.py) is
asked on several days and must say what the rows alone say: the reference below reads the
raw rows and applies the rules in Python (the public items at a moment come from the
``public_disclosures_at`` function, tested on its own in test_disclosures.py; the timeliness
rule from its Python reference, ``timeliness.judge``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, literal, select, text

from registry.catalog import get_catalog
from registry.catalog.scope import ScopeRule
from registry.clock import CST
from registry.compliance import timeliness
from registry.compliance.scores import completeness
from registry.db import Database
from registry.reading import scope
from registry.reading.tables import P

pytestmark = pytest.mark.generated
START = dt.date(2023, 1, 1)
RULES = [
    ScopeRule(key="big", name_zh="总投资100亿元及以上", name_en="big", min_investment=1_000_000),
    ScopeRule(
        key="rail",
        name_zh="轨道交通",
        name_en="rail",
        industries=("城市轨道交通",),
        project_types=("approval",),
    ),  # fmt: skip
]


def day(offset: int) -> dt.date:
    return START + dt.timedelta(days=offset)


@dataclass
class World:
    lists: list[tuple[int, int | None]]  # issued, ends (day offsets)
    entries: list[tuple[int, int, int, int | None]]  # list, project, added, removed
    designations: list[tuple[int, int, int | None]]  # project, from, until
    declarations: list[tuple[int, str, str | None, str, int, int | None]]
    rules: list[ScopeRule]


def worlds(rows: list[dict]) -> st.SearchStrategy[World]:
    """Worlds on these projects; declarations mostly on items due at the project's stage
    (where they matter), some on any item."""
    catalog = get_catalog()
    projects = len(rows)
    anything = [(c.category.value, i.key) for c in catalog.categories for i in c.items]
    due = [
        [(catalog.known_item(k).category.value, k)
         for k in completeness(p["status"], p["project_type"], set()).expected] or anything
        for p in rows
    ]  # fmt: skip

    @st.composite
    def build(draw: st.DrawFn) -> World:
        lists = draw(st.lists(st.tuples(st.integers(0, 700),
                                        st.none() | st.integers(0, 500)), min_size=1, max_size=3))  # fmt: skip
        lists = [(issued, None if end is None else issued + end) for issued, end in lists]
        entries = []
        for list_no in range(len(lists)):
            for project in draw(st.sets(st.integers(0, projects - 1), max_size=projects)):
                added = draw(st.integers(0, 800))
                removed = draw(st.none() | st.integers(0, 300))
                entries.append(
                    (list_no, project, added, None if removed is None else added + removed)
                )
        designations = draw(st.lists(st.tuples(
            st.integers(0, projects - 1), st.integers(0, 800), st.none() | st.integers(1, 300)),
            max_size=3))  # fmt: skip
        designations = [(p, f, None if u is None else f + u) for p, f, u in designations]
        declarations = []
        for project in draw(st.sets(st.integers(0, projects - 1), max_size=12)):
            category, key = draw(st.sampled_from(due[project]) | st.sampled_from(anything))
            whole = draw(st.booleans())
            declarations.append((
                project, category, None if whole else key,
                draw(st.sampled_from(["not_applicable", "not_yet_formed"])),
                draw(st.integers(0, 1000)), draw(st.none() | st.integers(1, 400))))  # fmt: skip
        rules = draw(st.sampled_from([[], RULES[:1], RULES]))
        return World(lists, entries, designations, declarations, rules)

    return build()


@pytest.fixture(scope="module")
def projects(demo_data: Engine) -> list[dict]:
    with demo_data.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            select(P.c.id, P.c.code, P.c.status, P.c.project_type, P.c.industry,
                   P.c.investment).order_by(P.c.id))]  # fmt: skip


def store(engine: Engine, world: World, projects: list[dict]) -> list[int]:
    """The world's rows, written directly (the write path is tested in
    tests/registry/publishing/test_scope.py); returns the list ids."""
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE declarations, scope_designations, list_entries, "
                          "project_lists RESTART IDENTITY CASCADE"))  # fmt: skip
        issuer = conn.scalar(text("SELECT min(id) FROM departments"))
        ids = []
        for i, (issued, ends) in enumerate(world.lists):
            ids.append(conn.scalar(text(
                "INSERT INTO project_lists (name, level, year, region_code, issuer_id, "
                "issued_on, in_force_until) VALUES (:n, 'municipal', 2024, '360100', :i, :d, :e) "
                "RETURNING id"), {"n": f"名单{i}", "i": issuer, "d": day(issued),
                                  "e": None if ends is None else day(ends)}))  # fmt: skip
        for list_no, project, added, removed in world.entries:
            conn.execute(text(
                "INSERT INTO list_entries (list_id, project_id, added_on, removed_on, "
                "removed_reason) VALUES (:l, :p, :a, :r, CASE WHEN CAST(:r AS date) IS NULL "
                "THEN NULL ELSE '调出' END)"), {"l": ids[list_no], "p": projects[project]["id"],
                                 "a": day(added), "r": None if removed is None else day(removed)})  # fmt: skip
        for project, start, until in world.designations:
            conn.execute(text(
                "INSERT INTO scope_designations (project_id, reason, from_on, until_on, "
                "designated_by) VALUES (:p, '指定', :f, :u, 'test')"),
                {"p": projects[project]["id"], "f": day(start),
                 "u": None if until is None else day(until)})  # fmt: skip
        for project, category, key, kind, at, lasted in world.declarations:
            made = dt.datetime.combine(day(at), dt.time(9), tzinfo=CST)
            conn.execute(text(
                "INSERT INTO declarations (project_id, category, item_key, kind, reason, "
                "department_id, declared_at, withdrawn_at, withdrawn_reason) "
                "SELECT :p, :c, :k, :kind, '理由', department_id, :at, :w, "
                "CASE WHEN CAST(:w AS timestamptz) IS NULL THEN NULL ELSE '撤回' END FROM responsibilities "
                "WHERE project_id = :p AND category = :c ORDER BY id LIMIT 1"),
                {"p": projects[project]["id"], "c": category, "k": key, "kind": kind, "at": made,
                 "w": None if lasted is None else made + dt.timedelta(days=lasted)})  # fmt: skip
    return ids


# --- the reference -------------------------------------------------------------------------


def on_list_ref(world: World, list_no: int, project: int, on: dt.date) -> bool:
    issued, ends = world.lists[list_no]
    if not (day(issued) <= on and (ends is None or on <= day(ends))):
        return False
    return any(
        e[0] == list_no and e[1] == project and day(e[2]) <= on
        and (e[3] is None or on < day(e[3]))
        for e in world.entries
    )  # fmt: skip


def members_ref(world: World, list_no: int, on: dt.date) -> set[int]:
    """Current entries on the day, whether or not the list is in force (its own record)."""
    return {e[1] for e in world.entries if e[0] == list_no and day(e[2]) <= on
            and (e[3] is None or on < day(e[3]))}  # fmt: skip


def rule_ref(rule: ScopeRule, project: dict) -> bool:
    return (
        (not rule.project_types or project["project_type"] in rule.project_types)
        and (not rule.industries or project["industry"] in rule.industries)
        and (rule.min_investment is None
             or (project["investment"] is not None and project["investment"] >= rule.min_investment))
    )  # fmt: skip


def in_scope_ref(world: World, projects: list[dict], index: int, on: dt.date) -> bool:
    listed = any(on_list_ref(world, n, index, on) for n in range(len(world.lists)))
    designated = any(p == index and day(f) <= on and (u is None or on < day(u))
                     for p, f, u in world.designations)  # fmt: skip
    return listed or designated or any(rule_ref(r, projects[index]) for r in world.rules)


def declared_ref(world: World, projects: list[dict], moment: dt.datetime) -> dict:
    """(project id, category, item or None) -> kind, in force at the moment."""
    found = {}
    for project, category, key, kind, at, lasted in world.declarations:
        made = dt.datetime.combine(day(at), dt.time(9), tzinfo=CST)
        ended = None if lasted is None else made + dt.timedelta(days=lasted)
        if made <= moment and (ended is None or ended > moment):
            found[(projects[project]["id"], category, key)] = kind
    return found


def figures_ref(engine: Engine, world: World, projects: list[dict], list_no: int,
                on: dt.date) -> dict:  # fmt: skip
    catalog = get_catalog()
    moment = scope.end_of(on)
    with engine.connect() as conn:
        public = conn.execute(text(
            "SELECT project_id, item_key, formed_on, first_published_at "
            "FROM public_disclosures_at(:m)"), {"m": moment}).all()  # fmt: skip
        held = conn.execute(text(
            "SELECT r.project_id, r.category, r.item_keys, d.code FROM responsibilities r "
            "JOIN departments d ON d.id = r.department_id")).all()  # fmt: skip
    late: dict[tuple[int, str], bool] = {}
    for row in public:
        judged = timeliness.judge(catalog.known_item(row.item_key), row.formed_on,
                                  row.first_published_at, on)  # fmt: skip
        key = (row.project_id, row.item_key)
        late[key] = late.get(key, False) or judged.status == "late"
    declared = declared_ref(world, projects, moment)
    figures: dict[tuple[str, str], dict] = defaultdict(
        lambda: {"projects": set(), "due": 0, "published": 0, "on_time": 0, "late": 0,
                 "not_applicable": 0, "not_yet_formed": 0, "missing": []})  # fmt: skip
    for index in sorted(members_ref(world, list_no, on)):
        project = projects[index]
        expected = completeness(project["status"], project["project_type"], set()).expected
        for key in expected:
            category = catalog.known_item(key).category.value
            holders = {r.code for r in held if r.project_id == project["id"]
                       and r.category == category and (r.item_keys is None or key in r.item_keys)}  # fmt: skip
            for code in holders:
                f = figures[(category, code)]
                f["projects"].add(project["id"])
                f["due"] += 1
                said = declared.get((project["id"], category, key)) or declared.get(
                    (project["id"], category, None)
                )
                if (project["id"], key) in late:
                    f["published"] += 1
                    f["late" if late[(project["id"], key)] else "on_time"] += 1
                elif said:
                    f[said] += 1
                else:
                    f["missing"].append({"project": project["code"], "item": key})
    return {k: {**v, "projects": len(v["projects"]),
                "missing": sorted(v["missing"], key=lambda m: (m["project"], m["item"]))}
            for k, v in figures.items()}  # fmt: skip


# --- the test ------------------------------------------------------------------------------


def ask(engine: Engine, work):
    async def run():
        database = Database(url=engine.url.render_as_string(hide_password=False))
        try:
            async with database.read.connect() as conn:
                return await work(conn)
        finally:
            await database.aclose()

    return asyncio.run(run())


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_scope_and_list_figures_equal_the_reference(demo_data, projects, monkeypatch, data):
    world = data.draw(worlds(projects))
    events = {d for issued, ends in world.lists for d in (issued, ends) if d is not None}
    events |= {d for e in world.entries for d in e[2:] if d is not None}
    events |= {d for _, f, u in world.designations for d in (f, u) if d is not None}
    for *_, at, lasted in world.declarations:
        events |= {at} if lasted is None else {at, at + lasted}
    near = sorted({max(0, d + shift) for d in events for shift in (-1, 0, 1)})
    days = data.draw(st.lists(st.sampled_from(near) | st.integers(0, 1200), min_size=1,
                              max_size=4))  # fmt: skip
    monkeypatch.setattr(scope, "get_scope_rules", lambda: tuple(world.rules))
    ids = store(demo_data, world, projects)

    async def work(conn):
        found = {}
        for offset in days:
            on = day(offset)
            major = await conn.execute(select(P.c.id).where(scope.in_scope(literal(on))))
            found[on] = {
                "major": {r.id for r in major},
                "figures": [await scope.figures(conn, list_id, on) for list_id in ids],
                "lists": await scope.lists(conn, on),
                "reasons": await scope.scope_reasons(conn, [p["id"] for p in projects], on),
            }
        return found

    answers = ask(demo_data, work)
    for on, found in answers.items():
        expected_major = {p["id"] for i, p in enumerate(projects)
                          if in_scope_ref(world, projects, i, on)}  # fmt: skip
        assert found["major"] == expected_major, on
        assert {pid for pid, why in found["reasons"].items() if why} == expected_major
        members = {row["id"]: row["members"] for row in found["lists"]}
        for list_no, list_id in enumerate(ids):
            assert members[list_id] == len(members_ref(world, list_no, on))
            got = {
                (f.category, f.department): {
                    "projects": f.projects, "due": f.due, "published": f.published,
                    "on_time": f.on_time, "late": f.late, "not_applicable": f.not_applicable,
                    "not_yet_formed": f.not_yet_formed, "missing": f.missing_items,
                }
                for f in found["figures"][list_no]
            }  # fmt: skip
            expected = figures_ref(demo_data, world, projects, list_no, on)
            assert got == expected, (on, list_no)
            for f in found["figures"][list_no]:
                assert f.missing == len(f.missing_items)

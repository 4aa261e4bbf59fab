"""Timeliness is computed in SQL over the calendar table; the Python rule is its reference.

Generated items, formation days (1990 to the end of the calendar, across holidays, make-up
days and provisional years), first publications (none, early, on the deadline, the weekend
after it, late) and judging days go through both; they must agree on the status, the
deadline, the working days late and whether the deadline is provisional.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Date, DateTime, Text, cast, column, select, text, values

from registry.catalog import get_catalog
from registry.clock import CST
from registry.compliance import calendar, deadlines
from registry.compliance.timeliness import judge, judged

pytestmark = pytest.mark.generated
ITEMS = [i for i in get_catalog().items()]
TIMED = [i for i in ITEMS if i.time_limit.kind == "working_days"]


@st.composite
def case(draw):
    item = draw(st.sampled_from(TIMED if draw(st.integers(0, 5)) else ITEMS))
    formed = draw(st.dates(dt.date(1990, 1, 1), dt.date(2028, 9, 30)))
    limit = item.time_limit.days or 10
    offset = draw(st.sampled_from([None, 0, 1, limit, limit + 1, limit + 2, limit + 3,
                                   limit * 2, 40]))  # fmt: skip
    published = None
    if offset is not None:
        day = formed + dt.timedelta(days=round(offset * 7 / 5))
        hour = draw(st.sampled_from([0, 9, 16, 23]))  # late at night in UTC is the next day
        published = dt.datetime.combine(day, dt.time(hour, 30), tzinfo=CST).astimezone(dt.UTC)
    on = formed + dt.timedelta(days=draw(st.integers(0, 80)))
    return item, formed, published, on


@pytest.fixture(scope="module")
def conn(engine):
    with engine.connect() as connection:
        yield connection


def through_sql(conn, cases) -> list[tuple]:
    rows = values(
        column("n", Text), column("item_key", Text), column("formed_on", Date),
        column("first_published_at", DateTime(timezone=True)), column("on_day", Date),
        name="cases",
    ).data([(str(n), i.key, f, p, on) for n, (i, f, p, on) in enumerate(cases)])  # fmt: skip
    typed = select(
        rows.c.n, rows.c.item_key, rows.c.formed_on,
        cast(rows.c.first_published_at, DateTime(timezone=True)).label("first_published_at"),
    )  # fmt: skip
    results = []
    for n, (_, _, _, on) in enumerate(cases):
        x = typed.subquery(f"c{n}")
        j = judged(x, x, on)
        found = conn.execute(
            select(j.status, j.deadline, j.working_days_late, j.provisional)
            .select_from(j.source)
            .where(x.c.n == str(n))
        ).one()
        results.append(tuple(found))
    return results


@settings(deadline=None, suppress_health_check=list(HealthCheck))
@given(cases=st.lists(case(), min_size=1, max_size=8))
def test_sql_and_python_judge_alike(conn, cases):
    for (item, formed, published, on), sql in zip(cases, through_sql(conn, cases), strict=True):
        python = judge(item, formed, published, on)
        assert sql == (python.status, python.deadline, python.working_days_late,
                       python.provisional), (item.key, formed, published, on)  # fmt: skip


def test_the_calendar_table_matches_the_calendar(engine):
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT day, working, provisional FROM calendar_days WHERE day BETWEEN "
                "'2024-12-01' AND '2027-03-31' ORDER BY day"
            )  # fmt: skip
        ).all()
    reference = calendar.get_calendar()
    assert rows and all(
        (r.working, r.provisional)
        == (reference.day(r.day).working, reference.day(r.day).provisional)
        for r in rows
    )


def test_2027_is_provisional_weekends_and_statutory_holidays():
    spring = deadlines.add_working_days(dt.date(2027, 2, 4), 1)  # Thursday before 除夕 2.5
    assert spring == deadlines.Deadline(dt.date(2027, 2, 9), provisional=True)
    assert not deadlines.is_working_day(dt.date(2027, 10, 1))
    assert deadlines.is_working_day(dt.date(2027, 10, 4))  # the rest of Golden Week is unknown


def test_an_operator_adds_a_notice_without_a_code_change(engine, tmp_path):
    notice = tmp_path / "notices.yaml"
    notice.write_text(
        "2027:\n  notice: 测试用假期安排\n  holidays: ['2027-02-05/2027-02-11']\n"
        "  workdays: ['2027-02-14']\n",
        encoding="utf-8",
    )
    official = calendar.Calendar(calendar.load_notices(notice))
    assert deadlines.add_working_days(dt.date(2027, 2, 4), 1, official) == deadlines.Deadline(
        dt.date(2027, 2, 12), provisional=False
    )
    assert official.official_until(dt.date(2026, 12, 1)) == dt.date(2027, 12, 31)
    with engine.connect() as connection:
        transaction = connection.begin()
        calendar.refresh(connection, official)
        found = calendar.coverage(connection)
        transaction.rollback()
    assert found.official_until == dt.date(2027, 12, 31)
    assert found.warning(dt.date(2026, 11, 26)) is None


def test_a_bad_notices_file_names_every_problem(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("2027:\n  holidays: ['2026-13-01', '2028-01-01']\n", encoding="utf-8")
    with pytest.raises(calendar.CalendarFileError) as refused:
        calendar.load_notices(bad)
    codes = {p.code for p in refused.value.problems}
    assert codes == {"not_a_date", "wrong_year"}


def test_the_service_warns_when_official_data_runs_out(engine):
    with engine.connect() as connection:
        found = calendar.coverage(connection)
    line = found.warning(dt.date(2026, 11, 26))
    assert line and "2026-12-31" in line and "REGISTRY_CALENDAR_PATH" in line
    assert found.warning(dt.date(2026, 6, 1)) is None

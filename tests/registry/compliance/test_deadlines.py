"""Deadlines in official working days, timeliness, completeness and the scoreboard."""

import datetime as dt

import pytest

from registry.catalog import TimeLimit
from registry.compliance import deadlines
from registry.compliance import scores as compliance
from registry.compliance.timeliness import judge
from registry.reading import queries
from tests.conftest import read

D = dt.date
CST = dt.timezone(dt.timedelta(hours=8))


def at(day: str) -> dt.datetime:
    return dt.datetime.combine(D.fromisoformat(day), dt.time(10), tzinfo=CST)


def add_working_days(start, days):
    return deadlines.add_working_days(start, days).day


def deadline(limit, formed):
    return deadlines.deadline(limit, formed).day


def test_spring_festival_2025_with_its_make_up_working_days():
    # 国办发明电〔2024〕12号: 1.28–2.4 off; Sunday 1.26 and Saturday 2.8 are working days.
    assert add_working_days(D(2025, 1, 24), 1) == D(2025, 1, 26)  # the make-up Sunday counts
    assert add_working_days(D(2025, 1, 26), 1) == D(2025, 1, 27)
    assert add_working_days(D(2025, 1, 27), 1) == D(2025, 2, 5)  # the whole holiday is skipped
    assert add_working_days(D(2025, 2, 7), 1) == D(2025, 2, 8)  # the make-up Saturday counts


def test_national_day_2025():
    # 10.1–10.8 off; Sunday 9.28 and Saturday 10.11 are working days.
    assert add_working_days(D(2025, 9, 26), 1) == D(2025, 9, 28)
    assert add_working_days(D(2025, 9, 30), 1) == D(2025, 10, 9)
    assert add_working_days(D(2025, 10, 10), 1) == D(2025, 10, 11)


def test_twenty_working_days_across_spring_festival():
    limit = TimeLimit(kind="working_days", days=20)
    # From Monday 2025-01-20: 1.21–1.24 (4), Sunday 1.26 (5), 1.27 (6), holiday 1.28–2.4,
    # 2.5–2.7 (9), Saturday 2.8 (10), 2.10–2.14 (15), 2.17–2.21 (20).
    assert deadline(limit, D(2025, 1, 20)) == D(2025, 2, 21)


def test_seven_working_days_for_licensing_and_penalty_decisions():
    catalog = compliance.get_catalog()
    permit = catalog.item("construction_permit")
    assert permit.decision == "licensing" and permit.time_limit.days == 7
    # From Friday 2025-09-26: Sunday 9.28, 9.29, 9.30, (holiday 10.1–10.8), 10.9, 10.10,
    # Saturday 10.11, then Monday 10.13 is the seventh working day.
    assert deadline(permit.time_limit, D(2025, 9, 26)) == D(2025, 10, 13)
    assert catalog.item("quality_safety_penalties").time_limit.days == 7


def test_days_outside_the_official_calendar_give_a_provisional_deadline_not_an_error():
    result = deadlines.add_working_days(D(2099, 3, 6), 1)  # a Friday
    assert result == deadlines.Deadline(D(2099, 3, 9), provisional=True)
    assert not deadlines.add_working_days(D(2025, 3, 7), 1).provisional


@pytest.mark.parametrize(
    "published, status, late",
    [
        ("2025-02-21", "on_time", 0),
        ("2025-02-22", "on_time", 0),
        ("2025-02-24", "late", 1),
        ("2025-02-26", "late", 3),
    ],
)
def test_on_time_and_late_by_working_days(published, status, late):
    """Saturday 2.22 is on time (no working day has passed); Monday 2.24 is one day late."""
    item = compliance.get_catalog().known_item("gov_feasibility_study_approval")
    result = judge(item, D(2025, 1, 20), at(published), D(2025, 3, 1))
    assert (result.status, result.working_days_late, result.deadline) == (
        status,
        late,
        D(2025, 2, 21),
    )


def test_unpublished_items_are_pending_then_overdue():
    item = compliance.get_catalog().known_item("gov_feasibility_study_approval")
    pending = judge(item, D(2025, 1, 20), None, D(2025, 2, 21))
    overdue = judge(item, D(2025, 1, 20), None, D(2025, 2, 25))
    assert pending.status == "pending" and (overdue.status, overdue.working_days_late) == (
        "overdue",
        2,
    )
    guide = compliance.get_catalog().known_item("service_guide")
    assert judge(guide, D(2025, 1, 20), None, D(2025, 2, 1)).status == "no_deadline"


def test_completeness_by_stage_and_type():
    planned = compliance.completeness("planning", "approval", {"service_guide"})
    assert planned.missing == ("consultation_supervision",)
    built = compliance.completeness(
        "under_construction", "filing", {"enterprise_project_filing", "tender_notice"}
    )
    assert (
        "enterprise_project_filing" in built.expected
        and "gov_feasibility_study_approval" not in built.expected
    )
    assert {"construction_permit", "quality_safety_supervision"} <= set(built.missing)
    assert "construction" in built.missing_categories and "bidding" in built.missing_categories
    done = compliance.completeness(
        "completed",
        "approval",
        set(built.expected)
        | {
            "gov_project_proposal_approval",
            "gov_feasibility_study_approval",
            "tender_notice",
            "award_result_publicity",
            "construction_permit",
            "construction_management",
            "quality_safety_supervision",
            "completion_acceptance_filing",
            "service_guide",
            "consultation_supervision",
            "land_use_pre_review",
            "eia_approval",
        },
    )
    assert done.missing == ()


def test_the_demo_scoreboard_has_on_time_and_late_publications(demo_data):
    scores = read(demo_data, queries.scoreboard)
    assert sum(s.on_time for s in scores) > 0 and sum(s.late for s in scores) > 0
    fgw = [s for s in scores if s.department == "NCFGW" and s.category == "approval_result"][0]
    assert fgw.published == fgw.on_time + fgw.late + fgw.no_deadline and 0 < fgw.on_time_rate < 1


def test_a_correction_does_not_move_an_item_out_of_the_score(demo_data):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from registry import publishing as pub
    from registry.models import Disclosure
    from registry.publishing import Actor

    def fgw_approvals():
        return next(
            s
            for s in read(demo_data, queries.scoreboard)
            if s.department == "NCFGW" and s.category == "approval_result"
        )

    before = fgw_approvals()
    with Session(demo_data) as session, session.begin():
        target = session.scalars(
            select(Disclosure).where(
                Disclosure.item_key == "gov_feasibility_study_approval",
                Disclosure.status == "published",
            )
        ).first()
        pub.correct_disclosure(
            session,
            Actor(path="test"),
            target.id,
            reason="文号更正",
            elements={"approval_doc_no": "洪发改投资〔2020〕999号"},
        )
    after = fgw_approvals()
    assert (after.published, after.on_time, after.late) == (
        before.published,
        before.on_time,
        before.late,
    )


# --- the prefix sums against a day-by-day walk (the definition) ------------------------


def walked_between(start, end, calendar):
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += calendar.is_working(day)
    return count


def walked_add(start, days, calendar):
    day, left, provisional = start, days, calendar.day(start).provisional
    while left:
        day += dt.timedelta(days=1)
        provisional = provisional or calendar.day(day).provisional
        left -= calendar.day(day).working
    return deadlines.Deadline(day, provisional)


@pytest.mark.generated
def test_counting_by_prefix_sums_equals_walking_the_calendar():
    """Over generated spans (a backfill reaches back six years and more; provisional years
    ahead), across year ends, holidays and make-up days."""
    from hypothesis import given
    from hypothesis import strategies as st

    from registry.compliance.calendar import get_calendar

    calendar = get_calendar()
    days = st.dates(D(2016, 1, 1), D(2029, 12, 31))

    @given(start=days, end=days, count=st.integers(0, 400))
    def check(start, end, count):
        assert deadlines.working_days_between(start, end) == walked_between(start, end, calendar)
        assert deadlines.add_working_days(start, count) == walked_add(start, count, calendar)

    check()

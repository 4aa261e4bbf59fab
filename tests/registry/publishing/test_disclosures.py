"""Each publishing rule shows its refusal, names the field and the rule, and writes nothing."""

import datetime as dt

import pytest
from shapely.geometry import Point, Polygon
from sqlalchemy import select

from registry import publishing as pub
from registry.clock import today
from registry.errors import Forbidden, InvalidInput, NotFound, NotResponsible
from registry.models import AuditEntry, Disclosure, Project
from registry.publishing import Actor
from tests.conftest import count
from tests.registry.factories import (
    LEGACY_CODE,
    PROJECT_CODE,
    approval_input,
    project_input,
    seeded,
)


@pytest.fixture
def seeded_session(session, system):
    seeded(session, system)
    return session


def refused(session, error_type, call, *args, **kwargs):
    """Run a write that must be refused; return its error after checking nothing was kept."""
    before = {t: count(session.get_bind(), t) for t in ("projects", "sites", "disclosures")}
    with pytest.raises(error_type) as err:
        call(session, *args, **kwargs)
    session.commit()
    after = {t: count(session.get_bind(), t) for t in ("projects", "sites", "disclosures")}
    assert after == before
    return err.value


def codes(error):
    return {(p.path, p.code) for p in error.problems}


def test_a_valid_disclosure_is_published(seeded_session, system):
    outcome = pub.publish_disclosure(seeded_session, system, approval_input())
    seeded_session.commit()
    row = outcome.record
    assert (outcome.action, row.status, row.revision, row.lineage_id) == (
        "added",
        "published",
        1,
        row.id,
    )
    assert row.elements["approval_date"] == "2023-03-10"
    assert row.title == "青山湖大道综合改造 政府投资项目可行性研究报告审批"
    assert row.audience == "public" and row.mode == "proactive"


def test_publisher_must_be_the_responsible_body(seeded_session, system):
    error = refused(
        seeded_session,
        NotResponsible,
        pub.publish_disclosure,
        system,
        approval_input(publisher="JSJ"),
    )
    assert error.problems[0].path == "publisher"
    assert "JSJ (南昌市建设局) is not the responsible body" in error.message
    assert "FGW (南昌市发展和改革委员会)" in error.message
    audit = seeded_session.scalars(select(AuditEntry).where(AuditEntry.outcome == "refused")).one()
    assert audit.detail["code"] == "NOT_RESPONSIBLE" and audit.action == "publish_disclosure"


def test_a_department_cannot_publish_as_another(seeded_session):
    actor = Actor(path="test", department="JSJ")
    error = refused(seeded_session, Forbidden, pub.publish_disclosure, actor, approval_input())
    assert codes(error) == {("publisher", "publish_as_other")}


def test_required_elements_must_be_present(seeded_session, system):
    data = approval_input()
    del data.elements["approval_doc_no"]
    data.elements["approving_authority"] = "   "
    error = refused(seeded_session, InvalidInput, pub.publish_disclosure, system, data)
    assert codes(error) == {
        ("elements.approval_doc_no", "required"),
        ("elements.approving_authority", "required"),
    }
    assert "必须填写批复文号 · Approval document number is required" in error.message


def test_elements_must_have_the_right_type(seeded_session, system):
    data = approval_input(
        item="award_result_publicity",
        elements={
            "bid_section": "一标段",
            "winning_bidder": "某建设集团",
            "winning_bid_amount": "三千万",
            "award_date": "2023-13-45",
        },
    )
    error = refused(seeded_session, InvalidInput, pub.publish_disclosure, system, data)
    assert ("elements.winning_bid_amount", "not_a_number") in codes(error)
    assert ("elements.award_date", "not_a_date") in codes(error)


def test_unknown_elements_and_items_are_named(seeded_session, system):
    data = approval_input()
    data.elements["colour"] = "blue"
    error = refused(seeded_session, InvalidInput, pub.publish_disclosure, system, data)
    assert codes(error) == {("elements.colour", "unknown_element")}
    error = refused(
        seeded_session,
        InvalidInput,
        pub.publish_disclosure,
        system,
        approval_input(item="no_such_item"),
    )
    assert codes(error) == {("item", "unknown_item")}


def test_dates_must_not_lie_in_the_future(seeded_session, system):
    tomorrow = today() + dt.timedelta(days=1)
    data = approval_input(formed_on=tomorrow)
    data.elements["approval_date"] = tomorrow.isoformat()
    error = refused(seeded_session, InvalidInput, pub.publish_disclosure, system, data)
    assert codes(error) == {
        ("formed_on", "date_in_future"),
        ("elements.approval_date", "date_in_future"),
    }


def test_completion_cannot_precede_approval(seeded_session, system):
    error = refused(
        seeded_session,
        InvalidInput,
        pub.upsert_project,
        system,
        project_input(status="completed", completed_on=dt.date(2022, 1, 1)),
    )
    assert ("completed_on", "completion_before_approval") in codes(error)
    data = pub.DisclosureInput(
        project_code=PROJECT_CODE,
        item="completion_acceptance_filing",
        formed_on="2023-01-05",
        publisher="JSJ",
        elements={
            "acceptance_date": "2023-01-05",
            "quality_acceptance_result": "合格",
            "acceptance_filing_date": "2023-01-10",
            "acceptance_filing_no": "JB1",
            "acceptance_filing_authority": "南昌市建设局",
        },
    )
    error = refused(seeded_session, InvalidInput, pub.publish_disclosure, system, data)
    assert ("elements.acceptance_date", "completion_before_approval") in codes(error)


def test_personal_identifiers_are_refused_in_public_fields(seeded_session, system):
    data = approval_input(title="联系人 138-1234-5678")
    data.elements["approving_authority"] = "经办人身份证 11010519491231002X"
    error = refused(seeded_session, InvalidInput, pub.publish_disclosure, system, data)
    assert codes(error) == {
        ("title", "personal_identifier"),
        ("elements.approving_authority", "personal_identifier"),
    }
    assert "resident ID" in error.message and "mobile" in error.message


def test_geometry_must_be_valid_and_in_china(seeded_session, system):
    bowtie = Polygon([(115.9, 28.6), (116.0, 28.7), (116.0, 28.6), (115.9, 28.7)])
    error = refused(
        seeded_session,
        InvalidInput,
        pub.publish_disclosure,
        system,
        approval_input(geometry=bowtie),
    )
    assert codes(error) == {("geometry", "geometry_invalid")}
    error = refused(
        seeded_session,
        InvalidInput,
        pub.upsert_project,
        system,
        project_input(
            code=LEGACY_CODE,
            sites=[
                pub.SiteInput(Point(28.68, 115.9)),
                pub.SiteInput({"type": "Point", "coordinates": [2.3, 48.8]}),
            ],
        ),
    )
    assert codes(error) == {
        ("sites[0].geometry", "axes_swapped"),
        ("sites[1].geometry", "outside_china"),
    }


def test_project_rules(session, system):
    error = refused(
        session,
        InvalidInput,
        pub.upsert_project,
        system,
        project_input(
            code="2021-36010-04-01-1",
            project_type="big",
            region_code="3601",
            investment="-5",
            description="负责人 13812345678",
        ),
    )
    assert codes(error) == {
        ("code", "invalid_project_code"),
        ("project_type", "unknown_type"),
        ("region_code", "invalid_region"),
        ("investment", "not_a_number"),
        ("description", "personal_identifier"),
    }
    assert "“2021-36010-04-01-1”不是有效的项目统一代码" in error.message
    assert "is not a valid project code" in error.message


def test_department_rules(session, system):
    error = refused(
        session,
        InvalidInput,
        pub.upsert_department,
        system,
        pub.DepartmentInput(
            "X", "某局", "government_department", uscc="91110000600037341L", roles=["mayor"]
        ),
    )
    assert codes(error) == {("uscc", "invalid_uscc"), ("roles", "unknown_role")}
    assert "does not start with 11" in error.message
    error = refused(
        session,
        InvalidInput,
        pub.upsert_department,
        system,
        pub.DepartmentInput("X", "某局", "ministry", uscc="11360100014500398X"),
    )
    assert codes(error) == {("kind", "unknown_kind"), ("uscc", "invalid_uscc")}


def test_unknown_project_and_department(seeded_session, system):
    error = refused(
        seeded_session,
        NotFound,
        pub.publish_disclosure,
        system,
        approval_input(project_code=LEGACY_CODE),
    )
    assert codes(error) == {("project_code", "unknown_project")}
    error = refused(
        seeded_session, NotFound, pub.publish_disclosure, system, approval_input(publisher="NOPE")
    )
    assert codes(error) == {("publisher", "unknown_department")}


def test_only_registrars_register_projects_and_only_admins_manage_departments(seeded_session):
    builder = Actor(path="test", department="JSJ")
    refused(seeded_session, Forbidden, pub.upsert_project, builder, project_input(code=LEGACY_CODE))
    refused(
        seeded_session,
        Forbidden,
        pub.upsert_department,
        builder,
        pub.DepartmentInput("X", "某局", "other"),
    )
    planner = Actor(path="test", department="FGW")
    assert (
        pub.upsert_project(seeded_session, planner, project_input(code=LEGACY_CODE)).action
        == "added"
    )


def test_a_refusal_keeps_earlier_work_of_the_same_transaction(seeded_session, system):
    pub.publish_disclosure(seeded_session, system, approval_input())
    with pytest.raises(NotResponsible):
        pub.publish_disclosure(seeded_session, system, approval_input(item="construction_permit"))
    seeded_session.commit()
    assert count(seeded_session.get_bind(), "disclosures") == 1


def test_project_upsert_is_idempotent_and_keeps_sites(seeded_session, system):
    again = pub.upsert_project(seeded_session, system, project_input())
    assert again.action == "unchanged"
    changed = pub.upsert_project(seeded_session, system, project_input(name="青山湖大道改造"))
    seeded_session.commit()
    assert changed.action == "updated"
    assert changed.changes == {"name": {"before": "青山湖大道综合改造", "after": "青山湖大道改造"}}
    project = seeded_session.scalars(select(Project)).one()
    assert [s.name for s in project.sites] == ["线位", "指挥部"]
    assert count(seeded_session.get_bind(), "sites") == 2


def test_sites_are_stored_in_wgs84_from_other_systems(seeded_session, system):
    pub.upsert_project(
        seeded_session,
        system,
        project_input(
            code=LEGACY_CODE,
            sites=[
                pub.SiteInput(Point(39_500_000, 3_175_000), "GK", crs=4527),
                pub.SiteInput(Point(115.8968, 28.6737), "AMap", crs="gcj02"),
            ],
        ),
    )
    seeded_session.commit()
    with seeded_session.get_bind().connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT s.name, ST_SRID(geom), ST_X(geom), ST_Y(geom) FROM sites s "
            "JOIN projects p ON p.id = s.project_id WHERE p.code = %s ORDER BY s.id",
            (LEGACY_CODE,),
        ).all()
    assert [r[1] for r in rows] == [4326, 4326]
    assert rows[0][2] == pytest.approx(117.0)
    assert rows[1][2] == pytest.approx(115.8968 - 0.0047, abs=0.001)  # GCJ-02 shifts east


def test_history_is_never_lost(seeded_session, system):
    first = pub.publish_disclosure(seeded_session, system, approval_input()).record
    seeded_session.commit()
    assert (
        seeded_session.scalar(select(Disclosure).where(Disclosure.id == first.id)).status
        == "published"
    )

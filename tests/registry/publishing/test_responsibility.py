"""谁公开，谁负责: defaults from the catalog's roles, and reassignment by an administrator."""

import pytest
from sqlalchemy import select

from registry import publishing as pub
from registry.errors import Forbidden, InvalidInput, NotResponsible
from registry.models import Project, Responsibility
from registry.publishing import Actor
from tests.registry.factories import PROJECT_CODE, approval_input, seeded


def holders(session):
    project = session.scalars(select(Project)).one()
    rows = session.scalars(
        select(Responsibility)
        .where(Responsibility.project_id == project.id)
        .order_by(Responsibility.category, Responsibility.id)
    ).all()
    return {
        (r.category, r.department.code, tuple(r.item_keys) if r.item_keys else None) for r in rows
    }


def test_defaults_follow_the_catalog_roles_most_local_first(session, system):
    seeded(session, system)
    rows = holders(session)
    assert ("approval_service", "XZSP", None) in rows
    assert (
        "land_acquisition",
        "QSHQ",
        (
            "land_acquisition_documents",
            "acquisition_pre_announcement",
            "status_survey_results",
            "compensation_resettlement_announcement",
            "compensation_registration",
            "acquisition_announcement",
        ),
    ) in rows
    assert ("land_acquisition", "ZRZY", ("acquisition_approval_documents",)) in rows
    assert ("construction", "JSJ", None) in rows
    # No department holds the audit role, so the final-accounts audit has nobody yet.
    assert ("completion", "JSJ", ("completion_acceptance_filing",)) in rows


def test_bidding_defaults_to_the_owner_when_it_is_registered(session, system):
    seeded(session, system)
    pub.upsert_department(session, system, pub.DepartmentInput("OWNER", "某投资公司", "enterprise"))
    pub.upsert_project(
        session,
        system,
        pub.ProjectInput(
            code="2303-360111-48-01-222222",
            name="某项目",
            project_type="approval",
            region_code="360111",
            owner_department="OWNER",
        ),
    )
    project = session.scalars(
        select(Project).where(Project.code == "2303-360111-48-01-222222")
    ).one()
    bidding = session.scalars(
        select(Responsibility).where(
            Responsibility.project_id == project.id, Responsibility.category == "bidding"
        )
    ).all()
    assert {(r.department.code, tuple(r.item_keys)) for r in bidding} == {
        (
            "OWNER",
            (
                "prequalification_notice",
                "tender_notice",
                "winning_candidates_publicity",
                "award_result_publicity",
                "contract_conclusion_and_performance",
            ),
        ),
        ("FGW", ("bidding_violation_penalty",)),
    }


def test_reassigning_a_whole_category_moves_the_right_to_publish(session, system):
    seeded(session, system)
    data = pub.DisclosureInput(
        project_code=PROJECT_CODE,
        item="quality_safety_supervision",
        formed_on="2023-09-05",
        publisher="SLJ",
        elements={
            "supervision_agency": "水利工程质量监督站",
            "supervision_agency_contact": "0791-88888888",
        },
    )
    with pytest.raises(NotResponsible):
        pub.publish_disclosure(session, system, data)
    outcome = pub.assign_responsibility(session, system, PROJECT_CODE, "quality_safety", "SLJ")
    assert outcome.action == "updated"
    assert (
        pub.assign_responsibility(session, system, PROJECT_CODE, "quality_safety", "SLJ").action
        == "unchanged"
    )
    assert pub.publish_disclosure(session, system, data).action == "added"
    assert {r for r in holders(session) if r[0] == "quality_safety"} == {
        ("quality_safety", "SLJ", None)
    }


def test_reassigning_some_items_splits_the_category(session, system):
    seeded(session, system)
    pub.assign_responsibility(
        session, system, PROJECT_CODE, "approval_result", "XZSP", items=["construction_permit"]
    )
    rows = {r for r in holders(session) if r[0] == "approval_result"}
    assert ("approval_result", "XZSP", ("construction_permit",)) in rows
    assert all("construction_permit" not in (r[2] or ()) for r in rows if r[1] != "XZSP")
    with pytest.raises(NotResponsible):
        pub.publish_disclosure(
            session,
            system,
            approval_input(
                item="construction_permit",
                publisher="JSJ",
                elements={
                    "review_result": "准予许可",
                    "construction_permit_no": "360100202309010101",
                    "permit_date": "2023-09-01",
                    "issuing_authority": "南昌市建设局",
                },
            ),
        )


def test_only_administrators_assign_and_only_known_values(session, system):
    seeded(session, system)
    with pytest.raises(Forbidden):
        pub.assign_responsibility(
            session, Actor(path="t", department="FGW"), PROJECT_CODE, "construction", "FGW"
        )
    with pytest.raises(InvalidInput, match="not one of"):
        pub.assign_responsibility(session, system, PROJECT_CODE, "weather", "FGW")
    with pytest.raises(InvalidInput, match="tender_notice"):
        pub.assign_responsibility(
            session, system, PROJECT_CODE, "construction", "FGW", items=["tender_notice"]
        )

"""Small builders for the registry tests: departments, a project, valid disclosure inputs."""

from __future__ import annotations

import datetime as dt

from shapely.geometry import LineString, Point
from sqlalchemy.orm import Session

from registry import publishing as pub
from registry.publishing import Actor

PROJECT_CODE = "2303-360111-48-01-123456"
LEGACY_CODE = "2019-360113-48-01-068707"

DEPARTMENTS = [
    pub.DepartmentInput(
        "FGW",
        "南昌市发展和改革委员会",
        "government_department",
        uscc="11360100014500398Q",
        region_code="360100",
        roles=["development_reform", "bidding_supervision"],
    ),
    pub.DepartmentInput(
        "XZSP",
        "南昌市行政审批局",
        "government_department",
        region_code="360100",
        roles=["administrative_approval"],
    ),
    pub.DepartmentInput(
        "ZRZY",
        "南昌市自然资源和规划局",
        "government_department",
        region_code="360100",
        roles=["natural_resources"],
    ),
    pub.DepartmentInput(
        "JSJ",
        "南昌市建设局",
        "government_department",
        region_code="360100",
        roles=["housing_construction"],
    ),
    pub.DepartmentInput("SLJ", "南昌市水利局", "government_department", region_code="360100"),
    pub.DepartmentInput(
        "QSHQ",
        "青山湖区人民政府",
        "district_government",
        region_code="360111",
        roles=["district_government"],
    ),
    pub.DepartmentInput(
        "NCGOV",
        "南昌市人民政府",
        "district_government",
        region_code="360100",
        roles=["district_government"],
    ),
]


def add_departments(session: Session, actor: Actor) -> None:
    for department in DEPARTMENTS:
        pub.upsert_department(session, actor, department)


def project_input(**overrides) -> pub.ProjectInput:
    values = dict(
        code=PROJECT_CODE,
        name="青山湖大道综合改造",
        project_type="approval",
        region_code="360111",
        industry="市政道路",
        status="under_construction",
        approved_on=dt.date(2023, 3, 10),
        started_on=dt.date(2023, 9, 1),
        investment="52000.5",
        sites=[
            pub.SiteInput(LineString([(115.945, 28.70), (115.958, 28.65)]), "线位"),
            pub.SiteInput(Point(115.95, 28.68), "指挥部"),
        ],
    )
    values.update(overrides)
    return pub.ProjectInput(**values)


def approval_input(**overrides) -> pub.DisclosureInput:
    values = dict(
        project_code=PROJECT_CODE,
        item="gov_feasibility_study_approval",
        formed_on=dt.date(2023, 3, 10),
        publisher="FGW",
        elements={
            "approval_result": "同意",
            "approval_date": "2023-03-10",
            "approval_doc_no": "洪发改投资〔2023〕88号",
            "approving_authority": "南昌市发展和改革委员会",
        },
    )
    values.update(overrides)
    return pub.DisclosureInput(**values)


def seeded(session: Session, actor: Actor) -> None:
    """Departments and one project with catalog-default responsibilities, committed."""
    add_departments(session, actor)
    pub.upsert_project(session, actor, project_input())
    session.commit()


def give_history(session: Session, actor: Actor) -> None:
    """Corrections and a withdrawal on the first approval results, so histories have states:
    a corrected document number, a withdrawn item, a corrected formation date."""
    from sqlalchemy import select

    from registry.models import Disclosure

    rows = session.scalars(
        select(Disclosure)
        .where(Disclosure.category == "approval_result", Disclosure.status == "published")
        .order_by(Disclosure.id)
        .limit(3)
    ).all()
    pub.correct_disclosure(session, actor, rows[0].id, reason="文号更正",
                           elements={"approval_doc_no": "洪发改投资〔2021〕1号"})  # fmt: skip
    pub.withdraw_disclosure(session, actor, rows[1].id, reason="重复发布")
    pub.correct_disclosure(session, actor, rows[2].id, reason="日期更正", formed_on="2020-01-02")

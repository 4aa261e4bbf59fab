"""Who may write what, where: each rule of registry/publishing/authority.py with a case it
allows and a case it refuses, through the one write path."""

from __future__ import annotations

import pytest
from shapely.geometry import Point
from sqlalchemy import select, text

from registry import publishing as pub
from registry.errors import Forbidden, NotResponsible
from registry.models import AuditEntry, Disclosure, Project, Responsibility, SiteHistory
from registry.publishing import Actor
from tests.registry.factories import PROJECT_CODE, approval_input, project_input, seeded

OTHER_CITY = pub.DepartmentInput(
    "JJFGW", "九江市发展和改革委员会", "government_department", region_code="360400",
    roles=["development_reform"],
)  # fmt: skip
NO_REGION = pub.DepartmentInput(
    "NOREG", "无区划发改委", "government_department", roles=["development_reform"]
)
OWNER = pub.DepartmentInput("OWNERCO", "南昌某建设集团有限公司", "enterprise", region_code="360100")


@pytest.fixture
def world(session, system):
    seeded(session, system)
    for department in (OTHER_CITY, NO_REGION, OWNER):
        pub.upsert_department(session, system, department)
    session.commit()
    return session


def as_(code: str, admin: bool = False) -> Actor:
    return Actor(path="test:authority", department=code, is_admin=admin)


def refused(call, code: str):
    with pytest.raises((Forbidden, NotResponsible)) as caught:
        call()
    assert code in {p.code for p in caught.value.problems}, caught.value.problems
    return caught.value


# --- registrars and regions ------------------------------------------------------------


def test_a_registrar_updates_projects_of_its_region(world):
    outcome = pub.upsert_project(world, as_("FGW"), pub.ProjectInput(PROJECT_CODE, name="改名"))
    assert outcome.action == "updated"


def test_a_registrar_of_another_city_cannot_touch_them(world):
    attack = pub.ProjectInput(PROJECT_CODE, name="被改名", sites=[], owner_department="JJFGW")
    refused(lambda: pub.upsert_project(world, as_("JJFGW"), attack), "outside_region")
    refused(lambda: pub.set_sites(world, as_("JJFGW"), PROJECT_CODE, []), "outside_region")
    project = world.scalar(select(Project).where(Project.code == PROJECT_CODE))
    assert project.name == "青山湖大道综合改造" and len(project.sites) == 2


def test_a_registrar_registers_in_its_own_region_only(world):
    own = project_input(code="2303-360403-48-01-000001", region_code="360403", sites=None)
    assert pub.upsert_project(world, as_("JJFGW"), own).action == "added"
    elsewhere = project_input(code="2303-360111-48-01-000002", sites=None)
    refused(lambda: pub.upsert_project(world, as_("JJFGW"), elsewhere), "outside_region")
    moved = pub.ProjectInput("2303-360403-48-01-000001", region_code="360111")
    refused(lambda: pub.upsert_project(world, as_("JJFGW"), moved), "outside_region")


def test_a_registrar_without_a_region_registers_nothing(world):
    data = project_input(code="2303-360111-48-01-000003", sites=None)
    refused(lambda: pub.upsert_project(world, as_("NOREG"), data), "no_region")


def test_only_registrars_and_administrators_register(world):
    data = project_input(code="2303-360111-48-01-000004", sites=None)
    refused(lambda: pub.upsert_project(world, as_("JSJ"), data), "not_registrar")
    assert pub.upsert_project(world, as_("JSJ", admin=True), data).action == "added"


# --- owners --------------------------------------------------------------------------


def test_a_registrar_cannot_make_itself_the_owner(world):
    mine = pub.ProjectInput(PROJECT_CODE, owner_department="FGW")
    refused(lambda: pub.upsert_project(world, as_("FGW"), mine), "self_ownership")
    assert pub.upsert_project(world, as_("XZSP", admin=True), mine).action == "updated"


def test_an_enterprise_owner_tenders_a_government_owner_does_not(world, system):
    def bidding_holders(code: str) -> set[int]:
        project_id = world.scalar(select(Project.id).where(Project.code == code))
        return set(world.scalars(select(Responsibility.department_id).where(
            Responsibility.project_id == project_id, Responsibility.category == "bidding")))  # fmt: skip

    owner_id = world.scalar(text("SELECT id FROM departments WHERE code = 'OWNERCO'"))
    fgw_id = world.scalar(text("SELECT id FROM departments WHERE code = 'FGW'"))
    enterprise = project_input(code="2303-360111-48-01-000005", owner_department="OWNERCO",
                               sites=None)  # fmt: skip
    pub.upsert_project(world, system, enterprise)
    assert owner_id in bidding_holders("2303-360111-48-01-000005")
    government = project_input(code="2303-360111-48-01-000006", owner_department="FGW", sites=None)
    pub.upsert_project(world, system, government)
    # the bidding-supervision fallback, not the owner, is responsible
    assert bidding_holders("2303-360111-48-01-000006") == {fgw_id}
    world.rollback()


# --- publishing as, and on behalf of, others -------------------------------------------


def test_a_department_publishes_only_as_itself(world):
    data = approval_input(publisher="XZSP")
    refused(lambda: pub.publish_disclosure(world, as_("FGW"), data), "publish_as_other")
    assert (
        pub.publish_disclosure(world, as_("FGW"), approval_input(publisher=None)).action == "added"
    )


def test_an_administrator_publishes_corrects_and_withdraws_on_behalf(world):
    admin = as_("XZSP", admin=True)
    added = pub.publish_disclosure(world, admin, approval_input(publisher="FGW"))
    revised = pub.correct_disclosure(world, admin, added.record.id, reason="文号更正",
                                     elements={"approval_doc_no": "洪发改投资〔2023〕90号"})  # fmt: skip
    withdrawn = pub.withdraw_disclosure(world, admin, revised.record.id, reason="重复")
    world.commit()
    assert withdrawn.action == "withdrawn"
    row = world.get(Disclosure, revised.record.id)
    assert row.publisher.code == "FGW" and row.withdrawn_by_id == world.scalar(
        text("SELECT id FROM departments WHERE code = 'XZSP'")
    )
    entries = world.scalars(select(AuditEntry).where(AuditEntry.actor == "admin:XZSP")).all()
    assert entries and all(e.detail.get("on_behalf_of") == "FGW" for e in entries)
    changes = next(e.detail["changes"] for e in entries if "changes" in e.detail)
    assert changes["elements.approval_doc_no"] == {"before": "洪发改投资〔2023〕88号",
                                                    "after": "洪发改投资〔2023〕90号"}  # fmt: skip


def test_a_department_not_responsible_cannot_withdraw(world, system):
    added = pub.publish_disclosure(world, system, approval_input())
    world.commit()
    refused(lambda: pub.withdraw_disclosure(world, as_("JSJ"), added.record.id, reason="x"),
            "not_responsible")  # fmt: skip


# --- partial updates and history --------------------------------------------------------


def test_an_update_changes_only_the_fields_given(world, system):
    before = world.scalar(select(Project).where(Project.code == PROJECT_CODE))
    kept = {k: getattr(before, k) for k in ("industry", "owner", "investment", "started_on",
                                            "description", "is_synthetic", "status")}  # fmt: skip
    outcome = pub.upsert_project(world, as_("FGW"), pub.ProjectInput(PROJECT_CODE, name="新名称"))
    world.commit()
    after = world.scalar(select(Project).where(Project.code == PROJECT_CODE))
    assert {k: getattr(after, k) for k in kept} == kept and after.name == "新名称"
    assert outcome.changes == {"name": {"before": "青山湖大道综合改造", "after": "新名称"}}
    pub.upsert_project(world, as_("FGW"), pub.ProjectInput(PROJECT_CODE, owner="某公司"))
    cleared = pub.upsert_project(world, as_("FGW"), pub.ProjectInput(PROJECT_CODE, owner=None))
    assert cleared.changes == {"owner": {"before": "某公司", "after": None}}


def test_replaced_sites_are_kept_in_the_history(world):
    pub.set_sites(world, as_("FGW"), PROJECT_CODE, [pub.SiteInput(Point(115.95, 28.69), "新址")])
    world.commit()
    history = world.scalars(select(SiteHistory)).all()
    assert {h.name for h in history} == {"线位", "指挥部"}
    assert all(h.replaced_by == "FGW" and h.valid_to >= h.valid_from for h in history)
    entry = world.scalars(select(AuditEntry).where(AuditEntry.action == "set_sites")).one()
    assert entry.detail["changes"]["sites"] == {"before": 2, "after": 1, "kept_in": "site_history"}


def test_a_new_project_needs_its_name_type_and_region(world, system):
    from registry.errors import InvalidInput

    with pytest.raises(InvalidInput) as caught:
        pub.upsert_project(world, system, pub.ProjectInput("2303-360111-48-01-000009"))
    assert {p.path for p in caught.value.problems} == {"name", "project_type", "region_code"}
    assert world.scalar(select(Project).where(Project.code == "2303-360111-48-01-000009")) is None

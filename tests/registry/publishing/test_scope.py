"""Lists, designations and declarations through the one write path: who may write them (the
重大项目 office within its region, the responsible body, an administrator), what each refusal
names, and that every write is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from registry import publishing as pub
from registry.errors import Forbidden, InvalidInput, NotFound, NotResponsible
from registry.models import AuditEntry, Declaration, ListEntry, ProjectList
from registry.publishing import Actor
from tests.registry.factories import PROJECT_CODE, seeded

OFFICE = pub.DepartmentInput(
    "ZDB", "南昌市重大项目管理办公室", "government_department", region_code="360100",
    roles=["major_projects_office"],
)  # fmt: skip
OTHER_OFFICE = pub.DepartmentInput(
    "JJZDB", "九江市重大项目管理办公室", "government_department", region_code="360400",
    roles=["major_projects_office"],
)  # fmt: skip

LIST_2024 = pub.ListInput(
    name="南昌市2024年重大建设项目名单", level="municipal", year=2024, region_code="360100",
    issuer="ZDB", issued_on=dt.date(2024, 2, 20), doc_no="洪重大办〔2024〕1号",
    source_url="https://www.nc.gov.cn/lists/2024.html",
)  # fmt: skip


@pytest.fixture
def world(session, system):
    seeded(session, system)
    for department in (OFFICE, OTHER_OFFICE):
        pub.upsert_department(session, system, department)
    session.commit()
    return session


def as_(code: str | None, admin: bool = False) -> Actor:
    return Actor(path="test:scope", department=code, is_admin=admin)


def refused(kind, call, code: str, path: str | None = None):
    with pytest.raises(kind) as caught:
        call()
    problems = caught.value.problems
    assert code in {p.code for p in problems}, problems
    if path is not None:
        assert path in {p.path for p in problems}, problems
    return caught.value


def a_list(world) -> int:
    outcome = pub.save_list(world, as_("ZDB"), LIST_2024)
    world.commit()
    return outcome.record.id


# --- lists --------------------------------------------------------------------------------


def test_the_office_registers_a_list_adds_and_removes_a_project(world):
    list_id = a_list(world)
    again = pub.save_list(world, as_("ZDB"), LIST_2024)
    assert again.action == "unchanged" and again.record.id == list_id
    entry = pub.EntryInput(PROJECT_CODE, row_no="12", section="（一）新开工项目", nature="新开工",
                           total_investment="5.2亿元", responsible_unit="青山湖区人民政府")  # fmt: skip
    added = pub.add_to_list(world, as_("ZDB"), list_id, entry)
    assert added.action == "added"
    row = added.record
    assert (row.nature, float(row.total_investment), row.added_on) == (
        "new",
        52000.0,
        dt.date(2024, 2, 20),
    )
    removed = pub.remove_from_list(world, as_("ZDB"), list_id, PROJECT_CODE,
                                   dt.date(2024, 7, 1), "年中调整调出")  # fmt: skip
    assert removed.action == "removed"
    world.commit()
    assert world.scalar(select(func.count()).select_from(ListEntry)) == 1
    actions = world.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-3:] == ["save_list", "add_to_list", "remove_from_list"]


def test_the_list_keeps_its_history_when_a_project_returns(world):
    list_id = a_list(world)
    pub.add_to_list(world, as_("ZDB"), list_id, pub.EntryInput(PROJECT_CODE))
    pub.remove_from_list(world, as_("ZDB"), list_id, PROJECT_CODE, dt.date(2024, 5, 1), "调出")
    again = pub.add_to_list(world, as_("ZDB"), list_id,
                            pub.EntryInput(PROJECT_CODE, added_on=dt.date(2024, 9, 1),
                                           by_adjustment=True))  # fmt: skip
    world.commit()
    assert again.action == "added"
    days = world.execute(select(ListEntry.added_on, ListEntry.removed_on).order_by(ListEntry.id))
    assert [tuple(r) for r in days] == [(dt.date(2024, 2, 20), dt.date(2024, 5, 1)),
                                        (dt.date(2024, 9, 1), None)]  # fmt: skip


@pytest.mark.parametrize("code", ["FGW", "JSJ", "QSHQ"])
def test_a_department_without_the_list_role_cannot_keep_lists(world, code):
    refused(Forbidden, lambda: pub.save_list(world, as_(code), LIST_2024), "not_list_office")
    list_id = a_list(world)
    refused(Forbidden, lambda: pub.add_to_list(world, as_(code), list_id,
                                               pub.EntryInput(PROJECT_CODE)), "not_list_office")  # fmt: skip
    assert world.scalar(select(func.count()).select_from(ListEntry)) == 0


def test_another_citys_office_is_outside_its_region(world):
    mine = pub.ListInput(**{**LIST_2024.__dict__, "issuer": "JJZDB"})
    refused(Forbidden, lambda: pub.save_list(world, as_("JJZDB"), mine), "outside_region")
    list_id = a_list(world)
    refused(Forbidden, lambda: pub.add_to_list(world, as_("JJZDB"), list_id,
                                               pub.EntryInput(PROJECT_CODE)), "outside_region")  # fmt: skip
    refused(Forbidden, lambda: pub.remove_from_list(world, as_("JJZDB"), list_id, PROJECT_CODE,
                                                    dt.date(2024, 5, 1), "x"), "outside_region")  # fmt: skip


def test_an_office_cannot_register_a_list_in_another_issuers_name(world):
    pub.upsert_department(world, as_(None, admin=True), pub.DepartmentInput(
        "ZDB2", "南昌市重大办(二)", "government_department", region_code="360100",
        roles=["major_projects_office"]))  # fmt: skip
    theirs = pub.ListInput(**{**LIST_2024.__dict__, "issuer": "ZDB2"})
    refused(Forbidden, lambda: pub.save_list(world, as_("ZDB"), theirs), "admin_only")
    assert pub.save_list(world, as_(None, admin=True), theirs).action == "added"


def test_list_refusals_name_the_field_and_rule(world):
    bad = pub.ListInput(name=" ", level="city", year=1899, region_code="3601", issuer="ZDB",
                        issued_on="2099-01-01", source_url="javascript:alert(1)")  # fmt: skip
    caught = refused(InvalidInput, lambda: pub.save_list(world, as_("ZDB"), bad), "required")
    assert {p.path for p in caught.problems} >= {"name", "level", "year", "region_code",
                                                 "issued_on", "source_url"}  # fmt: skip
    assert world.scalar(select(func.count()).select_from(ProjectList)) == 0


def test_entry_refusals(world):
    list_id = a_list(world)
    bad = pub.EntryInput(PROJECT_CODE, nature="扩建", total_investment="很多",
                         added_on="2099-01-01")  # fmt: skip
    caught = refused(InvalidInput, lambda: pub.add_to_list(world, as_("ZDB"), list_id, bad),
                     "unknown_value")  # fmt: skip
    assert {p.path for p in caught.problems} >= {"nature", "total_investment", "added_on"}
    refused(NotFound, lambda: pub.add_to_list(world, as_("ZDB"), 999,
                                              pub.EntryInput(PROJECT_CODE)), "unknown_list")  # fmt: skip
    refused(NotFound, lambda: pub.remove_from_list(world, as_("ZDB"), list_id, PROJECT_CODE,
                                                   dt.date(2024, 5, 1), "调出"), "not_on_list")  # fmt: skip
    pub.add_to_list(world, as_("ZDB"), list_id, pub.EntryInput(PROJECT_CODE))
    refused(InvalidInput, lambda: pub.remove_from_list(world, as_("ZDB"), list_id, PROJECT_CODE,
                                                       dt.date(2024, 1, 1), "调出"), "before_added")  # fmt: skip


# --- designations ------------------------------------------------------------------------


def test_only_an_administrator_designates(world):
    refused(Forbidden, lambda: pub.designate(world, as_("ZDB"), PROJECT_CODE, "市委决定",
                                             dt.date(2024, 1, 1)), "admin_only")  # fmt: skip
    outcome = pub.designate(world, as_(None, admin=True), PROJECT_CODE, "市委决定",
                            dt.date(2024, 1, 1))  # fmt: skip
    assert outcome.action == "added"
    refused(InvalidInput, lambda: pub.designate(world, as_(None, admin=True), PROJECT_CODE, "x",
                                                "2024-05-01", "2024-04-01"), "before_start")  # fmt: skip


# --- declarations ------------------------------------------------------------------------


def test_the_responsible_body_declares_not_applicable(world):
    declaration = pub.DeclarationInput(PROJECT_CODE, "land_acquisition", "不涉及",
                                       "使用存量建设用地，不涉及征收土地")  # fmt: skip
    # the catalog's default: land acquisition by the district government (QSHQ)
    outcome = pub.declare(world, as_("QSHQ"), declaration)
    assert outcome.action == "added" and outcome.record.kind == "not_applicable"
    same = pub.declare(world, as_("QSHQ"), declaration)
    assert same.action == "unchanged"
    changed = pub.declare(world, as_("QSHQ"), pub.DeclarationInput(
        PROJECT_CODE, "land_acquisition", "not_yet_formed", "征收方案报批中",
        expected_stage="2025年一季度"))  # fmt: skip
    assert changed.action == "revised"
    world.commit()
    rows = world.execute(select(Declaration.kind, Declaration.declared_at,
                                Declaration.withdrawn_at).order_by(Declaration.id)).all()  # fmt: skip
    assert [r.kind for r in rows] == ["not_applicable", "not_yet_formed"]
    assert rows[0].withdrawn_at == rows[1].declared_at  # one ends as the other begins


def test_a_body_not_responsible_cannot_declare(world):
    declaration = pub.DeclarationInput(PROJECT_CODE, "land_acquisition", "not_applicable", "x")
    refused(NotResponsible, lambda: pub.declare(world, as_("JSJ"), declaration),
            "not_responsible")  # fmt: skip
    refused(NotResponsible, lambda: pub.declare(world, as_("ZDB"), declaration),
            "not_responsible")  # fmt: skip
    assert world.scalar(select(func.count()).select_from(Declaration)) == 0
    on_behalf = pub.DeclarationInput(PROJECT_CODE, "land_acquisition", "not_applicable", "x",
                                     department="QSHQ")  # fmt: skip
    assert pub.declare(world, as_(None, admin=True), on_behalf).action == "added"


def test_declaration_refusals_and_withdrawal(world):
    bad = pub.DeclarationInput(PROJECT_CODE, "roads", "maybe", " ", item="no_such_item")
    caught = refused(InvalidInput, lambda: pub.declare(world, as_("QSHQ"), bad), "unknown_value")
    assert {p.path for p in caught.problems} >= {"category", "kind", "reason"}
    wrong_item = pub.DeclarationInput(PROJECT_CODE, "land_acquisition", "not_applicable", "x",
                                      item="gov_feasibility_study_approval")  # fmt: skip
    refused(InvalidInput, lambda: pub.declare(world, as_("QSHQ"), wrong_item), "unknown_item",
            "item")  # fmt: skip
    declared = pub.declare(world, as_("QSHQ"), pub.DeclarationInput(
        PROJECT_CODE, "land_acquisition", "not_applicable", "不涉及征地"))  # fmt: skip
    world.commit()
    refused(Forbidden, lambda: pub.withdraw_declaration(world, as_("JSJ"), declared.record.id,
                                                        "错了"), "admin_only")  # fmt: skip
    assert pub.withdraw_declaration(world, as_("QSHQ"), declared.record.id, "需要征地").action == (
        "withdrawn"
    )
    refused(NotFound, lambda: pub.withdraw_declaration(world, as_("QSHQ"), declared.record.id,
                                                       "again"), "unknown_declaration")  # fmt: skip

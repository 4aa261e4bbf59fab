"""Revisions never overwrite: corrections add a revision, withdrawals keep the row."""

import pytest
from sqlalchemy import select

from registry import publishing as pub
from registry.errors import InvalidInput, NotResponsible
from registry.models import AuditEntry, Disclosure
from registry.publishing import Actor
from tests.conftest import count
from tests.registry.factories import approval_input, seeded


@pytest.fixture
def published(session, system):
    seeded(session, system)
    row = pub.publish_disclosure(session, system, approval_input()).record
    session.commit()
    return row


def lineage(session, lineage_id):
    return session.scalars(
        select(Disclosure).where(Disclosure.lineage_id == lineage_id).order_by(Disclosure.revision)
    ).all()


def test_publishing_the_same_content_again_changes_nothing(session, system, published):
    again = pub.publish_disclosure(session, system, approval_input())
    session.commit()
    assert again.action == "unchanged" and again.record.id == published.id
    assert count(session.get_bind(), "disclosures") == 1


def test_changed_content_under_the_same_key_becomes_a_revision(session, system, published):
    data = approval_input()
    data.elements["approval_doc_no"] = "洪发改投资〔2023〕89号"
    outcome = pub.publish_disclosure(session, system, data)
    session.commit()
    assert outcome.action == "revised"
    old, new = lineage(session, published.lineage_id)
    assert (old.status, new.status, new.revision, new.replaces_id) == (
        "superseded",
        "published",
        2,
        old.id,
    )
    assert old.elements["approval_doc_no"] == "洪发改投资〔2023〕88号"
    assert new.correction_reason == "updated through test:system"


def test_correction_needs_a_reason_and_keeps_it(session, system, published):
    fgw = Actor(path="mutation:correctDisclosure", department="FGW")
    with pytest.raises(InvalidInput, match="reason"):
        pub.correct_disclosure(
            session, fgw, published.id, reason=" ", elements={"approval_result": "不同意"}
        )
    outcome = pub.correct_disclosure(
        session,
        fgw,
        published.id,
        reason="批复结果录入错误",
        elements={"approval_result": "同意（附条件）"},
    )
    session.commit()
    old, new = lineage(session, published.lineage_id)
    assert (
        new.correction_reason == "批复结果录入错误"
        and new.elements["approval_result"] == "同意（附条件）"
    )
    assert old.status == "superseded" and outcome.record.id == new.id


def test_correction_is_checked_like_publication(session, system, published):
    jsj = Actor(path="test", department="JSJ")
    with pytest.raises(NotResponsible):
        pub.correct_disclosure(session, jsj, published.id, reason="x", elements={})
    with pytest.raises(InvalidInput) as err:
        pub.correct_disclosure(
            session, system, published.id, reason="x", elements={"approval_date": "not a date"}
        )
    assert err.value.problems[0].path == "elements.approval_date"
    session.commit()
    assert count(session.get_bind(), "disclosures") == 1


def test_withdrawal_is_a_state_with_a_reason(session, system, published):
    with pytest.raises(InvalidInput, match="reason"):
        pub.withdraw_disclosure(session, system, published.id, reason="")
    pub.withdraw_disclosure(session, system, published.id, reason="重复发布")
    session.commit()
    (row,) = lineage(session, published.lineage_id)
    assert (row.status, row.withdrawn_reason) == ("withdrawn", "重复发布")
    with pytest.raises(InvalidInput, match="is withdrawn"):
        pub.withdraw_disclosure(session, system, published.id, reason="again")
    # The key is free again: a new publication starts a new lineage.
    fresh = pub.publish_disclosure(session, system, approval_input()).record
    assert fresh.lineage_id != published.lineage_id


def test_every_write_and_refusal_is_audited(session, system, published):
    pub.withdraw_disclosure(session, system, published.id, reason="重复发布")
    session.commit()
    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["publish_disclosure", "withdraw_disclosure"]
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (last.actor, last.path, last.target) == (
        "system",
        "test:system",
        f"disclosure:{published.id}",
    )

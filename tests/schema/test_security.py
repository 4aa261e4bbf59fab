"""Every attack on the write path: refused, nothing written, the attempt audited."""

import httpx
import pytest
from sqlalchemy import text

from tests.conftest import count
from tests.schema.test_mutations import METRO, PUBLISH, design

TABLES = ("departments", "projects", "sites", "responsibilities", "disclosures", "api_keys")

MUTATIONS = {
    "publishDisclosure": (PUBLISH, lambda: {"input": design(ref="attack")}),
    "correctDisclosure": (
        'mutation { correctDisclosure(id: "1", reason: "x", elements: {approvalDocNo: "y"}) '
        "{ action userErrors { path code message } } }",
        dict,
    ),
    "withdrawDisclosure": (
        'mutation { withdrawDisclosure(id: "1", reason: "x") '
        "{ action userErrors { path code message } } }",
        dict,
    ),
    "upsertProject": (
        'mutation { upsertProject(input: {code: "2311-360111-48-01-000888", name: "x", '
        'projectType: APPROVAL, regionCode: "360111"}) { action userErrors { path code message } } }',
        dict,
    ),
    "assignResponsibility": (
        f'mutation {{ assignResponsibility(projectCode: "{METRO}", category: CONSTRUCTION, '
        'department: "NCJSJ") { action userErrors { path code message } } }',
        dict,
    ),
    "upsertDepartment": (
        'mutation { upsertDepartment(input: {code: "EVIL", name: "x", kind: "other"}) '
        "{ action userErrors { path code message } } }",
        dict,
    ),
}
BAD_CREDENTIALS = {
    "no key": (None, "missing-key"),
    "malformed key": ("Bearer not-a-key", "malformed-key"),
    "wrong scheme": ("Basic dXNlcjpwYXNz", "malformed-key"),
    "unknown key": ("Bearer mpr_deadbeef_" + "A" * 43, "unknown-key:deadbeef"),
}


def snapshot(engine):
    return {t: count(engine, t) for t in TABLES}


def last_audit(engine):
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT actor, path, outcome, detail FROM audit_log ORDER BY at DESC, id DESC "
                "LIMIT 1"
            )
        ).one()


def post(url, query, variables, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = httpx.post(url, json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200
    return response.json()["data"]


@pytest.mark.parametrize("mutation", MUTATIONS)
@pytest.mark.parametrize("credential", BAD_CREDENTIALS)
def test_bad_credentials_are_refused_and_audited(gql, keys, demo_data, mutation, credential):
    query, variables = MUTATIONS[mutation]
    authorization, actor = BAD_CREDENTIALS[credential]
    before = snapshot(demo_data)
    payload = post(gql.url, query, variables(), authorization)[mutation]
    assert payload["action"] is None
    assert payload["userErrors"][0]["code"] == "unauthenticated"
    assert snapshot(demo_data) == before
    audit = last_audit(demo_data)
    assert (audit.actor, audit.path, audit.outcome) == (actor, f"mutation:{mutation}", "refused")


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_a_revoked_key_is_refused(gql, keys, demo_data, mutation):
    query, variables = MUTATIONS[mutation]
    before = snapshot(demo_data)
    payload = post(gql.url, query, variables(), f"Bearer {keys['revoked']}")[mutation]
    assert payload["userErrors"][0]["message"] == "密钥已吊销 · this key has been revoked"
    assert snapshot(demo_data) == before
    assert last_audit(demo_data).actor.startswith("revoked-key:")


@pytest.mark.parametrize(
    "mutation, code",
    [
        ("publishDisclosure", "not_responsible"),
        ("correctDisclosure", "not_responsible"),
        ("withdrawDisclosure", "not_responsible"),
        ("upsertProject", "not_registrar"),
        ("assignResponsibility", "admin_only"),
        ("upsertDepartment", "admin_only"),
    ],
)
def test_another_departments_key_is_refused(gql, keys, demo_data, mutation, code):
    """NCJSJ (建设局) trying what only 发改委 or an administrator may do."""
    query, variables = MUTATIONS[mutation]
    with demo_data.connect() as conn:
        target = conn.scalar(
            text(
                "SELECT x.id FROM disclosures x JOIN departments d ON d.id = "
                "x.publisher_id WHERE d.code = 'NCFGW' AND x.status = 'published' LIMIT 1"
            )
        )
    query = query.replace('id: "1"', f'id: "{target}"')
    before = snapshot(demo_data)
    payload = post(gql.url, query, variables(), f"Bearer {keys['jsj']}")[mutation]
    assert payload["userErrors"][0]["code"] == code, payload
    assert snapshot(demo_data) == before
    audit = last_audit(demo_data)
    assert (audit.actor, audit.outcome) == ("NCJSJ", "refused")


def test_personal_ids_and_structure_in_text_fields_are_refused(gql, keys, demo_data):
    before = snapshot(demo_data)
    payload = post(
        gql.url,
        PUBLISH,
        {
            "input": design(
                ref="pii",
                elements={
                    "approving_authority": "经办人 11010519491231002X",
                    "approvalResult": {"$gt": ""},
                },
            )
        },
        f"Bearer {keys['fgw']}",
    )["publishDisclosure"]
    errors = {(tuple(e["path"]), e["code"]) for e in payload["userErrors"]}
    assert errors == {
        (("input", "elements", "approving_authority"), "personal_identifier"),
        (("input", "elements", "approval_result"), "not_a_scalar"),
    }
    assert snapshot(demo_data) == before


@pytest.mark.parametrize(
    "payload",
    [
        "'; DROP TABLE disclosures; --",
        "<script>alert(1)</script>",
        "洪发改\\x00投资",
        "$(rm -rf /)",
    ],
)
def test_injection_in_text_fields_is_stored_as_text(gql, keys, demo_data, payload):
    result = post(
        gql.url,
        PUBLISH,
        {"input": design(ref=f"inj-{hash(payload)}", title=payload)},
        f"Bearer {keys['fgw']}",
    )["publishDisclosure"]
    assert result["userErrors"] == [] and result["disclosure"]["title"] == payload
    assert count(demo_data, "disclosures") > 0


def test_a_department_cannot_publish_as_another_through_the_publisher_field(gql, keys, demo_data):
    # The input has no publisher field: the key decides who publishes.
    body = httpx.post(
        gql.url,
        json={"query": PUBLISH, "variables": {"input": {**design(), "publisher": "NCFGW"}}},
        headers={"Authorization": f"Bearer {keys['jsj']}"},
    ).json()
    assert "publisher" in body["errors"][0]["message"]


def test_a_flood_of_keyless_attempts_is_one_counted_entry(gql, demo_data):
    query, variables = MUTATIONS["publishDisclosure"]
    with demo_data.connect() as conn:
        before = conn.scalar(text("SELECT count(*) FROM audit_log"))
    for _ in range(40):
        post(gql.url, query, variables(), "Bearer not-a-key")
    with demo_data.connect() as conn:
        after = conn.scalar(text("SELECT count(*) FROM audit_log"))
    entry = last_audit(demo_data)
    assert after - before <= 1 and entry.actor == "malformed-key"
    assert entry.detail["attempts"] >= 40

"""Publishing over GraphQL with department keys: the same rules as the loaders."""

import httpx
import pytest

METRO = "2019-360100-48-01-100000"
DESIGN = {
    "approvalResult": "同意",
    "approvalDate": "2019-09-01",
    "approvalDocNo": "洪发改投资〔2019〕300号",
    "approving_authority": "南昌市发展和改革委员会",
}
PUBLISH = """mutation($input: DisclosureInput!) { publishDisclosure(input: $input) {
  action disclosure { id revision title publisher { code } ... on ApprovalResultDisclosure { approvalDocNo } }
  userErrors { path code message } } }"""


@pytest.fixture(scope="module")
def api(gql, keys):
    def call(query, variables=None, key=None, header=None):
        headers = {"Authorization": header or f"Bearer {keys[key]}"} if key or header else {}
        response = httpx.post(
            gql.url, json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    return call


def design(**overrides):
    return {
        "projectCode": METRO,
        "item": "gov_preliminary_design_approval",
        "formedOn": "2019-09-01",
        "elements": {**DESIGN, **overrides.pop("elements", {})},
        **overrides,
    }


def test_publish_then_again_then_changed(api, demo_data):
    first = api(PUBLISH, {"input": design()}, key="fgw")["publishDisclosure"]
    assert first["userErrors"] == [] and first["action"] == "added"
    assert first["disclosure"]["publisher"] == {"code": "NCFGW"}
    assert first["disclosure"]["approvalDocNo"] == "洪发改投资〔2019〕300号"
    again = api(PUBLISH, {"input": design()}, key="fgw")["publishDisclosure"]
    assert again["action"] == "unchanged" and again["disclosure"]["id"] == first["disclosure"]["id"]
    changed = api(
        PUBLISH, {"input": design(elements={"approvalDocNo": "洪发改投资〔2019〕301号"})}, key="fgw"
    )["publishDisclosure"]
    assert changed["action"] == "revised" and changed["disclosure"]["revision"] == 2


def test_correct_and_withdraw_keep_history_with_who_when_why(api):
    current = api(PUBLISH, {"input": design(ref="history")}, key="fgw")["publishDisclosure"][
        "disclosure"
    ]
    corrected = api(
        """mutation($id: ID!) { correctDisclosure(id: $id, reason: "文号录入错误",
        elements: {approvalDocNo: "洪发改投资〔2019〕302号"}) { action disclosure { id revision }
        userErrors { code } } }""",
        {"id": current["id"]},
        key="fgw",
    )["correctDisclosure"]
    assert corrected["action"] == "revised" and corrected["disclosure"]["revision"] == 2
    withdrawn = api(
        """mutation($id: ID!) { withdrawDisclosure(id: $id, reason: "重复发布") {
        action disclosure { history { revision status publisher { code } publishedAt correctionReason
        withdrawnReason withdrawnAt } } userErrors { code } } }""",
        {"id": corrected["disclosure"]["id"]},
        key="fgw",
    )["withdrawDisclosure"]
    assert withdrawn["action"] == "withdrawn"
    history = withdrawn["disclosure"]["history"]
    # every revision hides its content; revision 1 was superseded by the correction,
    # the withdrawal is revision 2's (and the item's)
    assert [(h["revision"], h["status"]) for h in history] == [(1, "SUPERSEDED"), (2, "WITHDRAWN")]
    assert (
        history[1]["correctionReason"] == "文号录入错误"
        and history[1]["withdrawnReason"] == "重复发布"
    )
    assert all(h["publisher"]["code"] == "NCFGW" and h["publishedAt"] for h in history)


def test_drafts_are_seen_only_by_their_department(api):
    draft = api(PUBLISH, {"input": design(ref="draft", draft=True)}, key="fgw")["publishDisclosure"]
    assert draft["action"] == "added"
    mine = api("{ myDrafts { totalCount nodes { id title } } }", key="fgw")["myDrafts"]
    assert draft["disclosure"]["id"] in [n["id"] for n in mine["nodes"]]
    assert api("{ myDrafts { totalCount } }", key="jsj")["myDrafts"]["totalCount"] == 0
    public = api(
        f'{{ disclosures(filter: {{projectCode: "{METRO}"}}, first: 100) {{ nodes {{ id }} }} }}'
    )
    assert draft["disclosure"]["id"] not in [n["id"] for n in public["disclosures"]["nodes"]]


def test_projects_departments_and_responsibility(api, demo_data):
    project = api(
        """mutation { upsertProject(input: {code: "2311-360111-48-01-000777", name: "测试道路",
        projectType: APPROVAL, regionCode: "360111", status: APPROVED, approvedOn: "2023-11-01",
        sites: [{name: "线位", geometry: {type: "LineString", coordinates: [[115.95, 28.66], [115.96, 28.67]]}}]})
        { action project { code sites { name } } userErrors { code } } }""",
        key="fgw",
    )["upsertProject"]
    assert project["action"] == "added" and project["project"]["sites"] == [{"name": "线位"}]
    refused = api(
        """mutation { assignResponsibility(projectCode: "2311-360111-48-01-000777",
        category: CONSTRUCTION, department: "NCSLJ") { action userErrors { code } } }""",
        key="fgw",
    )
    assert refused["assignResponsibility"]["userErrors"] == [{"code": "admin_only"}]
    assigned = api(
        """mutation { assignResponsibility(projectCode: "2311-360111-48-01-000777",
        category: CONSTRUCTION, department: "NCSLJ") { action project { responsibilities {
        category department { code } source } } userErrors { code } } }""",
        key="admin",
    )
    rows = assigned["assignResponsibility"]["project"]["responsibilities"]
    assert {
        "category": "CONSTRUCTION",
        "department": {"code": "NCSLJ"},
        "source": "assigned",
    } in rows
    department = api(
        """mutation { upsertDepartment(input: {code: "NCTEST", name: "测试局",
        kind: "government_department", regionCode: "360100"}) { action department { code }
        userErrors { code } } }""",
        key="admin",
    )["upsertDepartment"]
    assert department["action"] == "added"


def test_audit_log_is_for_administrators(api, gql, keys):
    log = api(
        "{ auditLog(first: 50) { totalCount nodes { actor path action target outcome detail } } }",
        key="admin",
    )["auditLog"]
    paths = {n["path"] for n in log["nodes"]}
    assert "mutation:publishDisclosure" in paths and log["totalCount"] >= 5
    for key, code in (("fgw", "admin_only"), (None, "unauthenticated")):
        headers = {"Authorization": f"Bearer {keys[key]}"} if key else {}
        body = httpx.post(
            gql.url, json={"query": "{ auditLog { totalCount } }"}, headers=headers
        ).json()
        assert body["errors"][0]["extensions"]["problems"][0]["code"] == code

"""The register's project, its sites and its public items as one OC4IDS 0.9 project, one
function per OC4IDS section (shared/standards/oc4ids-guide.md, docs/oc4ids.md):

- identification: id, title, identifiers, status, type, description, sector;
- ``locations``: the sites, with the administrative division as gazetteer;
- ``budget`` and ``publicAuthority`` from the project's own fields;
- from the items: approvals as ``milestones`` (their numbers and issuers in ``x_approvals``),
  ``documents``, tenders and awards as ``contractingProcesses``, design changes as their
  ``modifications``, ``completion``; land acquisition and quality/safety supervision, which
  OC4IDS has no place for, in ``x_landAcquisition`` and ``x_supervision``;
- ``parties``, with the roles the project and its items gave them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from registry.catalog import get_catalog
from registry.clock import CST
from registry.links import safe_url

# A placeholder prefix of the required form until the OC4IDS Helpdesk assigns one.
PREFIX = "oc4ids-ncdemo"
STATUS = {
    "planning": "identification",
    "approved": "preparation",
    "under_construction": "implementation",
    "completed": "completion",
    "suspended": "implementation",
}
SECTOR = {
    "城市轨道交通": ["transport", "transport.urban"],
    "市政道路": ["transport", "transport.road"],
    "公路": ["transport", "transport.road"],
    "桥梁": ["transport", "transport.road"],
    "交通枢纽": ["transport", "transport.rail"],
    "医疗卫生": ["health"],
    "教育": ["education"],
    "园林绿化": ["cultureSportsAndRecreation"],
    "水利": ["naturalResources", "naturalResources.floodProtection"],
    "环保": ["waterAndWaste"],
    "保障性住房": ["socialHousing"],
    "林业": ["naturalResources"],
    "工业": ["economy"],
}
APPROVAL_ITEMS = {
    "gov_project_proposal_approval",
    "gov_feasibility_study_approval",
    "gov_preliminary_design_approval",
    "gov_project_adjustment_approval",
    "enterprise_project_filing",
    "enterprise_project_approval",
    "tender_scheme_approval",
    "land_use_pre_review",
    "planning_permits",
    "rural_construction_planning_permit",
    "eia_approval",
    "construction_permit",
}
DOCUMENT_TYPE = {
    "gov_feasibility_study_approval": "feasibilityStudy",
    "eia_approval": "environmentalImpact",
    "tender_notice": "tenderNotice",
    "award_result_publicity": "awardNotice",
    "completion_acceptance_filing": "completionCertificate",
    "completion_final_accounts_audit": "financialAuditReport",
}
Departments = dict[str, tuple[str, str, str | None]]  # code -> (code, name, USCC)


def moment(day: dt.date | dt.datetime | str | None) -> str | None:
    """OC4IDS dates are RFC 3339 date-times; a day becomes its midnight in China."""
    if day is None or day == "":
        return None
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    if isinstance(day, dt.datetime):
        return day.astimezone(CST).isoformat(timespec="seconds")
    return dt.datetime.combine(day, dt.time(0), tzinfo=CST).isoformat()


def party(code: str, name: str, uscc: str | None, roles: set[str]) -> dict:
    found: dict[str, Any] = {
        "id": f"CN-USCC-{uscc}" if uscc else f"CN-REGISTRY-{code}",
        "name": name,
        "roles": sorted(roles),
    }
    if uscc:
        found["identifier"] = {"scheme": "CN-USCC", "id": uscc, "legalName": name}
    return found


# --- the project's own fields ------------------------------------------------------------


def identification(project: dict) -> dict:
    record: dict[str, Any] = {
        "id": f"{PREFIX}-{project['code']}",
        "language": "zh",
        "title": project["name"],
        "identifiers": [{"id": project["code"], "scheme": "CN-TZXMDM"}],
        "status": STATUS[project["status"]],
        "type": "construction",
        "updated": moment(project["updated_at"]),
        "x_lifeCycleStatus": project["status"],
        "x_isSynthetic": project["is_synthetic"],
    }
    if project["description"]:
        record["description"] = project["description"]
    if project["industry"] in SECTOR:
        record["sector"] = SECTOR[project["industry"]]
    if project["industry"]:
        record["additionalClassifications"] = [
            {"scheme": "CN-INDUSTRY", "id": project["industry"], "description": project["industry"]}
        ]
    return record


def locations(project: dict, sites: list[dict]) -> list[dict]:
    """Each site, with its geometry; a project with no site yet (one a list brought in)
    is located by its administrative division alone, or not at all."""
    if not sites:
        if not project["region_code"]:
            return []
        return [
            {
                "id": "region",
                "description": project["region_code"],
                "gazetteer": {"scheme": "CN-GB2260", "identifiers": [project["region_code"]]},
            }
        ]
    return [
        {
            "id": str(site["id"]),
            "description": site["name"] or "",
            "geometry": json.loads(site["geojson"]),
            "gazetteer": {"scheme": "CN-GB2260", "identifiers": [project["region_code"]]},
        }
        for site in sites
    ]


def budget(project: dict) -> dict | None:
    if project["investment"] is None:
        return None
    return {
        "amount": {"amount": float(project["investment"]) * 10_000, "currency": "CNY"},
        "approvalDate": moment(project["approved_on"]),
    }


def public_authority(project: dict, departments: Departments) -> dict | None:
    if not project["owner_code"]:
        return None
    code, name, uscc = departments[project["owner_code"]]
    return {"id": party(code, name, uscc, set())["id"], "name": name}


# --- the items -------------------------------------------------------------------------------


@dataclass
class Items:
    """What a project's public items give its record, section by section."""

    code: str
    departments: Departments
    roles: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    milestones: list[dict] = field(default_factory=list)
    approvals: list[dict] = field(default_factory=list)
    documents: list[dict] = field(default_factory=list)
    processes: dict[str, dict] = field(default_factory=dict)
    land: list[dict] = field(default_factory=list)
    supervision: list[dict] = field(default_factory=list)
    modifications: list[dict] = field(default_factory=list)
    completion: dict = field(default_factory=dict)

    def add(self, x: dict) -> None:
        key = x["item_key"]
        self.roles[x["publisher"]].add("reviewBody" if key in APPROVAL_ITEMS else "x_publisher")
        category = get_catalog().known_item(key).category.value
        self.add_documents(x)
        if key in APPROVAL_ITEMS:
            self.add_approval(x)
        elif category == "bidding":
            self.add_bidding(x)
        elif key == "major_design_change":
            self.add_design_change(x)
        elif category == "land_acquisition":
            self.land.append(self._described(x, geometry=True))
        elif category in ("quality_safety", "construction"):
            self.supervision.append(self._described(x))
        elif key == "completion_acceptance_filing":
            self.completion["endDate"] = moment(x["elements"].get("acceptance_date"))
        elif key == "completion_final_accounts_audit":
            amount = x["elements"].get("final_accounts_amount")
            if amount is not None:
                self.completion["finalValue"] = {"amount": amount * 10_000, "currency": "CNY"}

    def add_documents(self, x: dict) -> None:
        key = x["item_key"]
        if not x["documents"] and key not in DOCUMENT_TYPE:
            return
        for m, doc in enumerate(x["documents"] or [{"title": x["title"], "url": None}]):
            entry = {"id": f"{x['id']}-{m}", "title": doc["title"],
                     "datePublished": moment(x["published_at"])}  # fmt: skip
            if safe_url(doc.get("url")):  # a link a reader may follow, and nothing else
                entry["url"] = doc["url"]
            if key in DOCUMENT_TYPE:
                entry["documentType"] = DOCUMENT_TYPE[key]
            if (kept := doc.get("archived")) is not None:  # an extension: the copy kept here
                entry["archivedCopy"] = {"url": kept["url"], "sha256": kept["sha256"],
                                         "dateArchived": moment(kept["kept_at"])}  # fmt: skip
            self.documents.append(entry)

    def add_approval(self, x: dict) -> None:
        el, key = x["elements"], x["item_key"]
        title = get_catalog().known_item(key).name_zh
        decided = (
            el.get("approval_date") or el.get("permit_date") or el.get("filing_date")
            or x["formed_on"]
        )  # fmt: skip
        self.milestones.append({
            "id": f"approval-{x['id']}", "title": title, "type": "approval",
            "code": "projectApproval" if key.startswith(("gov_", "enterprise_")) else key,
            "dateMet": moment(decided), "status": "met",
        })  # fmt: skip
        self.approvals.append({
            "item": key, "title": title, "date": moment(decided),
            "documentNumber": el.get("approval_doc_no") or el.get("construction_permit_no")
            or el.get("permit_no") or el.get("filing_no") or el.get("rural_planning_permit_no"),
            "issuer": el.get("approving_authority") or el.get("issuing_authority")
            or el.get("filing_authority") or self.departments[x["publisher"]][1],
            "result": el.get("approval_result") or el.get("review_result")
            or el.get("pre_review_result"),
        })  # fmt: skip

    def add_bidding(self, x: dict) -> None:
        el, key = x["elements"], x["item_key"]
        section = el.get("bid_section") or "main"
        process = self.processes.setdefault(section, {
            "id": f"{self.code}-{section}",
            "summary": {"title": section, "status": "pre-award", "nature": ["construction"]},
        })  # fmt: skip
        summary = process["summary"]
        if key == "tender_notice":
            summary["tender"] = {
                "procurementMethod": "open"
                if el.get("tender_method") == "公开招标"
                else "selective",
                "procurementMethodDetails": el.get("tender_method"),
                "datePublished": moment(el.get("notice_date")),
            }
            summary["description"] = el.get("tender_scope")
        elif key == "award_result_publicity":
            summary["status"] = "active"
            if el.get("winning_bid_amount") is not None:
                summary["contractValue"] = {"amount": el["winning_bid_amount"] * 10_000,
                                            "currency": "CNY"}  # fmt: skip
            summary["x_winningBidder"] = el.get("winning_bidder")

    def add_design_change(self, x: dict) -> None:
        el = x["elements"]
        self.modifications.append({
            "id": str(x["id"]), "date": moment(el.get("change_approval_date")),
            "description": el.get("main_change_content"), "rationale": el.get("change_reason"),
            "type": "scope",
        })  # fmt: skip

    @staticmethod
    def _described(x: dict, geometry: bool = False) -> dict:
        entry = {"item": x["item_key"], "title": get_catalog().known_item(x["item_key"]).name_zh,
                 "publishedDate": moment(x["published_at"]), "elements": x["elements"]}  # fmt: skip
        if geometry and x["geojson"]:
            entry["geometry"] = json.loads(x["geojson"])
        return entry

    def sections(self) -> dict[str, Any]:
        """The record's sections the items gave (empty ones left out)."""
        processes = list(self.processes.values())
        found: dict[str, Any] = {}
        if self.modifications and processes:
            processes[0]["summary"]["modifications"] = self.modifications
        elif self.modifications:
            found["x_designChanges"] = self.modifications
        for process in processes:
            process["summary"] = {k: v for k, v in process["summary"].items() if v is not None}
        found.update((name, value) for name, value in (
            ("milestones", self.milestones), ("documents", self.documents),
            ("contractingProcesses", processes), ("x_approvals", self.approvals),
            ("x_landAcquisition", self.land), ("x_supervision", self.supervision),
            ("completion", self.completion),
        ) if value)  # fmt: skip
        return found


def parties(roles: dict[str, set[str]], departments: Departments) -> list[dict]:
    return [party(*departments[code], found) for code, found in sorted(roles.items())]


def scope_fields(reasons: list[dict]) -> dict[str, Any]:
    """Why the project is major (registry/reading/scope.py): each list it is on as an
    additional classification (scheme CN-ZDXM-LIST, the list's id, its name and document),
    and x_majorProject."""
    listed = [
        {"scheme": "CN-ZDXM-LIST", "id": str(r["list_id"]),
         "description": r["name"] + (f"（{r['doc_no']}）" if r["doc_no"] else "")}
        for r in reasons if r["kind"] == "list"
    ]  # fmt: skip
    return {"x_majorProject": bool(reasons), "listed": listed}


def project_record(
    project: dict, sites: list[dict], items: list[dict], departments: Departments,
    reasons: list[dict] | None = None,
) -> dict:  # fmt: skip
    """One OC4IDS project (nulls left out: OC4IDS types do not admit them)."""
    record = identification(project)
    if reasons is not None:
        found = scope_fields(reasons)
        record["x_majorProject"] = found["x_majorProject"]
        if found["listed"]:
            record["additionalClassifications"] = [
                *record.get("additionalClassifications", []),
                *found["listed"],
            ]
    record["locations"] = locations(project, sites)
    if (money := budget(project)) is not None:
        record["budget"] = money
    given = Items(project["code"], departments)
    if (authority := public_authority(project, departments)) is not None:
        record["publicAuthority"] = authority
        given.roles[project["owner_code"]].add("publicAuthority")
    for x in items:
        given.add(x)
    record.update(given.sections())
    if found_parties := parties(given.roles, departments):
        record["parties"] = found_parties  # none yet for a project a list brought in
    return strip(record)


def strip(value: Any) -> Any:
    """Drop None values: OC4IDS types do not admit null."""
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value

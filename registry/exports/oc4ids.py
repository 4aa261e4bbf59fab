"""Export the register as an OC4IDS 0.9 project package, validated against the vendored schema.

The mapping follows shared/standards/oc4ids-guide.md: one OC4IDS project per project code;
approvals become milestones (with the document numbers and issuers in `x_approvals`);
tenders and awards become contracting processes; design changes their modifications;
land acquisition and quality/safety supervision, which OC4IDS has no place for, go in the
extension objects `x_landAcquisition` and `x_supervision`. docs/oc4ids.md explains each field.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from registry.catalog import get_catalog
from registry.clock import CST
from registry.errors import NotFound

SCHEMAS = Path(__file__).parents[1] / "data" / "oc4ids"
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


def moment(day: dt.date | dt.datetime | str | None) -> str | None:
    """OC4IDS dates are RFC 3339 date-times; a day becomes its midnight in China."""
    if day is None or day == "":
        return None
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    if isinstance(day, dt.datetime):
        return day.astimezone(CST).isoformat(timespec="seconds")
    return dt.datetime.combine(day, dt.time(0), tzinfo=CST).isoformat()


def _party(code: str, name: str, uscc: str | None, roles: set[str]) -> dict:
    party: dict[str, Any] = {
        "id": f"CN-USCC-{uscc}" if uscc else f"CN-REGISTRY-{code}",
        "name": name,
        "roles": sorted(roles),
    }
    if uscc:
        party["identifier"] = {"scheme": "CN-USCC", "id": uscc, "legalName": name}
    return party


def _project(project: dict, sites: list[dict], items: list[dict], departments: dict) -> dict:
    catalog = get_catalog()
    roles: dict[str, set[str]] = defaultdict(set)
    record = {
        "id": f"{PREFIX}-{project['code']}",
        "language": "zh",
        "title": project["name"],
        "identifiers": [{"id": project["code"], "scheme": "CN-TZXMDM"}],
        "status": STATUS[project["status"]],
        "type": "construction",
        "updated": moment(project["updated_at"]),
        "locations": [
            {
                "id": str(site["id"]),
                "description": site["name"] or "",
                "geometry": json.loads(site["geojson"]),
                "gazetteer": {"scheme": "CN-GB2260", "identifiers": [project["region_code"]]},
            }
            for site in sites
        ],
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
    if project["investment"] is not None:
        record["budget"] = {
            "amount": {"amount": float(project["investment"]) * 10_000, "currency": "CNY"},
            "approvalDate": moment(project["approved_on"]),
        }
        record["budget"] = {k: v for k, v in record["budget"].items() if v is not None}
    if project["owner_code"]:
        owner = departments[project["owner_code"]]
        record["publicAuthority"] = {
            "id": _party(owner[0], owner[1], owner[2], set())["id"],
            "name": owner[1],
        }
        roles[project["owner_code"]].add("publicAuthority")
    milestones: list[dict] = []
    approvals: list[dict] = []
    documents: list[dict] = []
    processes: dict[str, dict] = {}
    land, supervision, modifications = [], [], []
    for x in items:
        el, key = x["elements"], x["item_key"]
        roles[x["publisher"]].add("reviewBody" if key in APPROVAL_ITEMS else "x_publisher")
        item = catalog.known_item(key)
        if x["documents"] or key in DOCUMENT_TYPE:
            for m, doc in enumerate(x["documents"] or [{"title": x["title"], "url": None}]):
                entry = {
                    "id": f"{x['id']}-{m}",
                    "title": doc["title"],
                    "datePublished": moment(x["published_at"]),
                }
                if doc.get("url"):
                    entry["url"] = doc["url"]
                if key in DOCUMENT_TYPE:
                    entry["documentType"] = DOCUMENT_TYPE[key]
                documents.append(entry)
        if key in APPROVAL_ITEMS:
            decided = (
                el.get("approval_date")
                or el.get("permit_date")
                or el.get("filing_date")
                or x["formed_on"]
            )
            milestones.append(
                {
                    "id": f"approval-{x['id']}",
                    "title": item.name_zh,
                    "type": "approval",
                    "code": "projectApproval" if key.startswith(("gov_", "enterprise_")) else key,
                    "dateMet": moment(decided),
                    "status": "met",
                }
            )
            approvals.append(
                {
                    "item": key,
                    "title": item.name_zh,
                    "date": moment(decided),
                    "documentNumber": el.get("approval_doc_no")
                    or el.get("construction_permit_no")
                    or el.get("permit_no")
                    or el.get("filing_no")
                    or el.get("rural_planning_permit_no"),
                    "issuer": el.get("approving_authority")
                    or el.get("issuing_authority")
                    or el.get("filing_authority")
                    or departments[x["publisher"]][1],
                    "result": el.get("approval_result")
                    or el.get("review_result")
                    or el.get("pre_review_result"),
                }
            )
        elif item.category.value == "bidding":
            section = el.get("bid_section") or "main"
            process = processes.setdefault(
                section,
                {
                    "id": f"{project['code']}-{section}",
                    "summary": {
                        "title": section,
                        "status": "pre-award",
                        "nature": ["construction"],
                    },
                },
            )
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
                    summary["contractValue"] = {
                        "amount": el["winning_bid_amount"] * 10_000,
                        "currency": "CNY",
                    }
                summary["x_winningBidder"] = el.get("winning_bidder")
        elif key == "major_design_change":
            modifications.append(
                {
                    "id": str(x["id"]),
                    "date": moment(el.get("change_approval_date")),
                    "description": el.get("main_change_content"),
                    "rationale": el.get("change_reason"),
                    "type": "scope",
                }
            )
        elif item.category.value == "land_acquisition":
            land.append(
                {
                    "item": key,
                    "title": item.name_zh,
                    "publishedDate": moment(x["published_at"]),
                    "elements": el,
                    **({"geometry": json.loads(x["geojson"])} if x["geojson"] else {}),
                }
            )
        elif item.category.value in ("quality_safety", "construction"):
            supervision.append(
                {
                    "item": key,
                    "title": item.name_zh,
                    "publishedDate": moment(x["published_at"]),
                    "elements": el,
                }
            )
        elif key == "completion_acceptance_filing":
            record["completion"] = {"endDate": moment(el.get("acceptance_date"))}
        elif (
            key == "completion_final_accounts_audit" and el.get("final_accounts_amount") is not None
        ):
            record.setdefault("completion", {})["finalValue"] = {
                "amount": el["final_accounts_amount"] * 10_000,
                "currency": "CNY",
            }
    if modifications and processes:
        next(iter(processes.values()))["summary"]["modifications"] = modifications
    elif modifications:
        record["x_designChanges"] = modifications
    for process in processes.values():
        process["summary"] = {k: v for k, v in process["summary"].items() if v is not None}
    record.update(
        {
            k: v
            for k, v in (
                ("milestones", milestones),
                ("documents", documents),
                ("contractingProcesses", list(processes.values())),
                ("x_approvals", approvals),
                ("x_landAcquisition", land),
                ("x_supervision", supervision),
            )
            if v
        }
    )
    record["parties"] = [
        _party(departments[code][0], departments[code][1], departments[code][2], r)
        for code, r in sorted(roles.items())
    ]
    return record


def _strip(value):
    """Drop None values: OC4IDS types do not admit null."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


async def _rows(conn: AsyncConnection, sql: str, **params) -> list[dict]:
    return [dict(r._mapping) for r in await conn.execute(text(sql), params)]


async def package(
    conn: AsyncConnection,
    base_url: str,
    project_code: str | None = None,
    as_of: dt.datetime | None = None,
) -> dict:
    """A project package of every project (or one), public disclosures only: as they are,
    or as they were at ``as_of`` (projects registered by then, items public then)."""
    known = (
        "(p.created_at <= :as_of OR EXISTS (SELECT 1 FROM public_disclosures_at(:as_of) k "
        "WHERE k.project_id = p.id))"
    )
    conditions = [c for c, wanted in (("p.code = :code", project_code), (known, as_of)) if wanted]
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    public = "public_disclosures_at(:as_of)" if as_of else "public_disclosures"
    projects = await _rows(
        conn,
        "SELECT p.id, p.code, p.name, p.description, p.status, p.industry, p.region_code, "
        "p.investment, p.approved_on, p.updated_at, p.is_synthetic, d.code AS owner_code "
        "FROM projects p LEFT JOIN departments d ON d.id = p.owner_department_id "
        f"{where} ORDER BY p.code",
        code=project_code,
        as_of=as_of,
    )
    if project_code and not projects:
        raise NotFound.one(
            "project", "unknown_project", f"no project has the code {project_code!r}"
        )
    ids = [p["id"] for p in projects]
    departments = {
        r["code"]: (r["code"], r["name"], r["uscc"])
        for r in await _rows(conn, "SELECT code, name, uscc FROM departments")
    }
    sites: dict[int, list[dict]] = defaultdict(list)
    items: dict[int, list[dict]] = defaultdict(list)
    for r in await _rows(
        conn,
        "SELECT id, project_id, name, ST_AsGeoJSON(geom, 7) AS geojson FROM sites "
        "WHERE project_id = ANY(:ids) ORDER BY id",
        ids=ids,
    ):
        sites[r["project_id"]].append(r)
    for r in await _rows(
        conn,
        "SELECT x.id, x.project_id, x.item_key, x.title, x.elements, x.documents, x.formed_on, "
        "x.published_at, ST_AsGeoJSON(x.geom, 7) AS geojson, d.code AS publisher "
        f"FROM {public} x JOIN departments d ON d.id = x.publisher_id "
        "WHERE x.project_id = ANY(:ids) ORDER BY x.formed_on, x.id",
        ids=ids,
        as_of=as_of,
    ):
        items[r["project_id"]].append(r)
    return _strip(
        {
            "uri": f"{base_url}/exports/oc4ids.json"
            + _query(project=project_code, asOf=as_of),  # fmt: skip
            "publishedDate": dt.datetime.now(CST).isoformat(timespec="seconds"),
            "version": "0.9",
            "publisher": {"name": "重大建设项目全链条信息公开 registry", "uri": base_url},
            "projects": [
                _project(p, sites[p["id"]], items[p["id"]], departments) for p in projects
            ],
        }
    )


def _query(**params) -> str:
    from urllib.parse import urlencode

    given = {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in params.items() if v}
    return f"?{urlencode(given)}" if given else ""


@cache
def validator() -> Draft4Validator:
    project = json.loads((SCHEMAS / "project-schema.json").read_text(encoding="utf-8"))
    package_schema = json.loads(
        (SCHEMAS / "project-package-schema.json").read_text(encoding="utf-8")
    )
    registry = Registry().with_resource(project["id"], Resource.from_contents(project))
    return Draft4Validator(package_schema, registry=registry, format_checker=FormatChecker())


def problems(document: dict) -> list[str]:
    """Schema errors (JSON path: message); empty when the package is valid OC4IDS 0.9."""
    return [f"{error.json_path}: {error.message}" for error in validator().iter_errors(document)]

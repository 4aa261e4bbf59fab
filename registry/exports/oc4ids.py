"""Export the register as an OC4IDS 0.9 project package, validated against the vendored schema.

The mapping follows shared/standards/oc4ids-guide.md: one OC4IDS project per project code;
approvals become milestones (with the document numbers and issuers in `x_approvals`);
tenders and awards become contracting processes; design changes their modifications;
land acquisition and quality/safety supervision, which OC4IDS has no place for, go in the
extension objects `x_landAcquisition` and `x_supervision`. docs/oc4ids.md explains each field.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future, ProcessPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from registry.catalog import get_catalog
from registry.clock import CST
from registry.errors import unknown_project
from registry.links import safe_url

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
                if safe_url(doc.get("url")):  # a link a reader may follow, and nothing else
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


CHUNK = 1000  # projects built, written and forgotten at a time: the export's memory bound


def _projects_sql(public_known: bool, one: bool) -> str:
    known = (
        "(p.created_at <= :as_of OR EXISTS (SELECT 1 FROM public_disclosures_at(:as_of) k "
        "WHERE k.project_id = p.id))"
    )
    conditions = ["p.code > :after"]
    conditions += ["p.code = :code"] if one else []
    conditions += [known] if public_known else []
    return (
        "SELECT p.id, p.code, p.name, p.description, p.status, p.industry, p.region_code, "
        "p.investment, p.approved_on, p.updated_at, p.is_synthetic, d.code AS owner_code "
        "FROM projects p LEFT JOIN departments d ON d.id = p.owner_department_id "
        f"WHERE {' AND '.join(conditions)} ORDER BY p.code LIMIT :limit"
    )


async def projects(
    conn: AsyncConnection,
    project_code: str | None = None,
    as_of: dt.datetime | None = None,
    chunk: int = CHUNK,
) -> AsyncIterator[list[dict]]:
    """The OC4IDS projects of every project (or one), public disclosures only, as they are
    or as they were at ``as_of`` (projects registered by then, items public then): in code
    order, ``chunk`` projects at a time, each chunk read by three statements. Run it in one
    REPEATABLE READ transaction for a package that is one moment's register."""
    departments = {
        r["code"]: (r["code"], r["name"], r["uscc"])
        for r in await _rows(conn, "SELECT code, name, uscc FROM departments")
    }
    public = "public_disclosures_at(:as_of)" if as_of else "public_disclosures"
    listed = _projects_sql(as_of is not None, project_code is not None)
    after = ""
    while True:
        rows = await _rows(conn, listed, after=after, code=project_code, as_of=as_of, limit=chunk)
        if not rows:
            if project_code and not after:
                raise unknown_project(project_code, "project")
            return
        ids = [p["id"] for p in rows]
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
            "SELECT x.id, x.project_id, x.item_key, x.title, x.elements, x.documents, "
            "x.formed_on, x.published_at, ST_AsGeoJSON(x.geom, 7) AS geojson, "
            "d.code AS publisher "
            f"FROM {public} x JOIN departments d ON d.id = x.publisher_id "
            "WHERE x.project_id = ANY(:ids) ORDER BY x.formed_on, x.id",
            ids=ids,
            as_of=as_of,
        ):
            items[r["project_id"]].append(r)
        # mapping a chunk is Python's work: off the event loop, so a server keeps answering
        yield await asyncio.to_thread(_mapped, rows, sites, items, departments)
        if len(rows) < chunk:
            return
        after = rows[-1]["code"]


def _mapped(rows: list[dict], sites: dict, items: dict, departments: dict) -> list[dict]:
    return [_strip(_project(p, sites[p["id"]], items[p["id"]], departments)) for p in rows]


def header(
    base_url: str, project_code: str | None = None, as_of: dt.datetime | None = None
) -> dict:
    """The package without its projects."""
    return {
        "uri": f"{base_url}/exports/oc4ids.json" + _query(project=project_code, asOf=as_of),
        "publishedDate": dt.datetime.now(CST).isoformat(timespec="seconds"),
        "version": "0.9",
        "publisher": {"name": "重大建设项目全链条信息公开 registry", "uri": base_url},
        "projects": [],
    }


async def package(
    conn: AsyncConnection,
    base_url: str,
    project_code: str | None = None,
    as_of: dt.datetime | None = None,
) -> dict:
    """The whole package in memory: for one project, and for tests on small registers.
    Everything else streams (``stream``)."""
    document = header(base_url, project_code, as_of)
    async for chunk in projects(conn, project_code, as_of):
        document["projects"] += chunk
    return document


async def stream(
    conn: AsyncConnection,
    base_url: str,
    project_code: str | None = None,
    as_of: dt.datetime | None = None,
    check: Callable[[list[dict]], None] | None = None,
    chunk: int = CHUNK,
) -> AsyncIterator[bytes]:
    """The package as JSON text, a chunk of projects at a time; ``check`` sees each chunk
    before it is written (the CLI validates with it)."""
    opening = orjson.dumps(header(base_url, project_code, as_of))
    yield opening[: -len(b"[]}")] + b"["
    first = True
    async for records in projects(conn, project_code, as_of, chunk):
        if check:
            check(records)
        text_value = await asyncio.to_thread(b",".join, [orjson.dumps(r) for r in records])
        yield text_value if first else b"," + text_value
        first = False
    yield b"]}"


def _query(**params) -> str:
    from urllib.parse import urlencode

    given = {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in params.items() if v}
    return f"?{urlencode(given)}" if given else ""


def _schema(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


@cache
def validator() -> Draft4Validator:
    project = _schema("project-schema.json")
    registry = Registry().with_resource(project["id"], Resource.from_contents(project))
    return Draft4Validator(
        _schema("project-package-schema.json"), registry=registry, format_checker=FormatChecker()
    )


@cache
def project_validator() -> Draft4Validator:
    return Draft4Validator(_schema("project-schema.json"), format_checker=FormatChecker())


def _chunk_problems(records: bytes, first_index: int) -> list[str]:
    """Schema errors of a chunk of projects (JSON text), numbered from ``first_index``."""
    found = []
    for index, record in enumerate(orjson.loads(records), first_index):
        found += [
            f"$.projects[{index}]{error.json_path[1:]}: {error.message}"
            for error in project_validator().iter_errors(record)
        ]
    return found


class Checker:
    """Validates a package's projects a chunk at a time, in linear time: the package
    schema's ``uniqueItems`` compares every project with every other (quadratic: hours at
    50,000 projects); distinct project ids make distinct projects, so a set of ids does it
    (and, for projects without an id, a set of their contents' digests).
    With ``parallel``, the schema checks run in two other processes beside the export (at
    most three chunks waiting: memory stays bounded); ``finish()`` collects them."""

    def __init__(self, first_index: int = 0, parallel: bool = False) -> None:
        self.index = first_index
        self.ids: set[str] = set()
        self.problems: list[str] = []
        self._pool = ProcessPoolExecutor(2) if parallel else None
        self._waiting: deque[Future[list[str]]] = deque()

    @staticmethod
    def key(record: dict) -> str:
        """What makes a project distinct: its id; without one (itself an error), the same
        content twice is still not unique."""
        if "id" in record:
            return str(record["id"])
        return "\0" + hashlib.sha256(orjson.dumps(record, option=orjson.OPT_SORT_KEYS)).hexdigest()

    def __call__(self, records: list[dict]) -> None:
        for index, record in enumerate(records, self.index):
            key = self.key(record)
            if key in self.ids and "id" in record:
                self.problems.append(
                    f"$.projects[{index}].id: {record['id']!r} is not unique in the package"
                )
            elif key in self.ids:
                self.problems.append(
                    f"$.projects[{index}]: this project, which has no id, is not unique in the "
                    "package"
                )
            self.ids.add(key)
        if self._pool is None:
            self.problems += _chunk_problems(orjson.dumps(records), self.index)
        else:
            self._waiting.append(
                self._pool.submit(_chunk_problems, orjson.dumps(records), self.index)
            )
            while len(self._waiting) > 3:
                self.problems += self._waiting.popleft().result()
        self.index += len(records)

    def finish(self) -> list[str]:
        while self._waiting:
            self.problems += self._waiting.popleft().result()
        if self._pool is not None:
            self._pool.shutdown()
        return sorted(self.problems, key=_by_index)


def _by_index(problem: str) -> int:
    return int(problem.split("[", 1)[1].split("]", 1)[0])


def problems(document: dict) -> list[str]:
    """Schema errors (JSON path: message); empty when the package is valid OC4IDS 0.9. The
    package schema checks the package with its first project, the project schema the rest."""
    listed = document.get("projects")
    if not isinstance(listed, list) or len(listed) < 2:
        return [f"{e.json_path}: {e.message}" for e in validator().iter_errors(document)]
    found = [
        f"{e.json_path}: {e.message}"
        for e in validator().iter_errors({**document, "projects": listed[:1]})
    ]
    checker = Checker(1)
    checker.ids.add(Checker.key(listed[0]))
    checker(listed[1:])
    return found + checker.finish()

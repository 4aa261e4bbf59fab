"""The public pages: the home page, the project list (search, filters, sorting, pages) and
each project's page. Server-rendered with Jinja2 (autoescaped), Chinese first with English
beside it; everything a page says is text, so it works without JavaScript (the small site
map on a project's page is the one part that needs it).

They read on the read engine (a replica where there is one) through ``registry.reading``,
as every public read does.
"""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from registry.catalog import Category, get_catalog
from registry.clock import china_day, china_minute
from registry.documents.states import STATE_NAMES, reason_name
from registry.errors import NotFound, Problem, RegistryError, not_one_of, unknown_project
from registry.identifiers import digits
from registry.language import say
from registry.links import shown_url
from registry.models import LIST_LEVELS, PROJECT_STATUSES, PROJECT_TYPES
from registry.reading import disclosures, inputs, ogc_params, portal, queries, scope
from registry.web.kept import Kept

PAGES = Environment(
    loader=PackageLoader("registry.web", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
# every day and time a page shows is China's (a moment is stored in UTC)
PAGES.filters.update(
    china_day=china_day, china_minute=china_minute, shown_url=shown_url,
    link_state=lambda state: STATE_NAMES.get(state, (state, state))[0],
    link_state_en=lambda state: STATE_NAMES.get(state, (state, state))[1],
    link_reason=reason_name,
)  # fmt: skip
PAGE_SIZE = 20
SORTS = {
    "code": ("CODE", "项目代码", "code"),
    "name": ("NAME", "名称", "name"),
    "approved": ("APPROVED_ON_DESC", "批复日期（新→旧）", "approval, newest first"),
    "investment": ("INVESTMENT_DESC", "总投资（高→低）", "investment, largest first"),
    "updated": ("UPDATED_DESC", "最近更新", "recently updated"),
}
FILTERS = ("q", "district", "status", "type", "has", "lacks", "department", "list", "major",
           "on", "sort")  # fmt: skip
MAJOR = {"yes": True, "no": False}


def render(name: str, status: int = 200, **values: Any) -> HTMLResponse:
    page = PAGES.get_template(name).render(
        catalog=get_catalog(), statuses=PROJECT_STATUSES, types=PROJECT_TYPES, **values
    )
    return HTMLResponse(page, status_code=status)


FIGURES = Kept()  # counting 500,000 public items takes a second: once per change


async def home(request: Request) -> Response:
    async with request.app.state.db.read.connect() as conn:
        figures = await FIGURES.get(conn, "figures", lambda: portal.figures(conn))
        in_force = await scope.lists(conn, in_force_only=True)
    return render("home.html", figures=figures, lists=in_force, levels=LIST_LEVELS)


# --- the project list -----------------------------------------------------------------


def _one_of(params: Any, name: str, allowed: Any, problems: list[Problem]) -> str | None:
    value = params.get(name) or None
    if value is not None and value not in allowed:
        problems.append(not_one_of(name, value, allowed))
        return None
    return value


def list_query(params: Any) -> tuple[inputs.ProjectQuery, int, list[Problem]]:
    """The filters of the list's query string, as a project query and a page number; the
    problems of values no filter knows (each named with the rule broken)."""
    problems: list[Problem] = []
    categories = [c.value for c in Category]
    status = _one_of(params, "status", PROJECT_STATUSES, problems)
    kind = _one_of(params, "type", PROJECT_TYPES, problems)
    has = _one_of(params, "has", categories, problems)
    lacks = _one_of(params, "lacks", categories, problems)
    sort = _one_of(params, "sort", SORTS, problems) or "code"
    page_text = params.get("page") or "1"
    page = int(page_text) if digits(page_text) and 0 < len(page_text) < 7 else 0
    if page < 1:
        problems.append(Problem("page", "out_of_range", ogc_params.between(1, 999_999)))
        page = 1
    major = _one_of(params, "major", MAJOR, problems)
    list_id = None
    if params.get("list"):
        try:
            list_id = inputs.record_id(params["list"], "list")
        except RegistryError as exc:
            problems += exc.problems
    on = None
    if params.get("on"):
        on = inputs.iso_day(params["on"], "on", problems)
    query = inputs.ProjectQuery(
        text=(params.get("q") or "").strip() or None,
        region_code=params.get("district") or None,
        statuses=[status] if status else [],
        types=[kind] if kind else [],
        responsible_department=params.get("department") or None,
        has_categories=[has] if has else [],
        lacks_categories=[lacks] if lacks else [],
        list_id=list_id,
        major=MAJOR[major] if major else None,
        scope_on=on,
        order=SORTS[sort][0],
    )
    return query, page, problems


def _link(params: dict[str, str], **changed: Any) -> str:
    merged = {k: v for k, v in {**params, **changed}.items() if v not in (None, "")}
    return "/projects" + (f"?{urlencode(merged)}" if merged else "")


def _filter_choices(
    districts: list[dict], departments: list[dict], lists: list[dict]
) -> list[tuple]:
    """(parameter, label in Chinese, in English, [(value, shown)]) for each filter."""
    categories = [
        (e.category.value, f"{e.name_zh} · {e.name_en}") for e in get_catalog().categories
    ]
    return [
        ("district", "所在区县", "district", [(d["code"], d["name"]) for d in districts]),
        ("status", "项目状态", "status", [(k, f"{v} · {k}") for k, v in PROJECT_STATUSES.items()]),
        ("type", "项目类型", "type", [(k, f"{v} · {k}") for k, v in PROJECT_TYPES.items()]),
        ("has", "已公开的类别", "has published", categories),
        ("lacks", "尚未公开的类别", "has not published", categories),
        ("department", "负责部门", "responsible body",
         [(d["code"], f"{d['name']}（{d['code']}）") for d in departments]),
        ("list", "所在名单", "on the list", [(str(x["id"]), x["name"]) for x in lists]),
        ("major", "重大建设项目", "major project", [("yes", "是 · yes"), ("no", "否 · no")]),
        ("sort", "排序", "order", [(k, f"{zh} · {en}") for k, (_, zh, en) in SORTS.items()]),
    ]  # fmt: skip


async def project_list(request: Request) -> Response:
    given = {k: request.query_params[k] for k in FILTERS if request.query_params.get(k)}
    query, page, problems = list_query(request.query_params)
    async with request.app.state.db.read.connect() as conn:
        districts = await portal.districts(conn)
        departments = await portal.responsible_departments(conn)
        lists = await scope.lists(conn)
        if problems:
            rows, total, published = [], 0, {}
        else:
            total = await queries.count_projects(conn, query)
            offset = (page - 1) * PAGE_SIZE
            rows = await queries.search_projects(conn, query, PAGE_SIZE, offset)
            published = await portal.categories_published(conn, [r["id"] for r in rows])
    pages = max(1, math.ceil(total / PAGE_SIZE))
    names = {d["code"]: d["name"] for d in districts}
    return render(
        "projects.html",
        400 if problems else 200,
        filters=_filter_choices(districts, departments, lists),
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        given=given,
        problems=problems,
        published=published,
        district_names=names,
        query=f"?{urlencode(given)}" if given else "",
        previous=_link(given, page=page - 1) if page > 1 else None,
        next=_link(given, page=page + 1) if page < pages else None,
    )


# --- one project ------------------------------------------------------------------------


async def project(request: Request) -> Response:
    code = request.path_params["code"]
    async with request.app.state.db.read.connect() as conn:
        found = await portal.project_page(conn, code)
        if found is None:
            raise unknown_project(code, "code")
        district = await portal.district_name(conn, found["project"]["region_code"])
    return render(
        "project.html",
        district=district,
        sites_geojson=sites_geojson(found["sites"]),
        **found,
    )


def sites_geojson(sites: list[dict]) -> str:
    """The sites as a FeatureCollection (a project has a handful)."""
    features = [
        {
            "type": "Feature",
            "properties": {"name": s["name"], "kind": s["kind"]},
            "geometry": json.loads(s["geojson"]),
        }
        for s in sites
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


async def disclosure(request: Request) -> Response:
    """A feed entry's id: the revision's place on its project's page."""
    text = request.path_params["disclosure_id"]
    found = None
    if digits(text) and len(text) < 19:
        async with request.app.state.db.read.connect() as conn:
            found = await disclosures.disclosure_by_id(conn, int(text))
            if found is not None:
                projects = await queries.projects_by_ids(conn, [found["project_id"]])
    if found is None:
        raise NotFound.one(
            "id", "unknown_disclosure", say("no disclosure has the id {id}", id=text)
        )
    code = projects[found["project_id"]]["code"]
    return RedirectResponse(f"/projects/{code}#d{found['lineage_id']}", status_code=303)


def problems_page(error: RegistryError) -> HTMLResponse:
    """A refusal met by a page, as a page (the API answers the same refusal in JSON)."""
    return render("problem.html", error.status, error=error)


ROUTES = [
    Route("/", home),
    Route("/projects", project_list),
    Route("/projects/{code}", project),
    Route("/disclosures/{disclosure_id}", disclosure),
    Route("/disclosures/{disclosure_id}/withdrawal", disclosure),
]

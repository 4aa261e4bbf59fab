"""The standard catalog (标准目录) as pages, linked to what is published (标准目录与专栏联动):
``/catalog`` lists every item by category; ``/catalog/{item}`` gives an item as the
catalogs print it — 公开事项 (一级/二级), 公开内容 (each element with its meaning), 公开依据,
公开时限, 公开主体 (the role and the departments holding it here), 公开渠道和载体, 公开对象,
公开方式, 公开层级 — and the items published under it, paged, by district and year. Every
item on a project's page links here."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from registry.catalog import get_catalog
from registry.errors import InvalidInput, NotFound, Problem
from registry.identifiers import digits
from registry.language import say
from registry.reading import disclosures, inputs, portal, queries
from registry.web.pages import PAGE_SIZE, render

AUDIENCES = {"public": ("全社会", "everyone"), "specific_groups": ("特定群体", "specific groups")}
MODES = {"proactive": ("主动公开", "proactive"), "on_request": ("依申请公开", "on request")}


async def index(request: Request) -> Response:
    return render("catalog.html", audiences=AUDIENCES, modes=MODES)


def _holders_level(holders: list[dict]) -> list[str]:
    """公开层级 as the register has it: 市级 where a holder's division is a city's (…00),
    县（区）级 where it is a district's."""
    levels = {"市级" if (h["region_code"] or "").endswith("00") else "县（区）级" for h in holders}
    return sorted(levels, key=["市级", "县（区）级"].index)


def _filters(request: Request) -> tuple[str | None, int | None, int, list[Problem]]:
    params = request.query_params
    problems: list[Problem] = []
    district = params.get("district") or None
    year_text = params.get("year") or ""
    year = int(year_text) if digits(year_text) and len(year_text) == 4 else None
    if year_text and year is None:
        problems.append(Problem("year", "not_a_year", say("must be a year such as 2024")))
    page_text = params.get("page") or "1"
    page = int(page_text) if digits(page_text) and len(page_text) < 7 else 0
    if page < 1:
        problems.append(Problem("page", "out_of_range", say("must be a page number from 1")))
    return district, year, max(page, 1), problems


async def item(request: Request) -> Response:
    catalog = get_catalog()
    key = request.path_params["key"]
    found = catalog.item(key)
    if found is None:
        raise NotFound.one("key", "unknown_item", say(
            "{item!r} is not an item of the catalog (see /catalog)", item=key[:60]))  # fmt: skip
    district, year, page, problems = _filters(request)
    if problems:
        raise InvalidInput(problems)
    query = inputs.DisclosureQuery(
        items=[key], region_code=district,
        formed_on=inputs.DateRange(dt.date(year, 1, 1), dt.date(year, 12, 31)) if year else None,
    )  # fmt: skip
    async with request.app.state.db.read.connect() as conn:
        total = await disclosures.count_disclosures(conn, query)
        rows = await disclosures.search_disclosures(conn, query, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        projects = await queries.projects_by_ids(conn, sorted({r["project_id"] for r in rows}))
        holders = [
            d for d in await queries.departments(conn) if found.publisher_role in (d["roles"] or [])
        ]
        districts = await portal.districts(conn)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    given = {k: v for k, v in (("district", district), ("year", year)) if v}

    def link(to: int) -> str:
        return f"/catalog/{key}?" + urlencode({**given, "page": to})

    return render(
        "catalog-item.html", item=found, entry=catalog.category(found.category),
        basis=catalog.basis_of(found), channels=catalog.channels_of(found),
        role=catalog.roles.get(found.publisher_role), holders=holders,
        levels=_holders_level(holders), audiences=AUDIENCES, modes=MODES, rows=rows,
        projects=projects, total=total, page=page, pages=pages, districts=districts,
        district=district, year=year,
        previous=link(page - 1) if page > 1 else None,
        next=link(page + 1) if page < pages else None,
    )  # fmt: skip


ROUTES: list[Any] = [
    Route("/catalog", index),
    Route("/catalog/{key:str}", item),
]

"""The compliance scoreboard as a page people read (a table and an SVG chart, no scripts)
and as the files its buttons download: period, body and category chosen in the page."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response

from registry.catalog import Category
from registry.clock import today
from registry.compliance.scores import Score, by_department, score_rows
from registry.documents.states import counts as link_counts
from registry.errors import InvalidInput, Problem, RegistryError, not_one_of
from registry.exports import scoreboard as files
from registry.language import say
from registry.reading import inputs, queries, scope
from registry.web.pages import render
from registry.web.params import moment

FILTERS = ("from", "to", "department", "category", "list")


def chart(departments: list[dict]) -> Markup:
    """Horizontal bars: each body's on-time rate, drawn as inline SVG."""
    shown = [d for d in departments if d["on_time_rate"] is not None]
    height, row = 30 + 24 * len(shown), 24
    bars = []
    for index, d in enumerate(shown):
        y = 20 + index * row
        width = round(360 * d["on_time_rate"])
        colour = (
            "#15803d"
            if d["on_time_rate"] >= 0.9
            else "#b45309"
            if d["on_time_rate"] >= 0.7
            else "#b91c1c"
        )
        bars.append(
            f'<text x="250" y="{y + 15}" text-anchor="end">{escape(d["department_name"])}</text>'
            f'<rect x="260" y="{y + 3}" width="{width}" height="16" fill="{colour}">'
            f"<title>{escape(d['department_name'])}: {d['on_time_rate']:.0%}</title></rect>"
            f'<text x="{266 + width}" y="{y + 15}">{d["on_time_rate"]:.0%}</text>'
        )
    return Markup(
        f'<svg class="chart" role="img" aria-label="各公开主体的按时公开率 · on-time rate of each '
        f'body" viewBox="0 0 700 {height}" width="700" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="12">'
        f'<text x="260" y="12">按时公开率 · on-time rate</text>{"".join(bars)}</svg>'
    )


def _date(params: Any, name: str, problems: list[Problem]) -> dt.date | None:
    value = params.get(name)
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        problems.append(
            Problem(name, "not_a_date", say("{value!r} is not a date (YYYY-MM-DD)", value=value))
        )
        return None


async def chosen(request: Request, conn: AsyncConnection) -> tuple[list[Score], dict[str, str]]:
    """The scores of what the public can see (now, or at ``asOf``), for the period, body
    and category the query string names."""
    params = request.query_params
    problems: list[Problem] = []
    start, end = _date(params, "from", problems), _date(params, "to", problems)
    category = params.get("category") or None
    if category is not None and category not in {c.value for c in Category}:
        problems.append(not_one_of("category", category, [c.value for c in Category]))
    list_id = None
    if params.get("list"):
        try:
            list_id = inputs.record_id(params["list"], "list")
        except RegistryError as exc:
            problems += exc.problems
    if problems:
        raise InvalidInput(problems)
    board = await queries.scoreboard(conn, True, moment(request), start, end, list_id)
    department = params.get("department") or None
    board = [
        s
        for s in board
        if (department is None or s.department == department)
        and (category is None or s.category == category)
    ]
    return board, {k: params[k] for k in FILTERS if params.get(k)}


def _rate_order(row: dict) -> tuple:
    rate = row["on_time_rate"]
    return (rate is None, -(rate or 0), row["department_name"])


async def page(request: Request) -> Response:
    async with request.app.state.db.read.connect() as conn:
        board, given = await chosen(request, conn)
        departments = [(d["code"], d["name"]) for d in await queries.departments(conn)]
        lists = await scope.lists(conn)
        links = await link_counts(conn)
    bodies = sorted(by_department(board), key=_rate_order)
    start, end = given.get("from"), given.get("to")
    return render(
        "report.html",
        given=given,
        departments=departments,
        lists=lists,
        query=f"?{urlencode(given)}" if given else "",
        period_zh=f"{start or '最早'} 至 {end or '今天'}" if start or end else "全部时间",
        period_en=f"{start or 'the start'} to {end or 'today'}" if start or end else "all time",
        chart=chart(bodies),
        bodies=bodies,
        rows=sorted(score_rows(board), key=_rate_order),
        links=links,
        overdue=[
            {**o, "department_name": s.department_name} for s in board for o in s.overdue_items
        ],
    )


async def download_csv(request: Request) -> Response:
    return await _download(request, "csv")


async def download_xlsx(request: Request) -> Response:
    return await _download(request, "xlsx")


async def _download(request: Request, kind: str) -> Response:
    async with request.app.state.db.read.connect() as conn:
        board, _ = await chosen(request, conn)
    name = f"compliance-{today().isoformat()}.{kind}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if kind == "csv":
        return Response(files.csv_bytes(board), media_type="text/csv; charset=utf-8",
                        headers=headers)  # fmt: skip
    return Response(
        files.xlsx_bytes(board),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=headers,
    )

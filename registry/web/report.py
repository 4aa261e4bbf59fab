"""The compliance scoreboard as a page people read: a table and an SVG chart, no scripts."""

from __future__ import annotations

from html import escape

from registry.compliance.scores import Score, by_department, score_rows


def chart(departments: list[dict]) -> str:
    """Horizontal bars: each department's on-time rate, drawn as inline SVG."""
    shown = [d for d in departments if d["on_time_rate"] is not None]
    height, row = 30 + 24 * len(shown), 24
    bars = []
    for index, d in enumerate(shown):
        y = 20 + index * row
        width = round(360 * d["on_time_rate"])
        colour = (
            "#16a34a"
            if d["on_time_rate"] >= 0.9
            else "#ea580c"
            if d["on_time_rate"] >= 0.7
            else "#dc2626"
        )
        bars.append(
            f'<text x="250" y="{y + 15}" text-anchor="end">{escape(d["department_name"])}</text>'
            f'<rect x="260" y="{y + 3}" width="{width}" height="16" fill="{colour}">'
            f"<title>{escape(d['department_name'])}: {d['on_time_rate']:.0%}</title></rect>"
            f'<text x="{266 + width}" y="{y + 15}">{d["on_time_rate"]:.0%}</text>'
        )
    return (
        f'<svg class="chart" role="img" aria-label="按时公开率" viewBox="0 0 700 {height}" '
        f'width="700" height="{height}" xmlns="http://www.w3.org/2000/svg">'
        f'<text x="260" y="12">按时公开率 · on-time rate</text>{"".join(bars)}</svg>'
    )


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


def page(scores: list[Score], period: str) -> str:
    departments = by_department(scores)
    rows = "".join(
        f"<tr><td>{escape(r['department_name'])}</td><td>{escape(r['category_name'])}</td>"
        f"<td>{r['published']}</td><td>{r['on_time']}</td><td>{r['late']}</td>"
        f"<td>{r['overdue']}</td><td>{_rate(r['on_time_rate'])}</td></tr>"
        for r in score_rows(scores)
    )
    overdue = (
        "".join(
            f"<li>{escape(s.department_name)} · {escape(o['project'])} · {escape(o['item'])} · "
            f"截止 {o['deadline']}，已逾期 {o['working_days_overdue']} 个工作日</li>"
            for s in scores
            for o in s.overdue_items
        )
        or "<li>无 · none</li>"
    )
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>信息公开考核 · Compliance scoreboard</title>
<style>body{{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;margin:24px;color:#111}}
table{{border-collapse:collapse;margin-top:12px}}td,th{{border:1px solid #ddd;padding:4px 8px;font-size:13px}}
th{{background:#f3f4f6}}.chart text{{font-size:12px}}.note{{color:#555}}</style></head><body>
<h1>重大建设项目信息公开考核 · Disclosure compliance</h1>
<p class="note">期间 period: {escape(period)}. 按时 = published within the catalog time limit, counted in
official working days (法定工作日，含调休). 演示数据为合成数据 · demo data is synthetic.</p>
{chart(departments)}
<h2>按部门和类别 · by department and category</h2>
<table><tr><th>公开主体</th><th>类别</th><th>已公开</th><th>按时</th><th>逾期公开</th><th>未公开已超期</th><th>按时率</th></tr>
{rows}</table>
<h2>未公开且已超期 · overdue</h2><ul>{overdue}</ul>
<p class="note">CSV/XLSX: <code>registry report compliance --format xlsx</code>;
GraphQL: <code>complianceScoreboard</code>.</p>
</body></html>"""

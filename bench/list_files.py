"""Official-style lists of major projects made from registered projects, with what clerks
do to names on the way (brackets, 一期/1期, 项目/工程 dropped or added, place prefixes,
spaces, full-width digits), owners written another way or wrong, and rows of projects that
are not registered: for the matching tests (precision and recall) and the loading
benchmark.

    python -m bench.list_files --database registry_bench --rows 2000 -o /tmp/list.xlsx
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from bench.names import DISTRICT_NAMES, project_name

HEADERS = ["序号", "项目名称", "建设性质", "建设规模及内容", "建设起止年限", "总投资",
           "年度计划投资", "责任单位", "所在地"]  # fmt: skip
SECTIONS = [("（一）新开工项目", "新开工"), ("（二）续建项目", "续建"), ("（三）预备项目", "预备")]
PHASE_DIGITS = {"一期": "1期", "二期": "2期", "三期": "3期"}


@dataclass
class Source:
    """A registered project as a list maker knows it."""

    code: str
    name: str
    region_code: str
    owner: str
    investment: Decimal | None = None


@dataclass
class ListRow:
    name: str
    unit: str
    district: str
    total: Decimal  # 万元
    annual: Decimal
    nature: str
    truth: str | None  # the project code the row means; None: not registered
    changes: list[str] = field(default_factory=list)  # what the clerk did to the name


def clerk_name(name: str, rng: random.Random) -> tuple[str, list[str]]:
    """The name as a clerk types it into a list."""
    changes = []
    for phase, digits in PHASE_DIGITS.items():
        if phase in name and rng.random() < 0.4:
            name, changes = name.replace(phase, digits), [*changes, "phase_digits"]
    if "（" in name and rng.random() < 0.5:
        how = rng.choice(["half", "none"])
        name = name.replace("（", "(" if how == "half" else "").replace(
            "）", ")" if how == "half" else ""
        )
        changes.append(f"brackets_{how}")
    elif "期" in name and "（" not in name and rng.random() < 0.3:
        for phase in ("一期", "二期", "三期", "1期", "2期", "3期"):
            if name.endswith(phase):
                name = f"{name.removesuffix(phase)}（{phase}）"
                changes.append("brackets_added")
                break
    for suffix in ("建设项目", "工程", "项目"):
        if suffix in name and rng.random() < 0.3:
            name = name.replace(suffix, "", 1)
            changes.append("suffix_dropped")
            break
    else:
        if rng.random() < 0.15:
            name, changes = f"{name}项目", [*changes, "suffix_added"]
    district = next((d for d in DISTRICT_NAMES.values() if name.startswith(d)), None)
    if district and rng.random() < 0.3:
        name, changes = name.removeprefix(district), [*changes, "district_dropped"]
    elif rng.random() < 0.2:
        name, changes = f"南昌市{name}", [*changes, "city_added"]
    if rng.random() < 0.15:
        cut = rng.randint(1, max(1, len(name) - 1))
        name, changes = f"{name[:cut]} {name[cut:]}", [*changes, "space"]
    if any(c.isdigit() for c in name) and rng.random() < 0.2:
        name = "".join(_wide(c) for c in name)
        changes.append("full_width_digits")
    return name, changes


def _wide(character: str) -> str:
    return chr(ord(character) + 0xFEE0) if "0" <= character <= "9" else character


def make_list(sources: list[Source], owners: list[str], rng: random.Random, rows: int,
              unregistered: float = 0.05, wrong_owner: float = 0.08) -> list[ListRow]:  # fmt: skip
    """``rows`` rows: registered projects (distinct) named as clerks write them, a share of
    them with another owner's name, and a share of projects that are not registered."""
    from loaders.matching import normalise

    chosen = rng.sample(sources, min(rows, len(sources)))
    places = tuple(DISTRICT_NAMES.values())
    registered = {normalise(s.name.removeprefix(DISTRICT_NAMES.get(s.region_code, "")), places)
                  for s in sources}  # fmt: skip
    made = []
    for source in chosen:
        if rng.random() < unregistered:
            region = rng.choice(list(DISTRICT_NAMES))
            name = project_name(rng, region)
            while normalise(name.removeprefix(DISTRICT_NAMES[region]), places) in registered:
                name = project_name(rng, region)
            truth, unit = None, rng.choice(owners)
        else:
            region, truth = source.region_code, source.code
            name = source.name
            unit = rng.choice(owners) if rng.random() < wrong_owner else source.owner
        written, changes = clerk_name(name, rng)
        total = Decimal(rng.randint(5_000, 3_000_000))
        nature = rng.choice(SECTIONS)[1]
        made.append(ListRow(written, unit, DISTRICT_NAMES.get(region, "南昌市"), total,
                            (total / rng.randint(3, 10)).quantize(Decimal(1)), nature, truth,
                            changes))  # fmt: skip
    return made


def write_xlsx(path: Path, title: str, rows: list[ListRow], year: int = 2024,
               doc_no: str = "") -> Path:  # fmt: skip
    """The list as its notice attaches it: a title row, the document's line, a two-row header
    (投资 over 总投资 and the year's plan, in 亿元), a section row before each nature with
    its subtotal, the rows numbered within their section, and the total."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "名单"
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    sheet["A1"].font, sheet["A1"].alignment = (
        Font(bold=True, size=16),
        Alignment(horizontal="center"),
    )
    sheet.append([doc_no or f"（{year}年）"])
    sheet.append(["序号", "项目名称", "建设性质", "建设规模及内容", "建设起止年限", "投资（亿元）",
                  None, "责任单位", "所在地"])  # fmt: skip
    sheet.append([None, None, None, None, None, "总投资", f"{year}年计划投资", None, None])
    sheet.merge_cells("F3:G3")
    for column in ("A", "B", "C", "D", "E", "H", "I"):
        sheet.merge_cells(f"{column}3:{column}4")
    total_all = Decimal(0)
    for section, nature in SECTIONS:
        members = [r for r in rows if r.nature == nature]
        subtotal = sum((r.total for r in members), Decimal(0))
        total_all += subtotal
        sheet.append([f"{section}（{len(members)}个）", None, None, None, None,
                      float(subtotal / 10000), None, None, None])  # fmt: skip
        for number, row in enumerate(members, start=1):
            sheet.append([number, row.name, row.nature, f"{row.name}的主要建设内容",
                          f"{year - 1}-{year + 2}", float(row.total / 10000),
                          float(row.annual / 10000), row.unit, row.district])  # fmt: skip
    sheet.append(["合计", None, None, None, None, float(total_all / 10000), None, None, None])
    book.save(path)
    return path


def sources_from(url: str) -> list[Source]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT p.code, p.name, p.region_code, coalesce(p.owner, d.name, '') AS owner, "
            "p.investment FROM projects p LEFT JOIN departments d ON d.id = "
            "p.owner_department_id ORDER BY p.id")).all()  # fmt: skip
    engine.dispose()
    return [Source(r.code, r.name, r.region_code, r.owner, r.investment) for r in rows]


def main() -> None:
    from sqlalchemy.engine import make_url

    from bench.names import owner_names
    from registry.settings import get_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="registry_bench")
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    url = make_url(get_settings().database_url).set(database=args.database)
    rng = random.Random(args.seed)
    rows = make_list(sources_from(url.render_as_string(hide_password=False)),
                     owner_names(rng), rng, args.rows)  # fmt: skip
    write_xlsx(args.output, "南昌市2024年重大建设项目名单", rows)
    print(args.output)


if __name__ == "__main__":
    main()

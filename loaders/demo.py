"""The synthetic Nanchang demo data set (演示数据), loaded from the files shipped in
registry/data/demo through the same loaders departments use.

Every department, project and disclosure in it is invented and flagged ``is_synthetic``;
project descriptions start with 【演示数据】. The places are real (districts, the Gan
River, lakes), the projects and documents are not. The files show the formats departments
keep: UTF-8 CSV, a GBK CSV (自然资源和规划局), an XLSX workbook (建设局), GeoJSON sites.
Loading twice changes nothing.
"""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy.orm import Session

import registry
from loaders.run import load_file
from registry import publishing as pub
from registry.publishing import Actor

DEMO = Path(registry.__file__).parent / "data" / "demo"
FILES = [
    ("projects.csv", "projects"),
    ("sites.geojson", "sites"),
    ("responsibilities.csv", "responsibilities"),
]


def demo_files() -> list[tuple[Path, str | None]]:
    disclosures = sorted((DEMO / "disclosures").iterdir())
    return [(DEMO / name, kind) for name, kind in FILES] + [(path, None) for path in disclosures]


def load_departments(session: Session) -> dict[str, int]:
    counts: dict[str, int] = {}
    actor = Actor(path="demo:departments.csv", is_admin=True)
    with (DEMO / "departments.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            outcome = pub.upsert_department(
                session,
                actor,
                pub.DepartmentInput(
                    code=row["部门代码"],
                    name=row["部门名称"],
                    kind=row["类型"],
                    uscc=row["统一社会信用代码"] or None,
                    region_code=row["行政区划代码"] or None,
                    roles=[r for r in row["角色"].split(";") if r],
                    is_synthetic=True,
                ),
            )
            counts[outcome.action] = counts.get(outcome.action, 0) + 1
    return counts


def load_demo(session: Session) -> dict[str, int]:
    """Load the demo files as an administrator (they carry their historical publication
    times, which only an administrator may record); returns what each write did."""
    counts = load_departments(session)
    for path, kind in demo_files():
        report = load_file(session, path, "admin", kind=kind, synthetic=True)
        _add(counts, report.counts)
    _add(counts, load_demo_lists(session))
    _add(counts, load_declarations(session))
    return counts


def _add(counts: dict[str, int], more: dict[str, int]) -> None:
    for action, number in more.items():
        if number:
            counts[action] = counts.get(action, 0) + number


def load_demo_lists(session: Session) -> dict[str, int]:
    """The demo lists (lists/lists.yaml): each registered, then its files loaded as the
    clerk would (the city's list with its review file, its adjustment on the day given)."""
    import yaml

    from loaders.lists import load_list

    actor = Actor(path="demo:lists", is_admin=True)
    counts: dict[str, int] = {}
    spec = yaml.safe_load((DEMO / "lists" / "lists.yaml").read_text(encoding="utf-8"))
    for given in spec["lists"]:
        files = given.pop("files")
        outcome = pub.save_list(session, actor, pub.ListInput(**given, is_synthetic=True))
        _add(counts, {outcome.action: 1})
        for item in files:
            review = item.get("review")
            load = load_list(
                session, actor, DEMO / "lists" / item["file"], outcome.record.id,
                review=DEMO / "lists" / review if review else None,
                on=item.get("adjustment"), adjustment="adjustment" in item, synthetic=True,
            )  # fmt: skip
            if not load.report.ok:
                raise RuntimeError(load.text())
            _add(counts, load.report.counts)
    return counts


def load_declarations(session: Session) -> dict[str, int]:
    """不涉及 / 尚未形成 declared by the projects' responsible bodies (declarations.csv)."""
    from registry.catalog import get_catalog

    categories = {c.name_zh: c.category.value for c in get_catalog().categories}
    kinds = {"不涉及": "not_applicable", "尚未形成": "not_yet_formed"}
    actor = Actor(path="demo:declarations.csv", is_admin=True)
    counts: dict[str, int] = {}
    with (DEMO / "declarations.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            outcome = pub.declare(session, actor, pub.DeclarationInput(
                row["项目统一代码"], categories[row["公开类别"]], kinds[row["说明类型"]],
                row["理由"], expected_stage=row["预计形成阶段"] or None,
                department=row["部门代码"]))  # fmt: skip
            _add(counts, {outcome.action: 1})
    return counts

"""Loading an official list against a large register, timed beside COPY of the same entries.

    python -m bench.lists_bench [--projects 50000] [--rows 2000]

Builds a scratch database of ``--projects`` projects with a city's names (bench/names.py),
makes a ``--rows``-row list from them as a clerk's office would publish it (XLSX, title,
two-row header, sections, 亿元, no codes; names as clerks write them, 8% wrong owners, 5%
projects not registered: bench/list_files.py), then in the same run:

1. ``load_list`` as the office would run it first: read, match every row, write the review
   file, write nothing (rows left to decide);
2. the review filled as a clerk would (the true project for each undecided row that has
   one, 不匹配 for the others) and ``load_list`` again: every entry through the write path;
3. the baseline: COPY of the same entries into a table of ``list_entries``' columns.

Prints the times, the ratio of (2) to (3), and the matcher's measured precision and recall.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import random
import tempfile
import time
from pathlib import Path

import psycopg
from sqlalchemy.orm import Session

from bench.generate import generate, psycopg_url, recreate
from bench.list_files import make_list, sources_from, write_xlsx
from bench.names import owner_names
from loaders.lists import load_list
from registry import publishing as pub
from registry.db import Database
from registry.publishing import Actor

ADMIN = Actor(path="bench:lists", is_admin=True)


def registered_list(url: str) -> int:
    database = Database(url=url)
    try:
        with Session(database.write) as session, session.begin():
            return pub.save_list(session, ADMIN, pub.ListInput(
                name="基准名单", level="municipal", year=2024, region_code="360100",
                issuer="NCFGW", issued_on=dt.date(2024, 2, 26))).record.id  # fmt: skip
    finally:
        database.close()


def timed_load(
    url: str, path: Path, list_id: int, review: Path | None, out: Path
) -> tuple[float, object]:
    database = Database(url=url)
    try:
        with Session(database.write) as session:
            start = time.perf_counter()
            load = load_list(session, ADMIN, path, list_id, review=review, review_out=out)
            session.commit()
            return time.perf_counter() - start, load
    finally:
        database.close()


def copy_baseline(dsn: str, codes: list[str], list_id: int) -> float:
    """COPY the same entries (list, project, row, section, amounts, unit, day) into a table
    of list_entries' columns: the floor of getting them into PostgreSQL."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        ids = dict(
            conn.execute("SELECT code, id FROM projects WHERE code = ANY(%s)", [codes]).fetchall()
        )
        conn.execute("DROP TABLE IF EXISTS entries_copy")
        conn.execute("CREATE TABLE entries_copy (LIKE list_entries INCLUDING DEFAULTS)")
        start = time.perf_counter()
        with conn.cursor().copy(
            "COPY entries_copy (list_id, project_id, row_no, section, total_investment, "
            "responsible_unit, added_on) FROM STDIN"
        ) as copy:
            for number, code in enumerate(codes, start=1):
                copy.write_row((list_id, ids[code], str(number), "（二）续建项目", 52000,
                                "某单位", dt.date(2024, 2, 26)))  # fmt: skip
        return time.perf_counter() - start


def run(projects: int, rows: int, seed: int = 3) -> dict:
    url = recreate("registry_listbench")
    generate(url, projects, 0)
    list_id = registered_list(url)
    rng = random.Random(seed)
    sources = sources_from(url)
    made = make_list(sources, owner_names(rng), rng, rows)
    folder = Path(tempfile.mkdtemp(prefix="registry-listbench-"))
    path = write_xlsx(folder / "名单.xlsx", "南昌市2024年重大建设项目名单", made)
    first_s, first = timed_load(url, path, list_id, None, folder / "review.csv")
    # the clerk's review: the true project where there is one, else 不匹配 with a reason
    decisions = first.decisions  # type: ignore[attr-defined]
    by_name = {row.name: row.truth for row in made}  # the file is in section order
    truths = [by_name[d.row.values["name"]] for d in decisions]
    auto = [d for d in decisions if d.project is not None]
    right = sum(d.project == t for d, t in zip(decisions, truths, strict=True) if d.project)
    first_right = sum(
        1 for d, t in zip(decisions, truths, strict=True)
        if t is not None and ((d.project == t) or (d.project is None and d.match.candidates
                                                   and d.match.candidates[0].project.code == t))
    )  # fmt: skip
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["行", "决定", "说明"])
    for d, t in zip(decisions, truths, strict=True):
        if d.project is None:
            writer.writerow(
                [d.row.label.removeprefix("row "), t or "不匹配", "" if t else "未登记"]
            )
    review = folder / "filled.csv"
    review.write_text(buffer.getvalue(), encoding="utf-8")
    second_s, second = timed_load(url, path, list_id, review, folder / "decided.csv")
    written = [made[i].truth for i in range(len(made)) if made[i].truth]
    baseline_s = copy_baseline(psycopg_url(url), written, list_id)
    return {
        "projects": projects, "rows": rows,
        "match_and_review_s": round(first_s, 2),
        "decided_load_s": round(second_s, 2),
        "written": second.report.counts.get("added", 0),  # type: ignore[attr-defined]
        "copy_s": round(baseline_s, 3),
        "copy/load": round(baseline_s / second_s, 3),
        "automatic": len(auto), "automatic_precision": round(right / max(len(auto), 1), 4),
        "matched_or_right_first": round(first_right / max(sum(r.truth is not None for r in made), 1), 4),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=50_000)
    parser.add_argument("--rows", type=int, default=2000)
    args = parser.parse_args()
    print(json.dumps(run(args.projects, args.rows), ensure_ascii=False))


if __name__ == "__main__":
    main()

"""Loading with validation against PostgreSQL COPY of the same rows.

    python -m bench.load_bench [--rows 100000] [--formed recent|backfill]
    python -m bench.load_bench --refused [--rows 156001]

Builds a scratch database with 10,000 projects, writes a CSV of approval results (the
way 发改委 would export them), then in the same run: (1) COPY of that CSV into a table of
the same columns — the floor of getting those rows into PostgreSQL; (2) `load_file` of
the same CSV: encoding detection, header mapping, every publishing rule per row,
responsibility checks, revision bookkeeping, audit entries; (3) the same file again, which
must change nothing.

``--formed`` sets the dates the information was formed: ``recent`` (the last 30 days, as a
department's daily export) or ``backfill`` (spread over the last six years, as a
department's first load of its old records: every row is judged late or on time against
the working-day calendar). ``--refused`` is a department's backfill as it arrives: GBK, all
formed in 2023, and a bad last row, so the whole file is read, judged and refused.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
import tempfile
import time
from pathlib import Path

import psycopg
from sqlalchemy.orm import Session

from bench.generate import generate, psycopg_url, recreate
from loaders import load_file
from registry.db import Database

HEADERS = [
    "项目统一代码",
    "公开事项",
    "信息形成日期",
    "编号",
    "审批结果",
    "批复时间",
    "批复文号",
    "批复单位",
]
ITEMS = ["政府投资项目建议书审批", "政府投资项目可行性研究报告审批", "政府投资项目初步设计审批"]


def project_codes(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        return [
            r[0]
            for r in conn.execute(
                "SELECT code FROM projects WHERE description LIKE "
                "'【演示数据】基准测试%' ORDER BY id"
            )
        ]


def formed_dates(kind: str, rows: int, seed: int = 7) -> list[str]:
    """``recent``: the last 30 days; ``backfill``: up to six years back; ``2023``: that year."""
    rng, today = random.Random(seed), dt.date.today()
    if kind == "2023":
        return [
            str(dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(365))) for _ in range(rows)
        ]
    span = 30 if kind == "recent" else 6 * 365
    return [str(today - dt.timedelta(days=1 + rng.randrange(span))) for _ in range(rows)]


def write_file(
    path: Path,
    rows: int,
    codes: list[str],
    formed: str = "recent",
    encoding: str = "utf-8",
    bad_last_row: bool = False,
) -> None:
    dates = formed_dates(formed, rows)
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for n in range(rows):
            day = "2023-02-30" if bad_last_row and n == rows - 1 else dates[n]
            writer.writerow(
                [
                    codes[n % len(codes)],
                    ITEMS[n % 3],
                    day,
                    f"R{n}",
                    "同意",
                    dates[n],
                    f"洪发改投资〔{dates[n][:4]}〕{n}号",
                    "南昌市发展和改革委员会",
                ]
            )


def copy_baseline(dsn: str, path: Path) -> float:
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "CREATE TABLE copy_baseline (project_code text, item text, formed_on date, "
            "ref text, approval_result text, approval_date date, approval_doc_no text, "
            "approving_authority text)"
        )
        start = time.perf_counter()
        with (
            conn.cursor().copy(
                "COPY copy_baseline FROM STDIN WITH (FORMAT csv, HEADER true)"
            ) as copy,
            path.open("rb") as handle,
        ):
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        conn.commit()
        elapsed = time.perf_counter() - start
        conn.execute("DROP TABLE copy_baseline")
        conn.commit()
    return elapsed


def copy_into_disclosures(dsn: str) -> tuple[int, float]:
    """COPY the rows the loader wrote (same values, JSONB included) into a clone of the
    disclosures table with all its indexes: PostgreSQL's own cost of storing them."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT id, lineage_id, revision, project_id, category, item_key, ref, publisher_id, "
            "title, elements::text, documents::text, formed_on, published_at, status, audience, "
            "mode, content_hash, is_synthetic FROM disclosures WHERE ref LIKE 'R%'"
        ).fetchall()
        conn.execute("CREATE TABLE disclosures_baseline (LIKE disclosures INCLUDING ALL)")
        start = time.perf_counter()
        with conn.cursor().copy(
            "COPY disclosures_baseline (id, lineage_id, revision, project_id, category, item_key, "
            "ref, publisher_id, title, elements, documents, formed_on, published_at, status, "
            "audience, mode, content_hash, is_synthetic) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        elapsed = time.perf_counter() - start
        conn.execute("DROP TABLE disclosures_baseline")
        conn.commit()
    return len(rows), elapsed


def timed_load(url: str, path: Path) -> tuple[float, dict]:
    database = Database(url=url)  # the engine `registry load` uses, with its settings
    start = time.perf_counter()
    with Session(database.write) as session, session.begin():
        report = load_file(session, path, "NCFGW")
    elapsed = time.perf_counter() - start
    database.close()
    return elapsed, report.counts


def run(rows: int, projects: int, formed: str = "recent") -> dict:
    url = recreate("registry_loadbench")
    generate(url, projects, 0)
    dsn = psycopg_url(url)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "批复.csv"
        write_file(path, rows, project_codes(dsn), formed)
        copy_s = copy_baseline(dsn, path)
        load_s, first = timed_load(url, path)
        again_s, second = timed_load(url, path)
        copied, table_s = copy_into_disclosures(dsn)
    result = {
        "rows": rows,
        "formed": formed,
        "load_rows_s": round(rows / load_s),
        "copy_csv_rows_s": round(rows / copy_s),
        "ratio_to_copy_csv": round(copy_s / load_s, 3),
        "copy_disclosures_rows_s": round(copied / table_s),
        "ratio_to_copy_disclosures": round((table_s / copied) / (load_s / rows), 3),
        "reload_unchanged_rows_s": round(rows / again_s),
        "first": {k: v for k, v in first.items() if v},
        "second": {k: v for k, v in second.items() if v},
    }
    print(json.dumps(result, ensure_ascii=False))
    return result


def refused(rows: int, projects: int) -> dict:
    """A GBK backfill of ``rows`` approval results formed in 2023 whose last row is bad:
    the time until the whole file is refused (everything read and judged, nothing kept)."""
    from loaders import FileRefused

    url = recreate("registry_loadbench")
    generate(url, projects, 0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "批复-2023.csv"
        write_file(path, rows, project_codes(psycopg_url(url)), "2023", "gbk", bad_last_row=True)
        size_mb = path.stat().st_size / 1e6
        database = Database(url=url)
        start = time.perf_counter()
        try:
            with Session(database.write) as session, session.begin():
                load_file(session, path, "NCFGW")
            outcome = "written"
        except FileRefused as exc:
            outcome = f"refused: {len(exc.report.problems)} problem(s)"
        elapsed = time.perf_counter() - start
        database.close()
    result = {"rows": rows, "mb": round(size_mb, 1), "seconds": round(elapsed, 1),
              "rows_s": round(rows / elapsed), "outcome": outcome}  # fmt: skip
    print(json.dumps(result, ensure_ascii=False))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--formed", choices=["recent", "backfill"], default="recent")
    parser.add_argument("--refused", action="store_true", help="the refused GBK backfill")
    args = parser.parse_args()
    if args.refused:
        refused(args.rows, args.projects)
    else:
        run(args.rows, args.projects, args.formed)


if __name__ == "__main__":
    main()

"""Loading with validation against PostgreSQL COPY of the same rows.

    python -m bench.load_bench [--rows 100000]

Builds a scratch database with 10,000 projects, writes a CSV of approval results (the
way 发改委 would export them), then in the same run: (1) COPY of that CSV into a table of
the same columns — the floor of getting those rows into PostgreSQL; (2) `load_file` of
the same CSV: encoding detection, header mapping, every publishing rule per row,
responsibility checks, revision bookkeeping, audit entries; (3) the same file again, which
must change nothing.
"""

from __future__ import annotations

import argparse
import csv
import json
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


def write_file(path: Path, rows: int, codes: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for n in range(rows):
            writer.writerow(
                [
                    codes[n % len(codes)],
                    ITEMS[n % 3],
                    "2023-03-10",
                    f"R{n}",
                    "同意",
                    "2023-03-10",
                    f"洪发改投资〔2023〕{n}号",
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


def run(rows: int, projects: int) -> dict:
    url = recreate("registry_loadbench")
    generate(url, projects, 0)
    dsn = psycopg_url(url)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "批复.csv"
        write_file(path, rows, project_codes(dsn))
        copy_s = copy_baseline(dsn, path)
        load_s, first = timed_load(url, path)
        again_s, second = timed_load(url, path)
        copied, table_s = copy_into_disclosures(dsn)
    result = {
        "rows": rows,
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--projects", type=int, default=10_000)
    args = parser.parse_args()
    run(args.rows, args.projects)


if __name__ == "__main__":
    main()

"""The /downloads files at the benchmark's size (50,000 projects, 500,000 disclosures): each
built cold by the server, against the SQL baseline that gives the same rows (psycopg's
COPY … TO STDOUT of the same SELECT into a file), with the server's peak resident memory
sampled while it builds.

    python -m bench.downloads_bench [--database registry_bench]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.dialects import postgresql

from bench.harness import SERVERS, api_server, database_url, rss_mb
from registry.catalog import Category
from registry.exports import downloads as files
from registry.web import heavy

BASELINES = {
    "projects.csv": lambda: files.project_rows(),
    "disclosures-bidding.csv": lambda: files.disclosure_rows(Category.BIDDING),
    "disclosures-approval_result.csv": lambda: files.disclosure_rows(Category.APPROVAL_RESULT),
}


def copy_seconds(url: str, query, target: Path) -> float:
    """The baseline: COPY of the same SELECT, in CSV, written to a file."""
    compiled = query.compile(
        dialect=postgresql.psycopg.dialect(), compile_kwargs={"literal_binds": True}
    )
    started = time.perf_counter()
    statement = f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv, HEADER)"
    with (
        psycopg.connect(url.replace("+psycopg", "")) as conn,
        conn.cursor() as cursor,
        target.open("wb") as handle,
        cursor.copy(statement) as copy,
    ):
        for data in copy:
            handle.write(data)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="registry_bench")
    args = parser.parse_args()
    url = database_url(args.database)
    folder = Path(tempfile.mkdtemp(prefix="registry-downloads-bench-"))
    with api_server(url, {"REGISTRY_DOWNLOAD_DIR": str(folder)}) as base:
        pid = SERVERS[base]
        idle = rss_mb(pid)
        print(f"server RSS idle: {idle} MiB")
        print(
            f"{'file':36} {'rows':>9} {'MB':>8} {'server s':>9} {'COPY s':>7} {'ratio':>6} {'peak RSS':>9}"
        )
        for download in files.downloads():
            peak, done = [idle], threading.Event()

            def sample(peak=peak, done=done) -> None:
                while not done.wait(0.05):
                    peak.append(rss_mb(pid))

            sampler = threading.Thread(target=sample)
            sampler.start()
            started = time.perf_counter()
            answer = httpx.get(f"{base}/downloads/{download.name}", timeout=1800)
            seconds = time.perf_counter() - started
            done.set()
            sampler.join()
            assert answer.status_code == 200, answer.text[:300]
            note = heavy.described(folder / download.name) or {}
            baseline = BASELINES.get(download.name)
            copy = copy_seconds(url, baseline(), folder / "baseline.csv") if baseline else None
            ratio = f"{copy / seconds:.2f}" if copy else ""
            copy_text = f"{copy:.2f}" if copy else ""
            print(
                f"{download.name:36} {note.get('rows', 0):>9,} {len(answer.content) / 1e6:>8.1f} "
                f"{seconds:>9.2f} {copy_text:>7} {ratio:>6} {max(peak):>6} MiB"
            )
            again = time.perf_counter()
            httpx.get(f"{base}/downloads/{download.name}", timeout=600)
            print(f"{'':36} served again (kept): {time.perf_counter() - again:.2f} s")


if __name__ == "__main__":
    main()

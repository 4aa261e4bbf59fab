"""The link check at scale: 10,000 document links across 50 hosts.

    python -m bench.links_bench [--database registry_links_bench] [--links 10000]
                                [--hosts 50] [--delay 1.0]

Fifty real HTTP servers (one per port, threads; a subprocess, so they do not share this
process's CPU time accounting) serve a distinct one-page PDF per path (fpdf2) with an ETag, 2% of
paths answer 404 and 1% are soft 404 pages. The demo data's public items are given the
links (a bench's setup: written straight into ``documents``, not through the write path),
then ``registry.documents.checker.check_links`` runs twice in this process with the default
per-host limits (2 at a time, ``--delay`` s between requests in a slot):

1. the first check (HEAD, then each document fetched in full, hashed, kept and scanned);
2. the second (HEAD only: each ETag unchanged).

Printed: duration, links/s, the most requests one host saw at once (the limit is 2), the
states, and this process's peak memory (RSS).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.harness import database_url


def serve(hosts: int, ready: multiprocessing.Queue) -> None:
    import hashlib
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from fpdf import FPDF

    made: dict[str, bytes] = {}

    def document(path: str) -> bytes:
        """A real one-page PDF (text layer: the scan reads it), different for every path and
        the same at every request (a fixed creation date)."""
        if path in made:
            return made[path]
        import datetime as dt

        pdf = FPDF()
        pdf.set_creation_date(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        pdf.add_page()
        pdf.set_font("Helvetica", size=10)
        for line in range(40):
            pdf.cell(0, 6, f"{path} approval document, line {line}", new_x="LMARGIN", new_y="NEXT")
        made[path] = bytes(pdf.output())
        return made[path]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self, head: bool) -> None:
            path = self.path
            number = int(path.rsplit("/", 1)[-1].split(".")[0])
            if number % 50 == 7:
                status, kind, body = 404, "text/html", b"<h1>404</h1>"
            elif number % 100 == 13:
                status, kind = 200, "text/html; charset=utf-8"
                body = "<title>提示</title><p>您访问的页面不存在！</p>".encode()
            else:
                status, kind, body = 200, "application/pdf", document(path)
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", '"' + hashlib.md5(body).hexdigest() + '"')
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802
            self._answer(False)

        def do_HEAD(self) -> None:  # noqa: N802
            self._answer(True)

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

    ports = []
    for _ in range(hosts):  # each binds a port of its own: no race with other processes
        server = Server(("127.0.0.1", 0), Handler)
        ports.append(server.server_address[1])
        threading.Thread(target=server.serve_forever, daemon=True).start()
    ready.put(ports)
    threading.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", default="registry_links_bench")
    parser.add_argument("--links", type=int, default=10_000)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--delay", type=float, default=1.0)
    args = parser.parse_args()
    url = database_url(args.database)
    ready: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve, args=(args.hosts, ready), daemon=True)
    server.start()
    ports = ready.get(timeout=60)

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE link_checks, links, document_findings, kept_documents"))
        ids = conn.scalars(text("SELECT id FROM public_disclosures ORDER BY id")).all()
        per = -(-args.links // len(ids))
        rows = []
        for index, disclosure_id in enumerate(ids):
            docs = []
            for k in range(per):
                n = index * per + k
                if n >= args.links:
                    break
                docs.append(
                    {
                        "title": f"附件{n}.pdf",
                        "url": f"http://127.0.0.1:{ports[n % args.hosts]}/files/{n}.pdf",
                    }
                )
            rows.append({"id": disclosure_id, "docs": json.dumps(docs, ensure_ascii=False)})
        conn.execute(text("UPDATE disclosures SET documents = CAST(:docs AS jsonb) WHERE id = :id"),
                     rows)  # fmt: skip
    engine.dispose()

    from registry.documents.checker import check_links
    from registry.documents.store import DirectoryStore
    from registry.settings import LinkSettings

    settings = LinkSettings(allow_private=True, delay_s=args.delay, timeout_s=20,
                            contact="bench@example.org")  # fmt: skip
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        store = DirectoryStore(Path(folder))
        for name in ("first", "second"):

            async def run() -> object:
                engine = create_async_engine(url)
                try:
                    return await check_links(engine, store, settings)
                finally:
                    await engine.dispose()

            started = time.perf_counter()
            found = asyncio.run(run())
            seconds = time.perf_counter() - started
            results[name] = {
                "links": found.checked, "seconds": round(seconds, 1),
                "links_per_s": round(found.checked / seconds, 1),
                "most_per_host": found.most_per_host, "states": dict(found.states),
                "kept": found.kept,
            }  # fmt: skip
            print(name, json.dumps(results[name], ensure_ascii=False), flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"hosts {args.hosts}, delay {args.delay} s, peak RSS of the checker {peak:.0f} MB")
    server.terminate()


if __name__ == "__main__":
    main()

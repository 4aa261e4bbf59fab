"""A real HTTP server (IPv4 and IPv6, threads) serving what department websites serve:
good documents, errors, slow answers, redirect chains and loops, permanent moves, soft
404s, login pages, HTML where a document is promised, a redirect to the home page, a
document that changes between checks, one over the size limit, a host that fails twice
then recovers, and PDFs and DOCX with and without a resident ID — all generated here."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RESIDENT_ID = "11010519491231002X"  # GB 11643 example number: a valid check character
MOBILE = "13812345678"
SLOW_S = 3.0


def pdf(lines: list[str], text_layer: bool = True) -> bytes:
    """A one-page PDF saying ``lines`` (or only drawing boxes: a scan has no text)."""
    from fpdf import FPDF

    doc = FPDF()
    doc.set_compression(False)
    doc.add_page()
    doc.set_font("Helvetica", size=12)
    for line in lines:
        if text_layer:
            doc.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
        else:
            doc.rect(10, 10 + 12 * lines.index(line), 120, 8, style="F")
    return bytes(doc.output())


def docx(lines: list[str]) -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    for line in lines:
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HTML = "text/html; charset=utf-8"
GOOD = pdf(["Approval of the project proposal", "Document No. 2019-142"])
ARTICLE = (
    "<html><head><title>关于南昌地铁4号线可行性研究报告的批复</title></head><body>"
    + "<p>南昌市发展和改革委员会关于项目可行性研究报告的批复。</p>" * 60
    + "</body></html>"
)
HOME = (
    "<html><head><title>南昌市发展和改革委员会</title></head><body>"
    + "<p>政务公开 政策文件 通知公告 工作动态</p>" * 100
    + "</body></html>"
)
SOFT_404 = (
    "<html><head><title>提示信息</title></head><body><div>您访问的页面不存在或已被删除！"
    "</div><a href='/'>返回首页</a></body></html>"
)
LOGIN = (
    "<html><head><title>统一身份认证平台</title></head><body><form>用户名<input name=u>"
    "密码<input type='password' name=p><button>登录</button></form></body></html>"
)


class Site:
    """What the server answers; counts what it was asked (per path and method)."""

    def __init__(self) -> None:
        self.asked: Counter = Counter()
        self.user_agents: set[str] = set()
        self.big = b"%PDF-1.4\n" + b"0" * 200_000
        self.documents = {
            "/good.pdf": (PDF, GOOD),
            "/new.pdf": (PDF, pdf(["Moved here"])),
            "/id.pdf": (PDF, pdf(["Compensation list", f"Zhang San {RESIDENT_ID}", "Li Si"])),
            "/mobile.pdf": (PDF, pdf(["Contact", f"Tel {MOBILE}"])),
            "/scanned.pdf": (PDF, pdf(["a", "b", "c"], text_layer=False)),
            "/id.docx": (DOCX, docx(["征地补偿公示", f"张三 {RESIDENT_ID} 补偿款 12000 元"])),
            "/clean.docx": (DOCX, docx(["征地补偿公示", "补偿标准见附表"])),
            "/article.html": (HTML, ARTICLE.encode()),
            "/": (HTML, HOME.encode()),
            "/soft404.html": (HTML, SOFT_404.encode()),
            "/login": (HTML, LOGIN.encode()),
            "/notice.pdf": (HTML, ARTICLE.encode()),
            "/huge.pdf": (PDF, self.big),
        }
        self.redirects = {
            "/chain/1": (302, "/chain/2"),
            "/chain/2": (302, "/chain/3"),
            "/chain/3": (307, "/good.pdf"),
            "/loop/a": (302, "/loop/b"),
            "/loop/b": (302, "/loop/a"),
            "/long/1": (302, "/long/2"), "/long/2": (302, "/long/3"), "/long/3": (302, "/long/4"),
            "/long/4": (302, "/long/5"), "/long/5": (302, "/long/6"), "/long/6": (302, "/good.pdf"),
            "/old.pdf": (301, "/new.pdf"),
            "/gone/doc.pdf": (302, "/"),
        }  # fmt: skip

    def answer(self, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
        self.asked[(method, path)] += 1
        asked = sum(n for (_, p), n in self.asked.items() if p == path)
        if path in self.redirects:
            status, target = self.redirects[path]
            return status, {"Location": target}, b""
        if path == "/missing.pdf":
            return 404, {"Content-Type": HTML}, b"<h1>404 Not Found</h1>"
        if path == "/error.pdf":
            return 500, {"Content-Type": HTML}, b"<h1>500</h1>"
        if path == "/slow.pdf":
            time.sleep(SLOW_S)
            return 200, {"Content-Type": PDF}, GOOD
        if path == "/flaky.pdf":  # down for two requests, then back
            if asked <= 2:
                return 503, {"Content-Type": HTML}, b"busy"
            return 200, {"Content-Type": PDF}, GOOD
        if path == "/head405.pdf":
            if method == "HEAD":
                return 405, {}, b""
            return 200, {"Content-Type": PDF}, GOOD
        if path == "/changing.pdf":  # a new file from the second check on
            version = 1 if self.asked[("HEAD", path)] <= 1 else 2
            return 200, {"Content-Type": PDF}, pdf([f"Version {version}"])
        if path in self.documents:
            kind, body = self.documents[path]
            return 200, {"Content-Type": kind}, body
        if path.startswith("/ncfgw/"):  # the demo data's links, rewritten to this server
            if path.endswith("/182.pdf"):
                return 404, {"Content-Type": HTML}, b"<h1>404</h1>"
            planted = [f"Zhang San {RESIDENT_ID}"] if path.endswith("/142.pdf") else []
            return 200, {"Content-Type": PDF}, pdf(["Approval", path, *planted])
        return 404, {"Content-Type": HTML}, b"<h1>404</h1>"


def handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self, method: str) -> None:
            self_path = self.path.split("?")[0]
            site.user_agents.add(self.headers.get("User-Agent", ""))
            status, headers, body = site.answer(method, self_path)
            if status == 200 and body:  # validators, as web servers send them
                headers = {"ETag": '"' + hashlib.sha256(body).hexdigest()[:16] + '"', **headers}
            ranged = self.headers.get("Range", "")
            if status == 200 and ranged.startswith("bytes=0-") and method == "GET":
                end = min(int(ranged.split("-")[1]) + 1, len(body))
                if end < len(body):
                    status, headers = (
                        206,
                        {**headers, "Content-Range": f"bytes 0-{end - 1}/{len(body)}"},
                    )
                    body = body[:end]
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if method != "HEAD":
                    self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def do_GET(self) -> None:  # noqa: N802
            self._serve("GET")

        def do_HEAD(self) -> None:  # noqa: N802
            self._serve("HEAD")

        def log_message(self, *args: object) -> None:
            pass

    return Handler


class Server4(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hung up (the checker's timeouts): nothing to report


class Server6(Server4):
    address_family = socket.AF_INET6


@contextmanager
def serving(site: Site | None = None) -> Iterator[tuple[Site, str, str]]:
    """(site, http://127.0.0.1:port, http://[::1]:port): one site on both families."""
    site = site or Site()
    four = Server4(("127.0.0.1", 0), handler(site))
    six = Server6(("::1", 0), handler(site))
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (four, six)]
    for thread in threads:
        thread.start()
    try:
        yield (
            site,
            f"http://127.0.0.1:{four.server_address[1]}",
            f"http://[::1]:{six.server_address[1]}",
        )
    finally:
        for server in (four, six):
            server.shutdown()
            server.server_close()


# --- the cases, and how the tests link and check them --------------------------------

T0 = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)

# path: (the document's title, state after checks on days 0, 1 and 2, reason)
CASES = {
    "/good.pdf": ("关于项目建议书的批复.pdf", "ok", None),
    "/missing.pdf": ("可行性研究报告批复.pdf", "broken", "http_404"),
    "/error.pdf": ("初步设计批复.pdf", "broken", "http_500"),
    "/slow.pdf": ("用地预审意见.pdf", "broken", "timeout"),
    "/chain/1": ("规划许可证", "ok", None),
    "/loop/a": ("施工许可证", "broken", "redirect_loop"),
    "/long/1": ("竣工验收备案", "broken", "too_many_redirects"),
    "/old.pdf": ("招标公告.pdf", "moved", "permanent_redirect"),
    "/soft404.html": ("中标结果公示", "wrong", "soft_404"),
    "/login": ("设计变更批复", "wrong", "login_page"),
    "/notice.pdf": ("环评批复.pdf", "wrong", "html_for_document"),
    "/gone/doc.pdf": ("水土保持方案批复.pdf", "wrong", "home_redirect"),
    "/changing.pdf": ("征收决定.pdf", "changed", "content_changed"),
    "/huge.pdf": ("初步设计文本.pdf", "ok", "too_large_to_keep"),
    "/flaky.pdf": ("质量监督报告.pdf", "ok", None),
    "/head405.pdf": ("安全监督报告.pdf", "ok", None),
    "/id.pdf": ("征地补偿登记表.pdf", "ok", None),
    "/mobile.pdf": ("联系人名单.pdf", "ok", None),
    "/scanned.pdf": ("批复扫描件.pdf", "ok", None),
    "/id.docx": ("征地补偿公示.docx", "ok", None),
    "/clean.docx": ("补偿标准.docx", "ok", None),
    "/article.html": ("可研批复", "ok", None),
}
SCAN = {
    "/id.pdf": "found", "/mobile.pdf": "found", "/id.docx": "found", "/scanned.pdf": "not_scannable",
    "/clean.docx": "clean", "/good.pdf": "clean", "/article.html": "clean",
}  # fmt: skip


def settings(**given: Any) -> Any:
    from registry.settings import LinkSettings

    values = {"allow_private": True, "delay_s": 0.0, "timeout_s": 1.0, "keep_max_mb": 0.1,
              "contact": "links-test@example.org"} | given  # fmt: skip
    return LinkSettings(**values)


def run_check(url: str, store, **given):
    async def go():
        from sqlalchemy.ext.asyncio import create_async_engine

        from registry.documents.checker import check_links

        engine = create_async_engine(url)
        try:
            return await check_links(engine, store, settings(**{k: v for k, v in given.items()
                                                               if k != "now"}),
                                     now=given.get("now"))  # fmt: skip
        finally:
            await engine.dispose()

    return asyncio.run(go())


def link_documents(engine, documents: list[list[dict]]) -> list[int]:
    """Give public demo items these documents, through the write path (a correction)."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from registry.publishing.authority import Actor
    from registry.publishing.disclosures import correct_disclosure

    actor = Actor(path="test:system")
    with Session(engine) as session:
        ids = session.scalars(
            text("SELECT id FROM public_disclosures ORDER BY id LIMIT :n"), {"n": len(documents)}
        ).all()
        for disclosure_id, docs in zip(ids, documents, strict=True):
            correct_disclosure(session, actor, disclosure_id, "链接检查测试", documents=docs)
        session.commit()
    return list(ids)

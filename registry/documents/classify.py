"""What a fetch means, as pure functions (no I/O), so each rule is tested on its own:

- ``verdict``: one check's outcome — ok, moved (a permanent redirect: propose the new URL),
  failed (DNS, TLS, refused, timeout, 4xx/5xx, a redirect loop), wrong (错链: an error or
  login page answering 200, a redirect to a site's home page, an HTML page where a document
  is promised, a different kind of document than the one kept) or changed (the document
  at the URL is no longer the one kept);
- ``settle``: a link's state after a check: one failure is not "broken" — only
  ``broken_after_checks`` failures in a row over ``broken_after_days``.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from registry.documents.fetch import Fetched

STATES = ("unchecked", "ok", "moved", "broken", "wrong", "changed")

# what a kept copy may be: the types departments publish, by declared type and by suffix
KEEPABLE = {
    "application/pdf": ".pdf",
    "application/ofd": ".ofd",
    "application/msword": ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "text/html": ".html",
}
BY_SUFFIX = {suffix: kind for kind, suffix in KEEPABLE.items()} | {
    ".jpeg": "image/jpeg",
    ".htm": "text/html",
    ".shtml": "text/html",
}
DOCUMENT_SUFFIXES = (".pdf", ".ofd", ".doc", ".docx", ".xls", ".xlsx", ".wps", ".et", ".zip")
MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\xd0\xcf\x11\xe0", "application/msword"),  # OLE2: .doc or .xls (the suffix decides)
)
HOME_PATHS = {"", "/", "/index.html", "/index.htm", "/index.shtml", "/index.jsp",
              "/index.php", "/default.aspx", "/default.htm", "/portal", "/portal/"}  # fmt: skip

# soft 404s: the phrases Chinese government sites (and their CMSs) answer a missing page with
MISSING = re.compile(
    r"页面不存在|您访问的页面不存在|您所访问的页面不存在|找不到(您|你)?(要|所)?(访问|请求)?的?页面"
    r"|页面(已被)?(删除|移除)|信息(已被?)?(删除|撤下|下线)|文件不存在|资源不存在|无法找到(该|此)?页面"
    r"|页面未找到|内容已过期|链接已失效|404 ?not found|page (does not|doesn't) exist"
    r"|no longer available",
    re.IGNORECASE,
)
# a title may say only the status ("404", "错误页面", "Error")
MISSING_TITLE = re.compile(rf"{MISSING.pattern}|^\W*404\b|\b404\W*$|错误(页面|提示)|^\W*error\W*$",
                           re.IGNORECASE)  # fmt: skip
PASSWORD = re.compile(r"<input[^>]+type\s*=\s*[\"']?password", re.IGNORECASE)
LOGIN_TITLE = re.compile(r"登录|登陆|统一身份认证|单点登录|\blog ?in\b|sign in", re.IGNORECASE)
TITLE = re.compile(rf"{MISSING.pattern}|^\W*404\b|\b404\W*$|错误(页面|提示)|^\W*error\W*$",
                           re.IGNORECASE)  # fmt: skip
LOGIN = re.compile(
    r"<input[^>]+type=[\"']?password|统一身份认证|用户登录|请(先)?登录|登录系统|单点登录"
    r"|\blog ?in\b|sign in",
    re.IGNORECASE,
)
TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
TAGS = re.compile(r"<(script|style)[^>]*>.*?</\1>|<[^>]+>", re.IGNORECASE | re.DOTALL)
SHORT_PAGE = 3000  # characters of visible text: an error page says little else


@dataclass(frozen=True)
class Verdict:
    outcome: str  # ok, moved, failed, wrong, changed
    reason: str | None = None
    moved_to: str | None = None
    keep: bool = False  # the body is a document worth keeping (first good fetch)


def kind_of(seen: Fetched) -> str | None:
    """The document type: the declared one, else the file's first bytes, else the suffix."""
    declared = seen.content_type
    suffix = PurePosixPath(unquote(urlsplit(seen.final_url or seen.url).path)).suffix.lower()
    if declared and declared not in ("application/octet-stream", "binary/octet-stream",
                                     "application/force-download", "application/x-download"):  # fmt: skip
        return declared
    head = seen.body or b""
    for magic, kind in MAGIC:
        if head.startswith(magic):
            if kind == "application/msword" and suffix in (".xls", ".et"):
                return "application/vnd.ms-excel"
            return kind
    if head.startswith(b"PK") and suffix in (".docx", ".xlsx"):
        return BY_SUFFIX[suffix]
    return BY_SUFFIX.get(suffix, declared)


def family(kind: str | None) -> str:
    """Types that are the same kind of document: pdf, word, sheet, image, html, other."""
    kind = kind or ""
    if kind == "application/pdf":
        return "pdf"
    if "word" in kind or kind == "application/msword":
        return "word"
    if "sheet" in kind or "excel" in kind:
        return "sheet"
    if kind.startswith("image/"):
        return "image"
    if kind in ("text/html", "application/xhtml+xml"):
        return "html"
    return kind or "other"


def page_text(body: bytes) -> tuple[str, str]:
    """(title, visible text) of the head of an HTML page, whatever its encoding."""
    for encoding in ("utf-8", "gb18030"):
        try:
            source = body.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        source = body.decode("utf-8", "replace")
    found = TITLE.search(source)
    title = html.unescape(found.group(1)).strip() if found else ""
    text = html.unescape(TAGS.sub(" ", source))
    return title, " ".join(text.split())


def promises_document(url: str, title: str | None) -> bool:
    """The link's own words say it is a document (a .pdf URL, a title naming a file)."""
    path = unquote(urlsplit(url).path).lower()
    named = (title or "").strip().lower()
    return path.endswith(DOCUMENT_SUFFIXES) or named.endswith(DOCUMENT_SUFFIXES)


def _home(url: str, final: str) -> bool:
    """A redirect from a deeper page to a site's home page."""
    start, end = urlsplit(url).path, urlsplit(final).path
    return end.lower() in HOME_PATHS and start.lower() not in HOME_PATHS


def page_problem(url: str, title: str | None, seen: Fetched) -> str | None:
    """Why an HTML answer is not the page or document the link promises, or None."""
    page_title, text = page_text(seen.body or b"")
    password = PASSWORD.search(seen.body.decode("utf-8", "replace") if seen.body else "")
    if LOGIN_TITLE.search(page_title) or (password and len(text) < SHORT_PAGE):
        return "login_page"
    if MISSING_TITLE.search(page_title) or (len(text) < SHORT_PAGE and MISSING.search(text)):
        return "soft_404"
    if seen.chain and _home(url, seen.final_url or url):
        return "home_redirect"
    if promises_document(url, title):
        return "html_for_document"
    return None


def verdict(
    seen: Fetched, *, title: str | None, kept: tuple[str, str] | None, max_bytes: int
) -> Verdict:
    """The outcome of one check of a link whose document is called ``title``; ``kept``:
    (sha256, type) of the copy kept at the first good fetch, if any."""
    if seen.error == "private_address" or seen.error == "bad_url":
        return Verdict("wrong", seen.error)
    if seen.error:
        return Verdict("failed", seen.error)
    if seen.status is None or seen.status >= 400:
        return Verdict("failed", f"http_{seen.status}")
    kind = kind_of(seen)
    moved_to = seen.final_url if seen.permanent_move else None
    if family(kind) == "html":
        problem = page_problem(seen.url, title, seen)
        if problem is not None:
            return Verdict("wrong", problem)
    elif seen.chain and _home(seen.url, seen.final_url or seen.url):
        return Verdict("wrong", "home_redirect")
    if kept is not None:
        kept_sha, kept_kind = kept
        if family(kind) != family(kept_kind):
            return Verdict("wrong", "different_type")
        if seen.sha256 is not None and seen.sha256 != kept_sha and family(kind) != "html":
            return Verdict("changed", "content_changed", moved_to)
    too_large = seen.size is not None and seen.size > max_bytes
    keep = (
        kept is None
        and not too_large
        and seen.complete
        and seen.sha256 is not None
        and kind in KEEPABLE
    )
    reason = "too_large_to_keep" if too_large else None
    if moved_to:
        return Verdict("moved", "permanent_redirect", moved_to, keep)
    return Verdict("ok", reason, None, keep)


@dataclass(frozen=True)
class State:
    """A link's state as stored (the columns of ``links`` the checker decides)."""

    state: str = "unchecked"
    since: dt.datetime | None = None
    reason: str | None = None
    failures: int = 0
    failing_since: dt.datetime | None = None
    last_failure: str | None = None
    moved_to: str | None = None


def settle(before: State, outcome: Verdict, now: dt.datetime, *, checks: int, days: float) -> State:
    """The state after a check. A failure counts towards "broken", declared only once
    ``checks`` checks in a row failed over at least ``days`` days; until then the link
    keeps the state it had (an outage is not a broken link)."""
    if outcome.outcome == "failed":
        failures = before.failures + 1
        failing_since = before.failing_since or now
        if failures >= checks and now - failing_since >= dt.timedelta(days=days):
            since = before.since if before.state == "broken" else failing_since
            return State("broken", since, outcome.reason, failures, failing_since, outcome.reason)
        return State(
            before.state, before.since, before.reason, failures, failing_since, outcome.reason,
            before.moved_to,
        )  # fmt: skip
    state = outcome.outcome
    since = before.since if state == before.state and before.since else now
    return State(state, since, outcome.reason, 0, None, None, outcome.moved_to)

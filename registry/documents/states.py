"""What the register reads of the link checks: a link's state (pages, GraphQL, feeds,
OC4IDS), the kept copy a public item links to (/documents/{sha256}), the counts for the
report and the metrics, and a department's full list (its key, never the public).

States and reasons are named here once, Chinese first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

STATE_NAMES = {
    "unchecked": ("尚未检查", "not checked yet"),
    "failing": ("暂时无法访问", "failing, not yet declared broken"),
    "ok": ("正常", "working"),
    "moved": ("已迁移", "moved"),
    "broken": ("链接已失效", "broken"),
    "wrong": ("链接有误", "wrong link"),
    "changed": ("内容已变更", "content changed"),
}
REASON_NAMES = {
    "permanent_redirect": ("已永久跳转到新地址", "permanently redirected"),
    "too_large_to_keep": ("文件过大，未存档", "too large to keep"),
    "soft_404": ("网页提示页面不存在", "the page says it does not exist"),
    "login_page": ("打开的是登录页", "a login page"),
    "home_redirect": ("跳转到网站首页", "redirected to the home page"),
    "html_for_document": ("应为文件，打开的是网页", "a web page where a document is promised"),
    "different_type": ("与存档文件类型不同", "not the kind of document kept"),
    "content_changed": ("与发布时的文件不同", "not the document published"),
    "private_address": ("指向内部网络地址", "an address inside a private network"),
    "bad_url": ("不是网址", "not a web address"),
    "dns": ("域名无法解析", "the name does not resolve"),
    "tls": ("证书或加密连接错误", "TLS error"),
    "refused": ("服务器拒绝连接", "connection refused"),
    "timeout": ("访问超时", "timed out"),
    "redirect_loop": ("循环跳转", "a redirect loop"),
    "too_many_redirects": ("跳转次数过多", "too many redirects"),
    "protocol": ("服务器应答不合规范", "a malformed answer"),
    "network": ("网络错误", "network error"),
}


def reason_name(code: str | None) -> str | None:
    """A reason as the public reads it (HTTP statuses as they are)."""
    if code is None:
        return None
    if code.startswith("http_"):
        return f"HTTP {code[5:]}"
    zh, en = REASON_NAMES.get(code, (code, code))
    return f"{zh} · {en}"


STATES = text(
    """
SELECT l.url, l.state, l.state_since, l.reason, l.checked_at, l.moved_to, l.kept_sha256,
       k.kept_at, k.scan, l.failures, l.last_failure
FROM links l LEFT JOIN kept_documents k ON k.sha256 = l.kept_sha256
WHERE l.url = ANY(:urls)
"""
)


@dataclass(frozen=True)
class LinkState:
    state: str
    since: dt.datetime | None
    reason: str | None
    checked_at: dt.datetime | None
    moved_to: str | None
    kept_sha256: str | None
    kept_at: dt.datetime | None
    withheld: bool  # the copy holds personal data: not served
    failures: int = 0
    last_failure: str | None = None

    @property
    def shown(self) -> str:
        """The state as readers see it: a link never seen working that failed its checks so
        far is "failing" (not yet declared broken), not "unchecked"."""
        return "failing" if self.state == "unchecked" and self.failures else self.state

    @property
    def copy_path(self) -> str | None:
        """The kept copy's path on this register, when it may be served."""
        if self.kept_sha256 and not self.withheld:
            return f"/documents/{self.kept_sha256}"
        return None


async def link_states(conn: AsyncConnection, urls: list[str]) -> dict[str, LinkState]:
    """The checked state of each of ``urls`` (those never checked are absent)."""
    if not urls:
        return {}
    rows = await conn.execute(STATES, {"urls": list(set(urls))})
    return {
        r.url: LinkState(
            r.state,
            r.state_since,
            r.reason,
            r.checked_at,
            r.moved_to,
            r.kept_sha256,
            r.kept_at,
            r.scan == "found",
            r.failures,
            r.last_failure,
        )  # fmt: skip
        for r in rows
    }


async def with_links(conn: AsyncConnection, items: list[dict[str, Any]]) -> None:
    """Each document of ``items`` (rows with ``documents``) given its link's checked state
    (``link``; None when never checked): one statement for them all."""
    urls = [d.get("url") for item in items for d in item["documents"] or []]
    found = await link_states(conn, [u for u in urls if isinstance(u, str)])
    for item in items:
        item["documents"] = [
            {**d, "link": found.get(d.get("url"))} for d in item["documents"] or []
        ]


KEPT = text(
    """
SELECT k.content_type, k.filename, k.size, k.kept_at, k.scan FROM kept_documents k
WHERE k.sha256 = :sha256 AND k.scan <> 'found' AND EXISTS (
  SELECT 1 FROM links l
  JOIN public_disclosures x ON x.documents @> jsonb_build_array(jsonb_build_object('url', l.url))
  WHERE l.kept_sha256 = k.sha256
)
"""
)


async def kept_copy(conn: AsyncConnection, sha256: str) -> Any:
    """The kept copy of a document a public item links to (and that holds no personal
    data), or None."""
    return (await conn.execute(KEPT, {"sha256": sha256})).one_or_none()


# the state as readers see it, in SQL (LinkState.shown in Python)
SHOWN = ("CASE WHEN l.state = 'unchecked' AND l.failures > 0 THEN 'failing' "
         "ELSE coalesce(l.state, 'unchecked') END")  # fmt: skip

# per department and category: the documents of public items, with their link's state
_DOCS = """
WITH docs AS (
  SELECT DISTINCT x.publisher_id, x.category, x.project_id, x.id AS disclosure_id,
         x.item_key, x.title AS item_title, d ->> 'url' AS url, d ->> 'title' AS title
  FROM public_disclosures x CROSS JOIN LATERAL jsonb_array_elements(
    CASE jsonb_typeof(x.documents) WHEN 'array' THEN x.documents ELSE '[]' END) d
  WHERE d ->> 'url' ~* '^https?://'
)
"""
COUNTS = text(
    _DOCS
    + """
SELECT dep.code AS department, dep.name AS department_name, docs.category,
       count(*) FILTER (WHERE l.checked_at IS NOT NULL) AS checked,
       count(*) FILTER (WHERE l.state = 'ok') AS ok,
       count(*) FILTER (WHERE l.state = 'moved') AS moved,
       count(*) FILTER (WHERE l.state = 'broken') AS broken,
       count(*) FILTER (WHERE l.state = 'wrong') AS wrong,
       count(*) FILTER (WHERE l.state = 'changed') AS changed,
       count(*) FILTER (WHERE k.scan = 'found') AS personal_data
FROM docs JOIN departments dep ON dep.id = docs.publisher_id
LEFT JOIN links l ON l.url = docs.url
LEFT JOIN kept_documents k ON k.sha256 = l.kept_sha256
GROUP BY dep.code, dep.name, docs.category ORDER BY dep.code, docs.category
"""
)
LISTED = text(
    _DOCS
    + """
SELECT dep.code AS department, docs.category, p.code AS project_code, docs.item_key,
       docs.item_title, docs.title, docs.url, """
    + SHOWN
    + """ AS state,
       l.state_since, l.reason, l.moved_to, l.checked_at, l.failures, l.last_failure,
       l.kept_sha256, k.kept_at, k.scan,
       (SELECT string_agg(f.kind || coalesce(' p.' || f.page, '') || ' ' || f.masked, '; '
                          ORDER BY f.page, f.kind)
          FROM document_findings f WHERE f.sha256 = k.sha256) AS findings
FROM docs JOIN departments dep ON dep.id = docs.publisher_id
JOIN projects p ON p.id = docs.project_id
LEFT JOIN links l ON l.url = docs.url
LEFT JOIN kept_documents k ON k.sha256 = l.kept_sha256
WHERE CAST(:department AS text) IS NULL OR dep.code = :department
ORDER BY dep.code, docs.category, p.code, docs.item_key, docs.url
"""
)
BY_STATE = text(
    _DOCS
    + """
SELECT """
    + SHOWN
    + """ AS state, dep.code AS department, count(*) AS links
FROM docs JOIN departments dep ON dep.id = docs.publisher_id
LEFT JOIN links l ON l.url = docs.url
GROUP BY 1, 2 ORDER BY 1, 2
"""
)


async def counts(conn: AsyncConnection) -> list[dict[str, Any]]:
    """The public counts, per department and category (no URLs, no findings' detail)."""
    return [dict(r._mapping) for r in await conn.execute(COUNTS)]


async def listed(conn: AsyncConnection, department: str | None) -> list[dict[str, Any]]:
    """Every document link of a department (or all, for an administrator), with its state
    and what the scan found (masked): for the department, never for the public."""
    return [dict(r._mapping) for r in await conn.execute(LISTED, {"department": department})]

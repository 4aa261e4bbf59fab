"""One URL fetched as a careful client does: redirects followed by hand (at most
MAX_REDIRECTS, the chain kept), HEAD where the server allows it else GET, at most
``per_host`` requests at a time to one host with a pause between them, a User-Agent that
names the register, and never an address inside the register's own network unless the
operators allow it."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from registry.identifiers import digits
from registry.links import private_address

MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)
PERMANENT = (301, 308)
HEAD_REFUSED = (400, 403, 405, 406, 501)  # servers that answer HEAD so, and GET properly
PAGE_BYTES = 256 * 1024  # of an HTML page, enough to read its title and text


@dataclass
class Fetched:
    """What one check saw."""

    url: str
    status: int | None = None
    final_url: str | None = None
    chain: list[tuple[int, str]] = field(default_factory=list)  # (status, location) per hop
    content_type: str | None = None
    size: int | None = None
    sha256: str | None = None
    body: bytes | None = None  # the whole document (to keep), or the head of a page
    complete: bool = False  # body is the whole resource
    filename: str | None = None
    validators: dict[str, str] = field(default_factory=dict)
    error: str | None = None  # dns, tls, refused, timeout, redirect_loop, too_many_redirects…
    elapsed_ms: int = 0

    @property
    def permanent_move(self) -> bool:
        """Every redirect of the chain was permanent."""
        return bool(self.chain) and all(status in PERMANENT for status, _ in self.chain)


class HostGate:
    """At most ``per_host`` requests at a time to one host (host and port), each slot
    pausing ``delay_s`` after its request; and at most ``concurrency`` in all."""

    def __init__(self, per_host: int, delay_s: float, concurrency: int) -> None:
        self.per_host, self.delay_s = per_host, delay_s
        self.hosts: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(per_host))
        self.all = asyncio.Semaphore(concurrency)
        self.busy: dict[str, int] = defaultdict(int)
        self.most: dict[str, int] = defaultdict(int)  # the most at once, per host (tests)

    @staticmethod
    def host(url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"

    @asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        host = self.host(url)
        async with self.hosts[host]:
            async with self.all:  # the global slot is held for the request, not the pause
                self.busy[host] += 1
                self.most[host] = max(self.most[host], self.busy[host])
                try:
                    yield
                finally:
                    self.busy[host] -= 1
            if self.delay_s:
                await asyncio.sleep(self.delay_s)


def _error(exc: Exception) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    text = f"{type(exc).__name__} {exc}".lower()
    if "ssl" in text or "certificate" in text or "tls" in text:
        return "tls"
    if "name or service" in text or "nodename" in text or "getaddrinfo" in text:
        return "dns"
    if "refused" in text:
        return "refused"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "protocol"
    return "network"


def _filename(response: httpx.Response) -> str | None:
    disposition = response.headers.get("content-disposition", "")
    for part in disposition.split(";"):
        name, _, value = part.strip().partition("=")
        if name.lower() == "filename*" and "''" in value:
            return unquote(value.split("''", 1)[1]) or None
        if name.lower() == "filename":
            return value.strip('"') or None
    return None


class Fetcher:
    """Fetches with one client and one gate (see HostGate)."""

    def __init__(
        self,
        *,
        user_agent: str,
        timeout_s: float,
        gate: HostGate,
        allow_private: bool,
        max_bytes: int,
    ) -> None:
        self.gate, self.allow_private, self.max_bytes = gate, allow_private, max_bytes
        self.client = httpx.AsyncClient(
            headers={"User-Agent": user_agent, "Accept": "*/*"},
            timeout=httpx.Timeout(timeout_s),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=64),
        )
        self.timeout_s = timeout_s

    async def close(self) -> None:
        await self.client.aclose()

    async def _public(self, url: str) -> str | None:
        """None when ``url`` may be fetched; else the error code."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return "bad_url"
        if self.allow_private:
            return None
        try:
            found = await asyncio.to_thread(
                private_address,
                parts.hostname,
                parts.port or (443 if parts.scheme == "https" else 80),
            )
        except OSError:
            return "dns"
        return "private_address" if found else None

    async def _follow(self, seen: Fetched, method: str) -> httpx.Response | None:
        """Follow redirects from ``seen.url`` with ``method``; the last response is open
        (streamed) for the caller to read and close, or None with ``seen.error`` set."""
        url, visited = seen.url, {seen.url}
        seen.chain = []
        while True:
            if (refused := await self._public(url)) is not None:
                seen.error = refused
                return None
            headers = {"Range": f"bytes=0-{PAGE_BYTES - 1}"} if method == "RANGE" else {}
            request = self.client.build_request(
                "HEAD" if method == "HEAD" else "GET", url, headers=headers
            )
            async with self.gate.slot(url):
                try:
                    response = await asyncio.wait_for(
                        self.client.send(request, stream=True), self.timeout_s
                    )
                except (TimeoutError, httpx.HTTPError, OSError) as exc:
                    seen.error = "timeout" if isinstance(exc, asyncio.TimeoutError) else _error(exc)
                    return None
            location = response.headers.get("location")
            if response.status_code in REDIRECTS and location:
                await response.aclose()
                target = urljoin(url, location)
                seen.chain.append((response.status_code, target))
                if target in visited:
                    seen.error = "redirect_loop"
                    return None
                if len(seen.chain) > MAX_REDIRECTS:
                    seen.error = "too_many_redirects"
                    return None
                visited.add(target)
                url = target
                continue
            seen.status, seen.final_url = response.status_code, url
            return response

    async def fetch(self, url: str, *, body: str, known: dict[str, str] | None = None) -> Fetched:
        """Check ``url``. ``body``: "none" (the status is enough), "page" (the head of an
        HTML page) or "whole" (the document, to hash and keep; skipped when ``known``
        validators — ETag, Last-Modified, length — still match)."""
        started = time.perf_counter()
        seen = Fetched(url=url)
        try:
            await asyncio.wait_for(self._check(seen, body, known or {}), self.timeout_s * 4)
        except TimeoutError:
            seen.error, seen.body = "timeout", None
        finally:
            seen.elapsed_ms = round((time.perf_counter() - started) * 1000)
        return seen

    async def _check(self, seen: Fetched, body: str, known: dict[str, str]) -> None:
        response = await self._follow(seen, "HEAD")
        if response is not None and response.status_code in HEAD_REFUSED:
            await response.aclose()
            response = await self._follow(seen, "RANGE")
        if response is None:
            return
        try:
            self._headers(seen, response)
            if response.status_code >= 400:
                return
            html = (seen.content_type or "").startswith(("text/html", "application/xhtml"))
            want = "page" if html else body
            same = {k: v for k, v in known.items() if k != "sha256"}
            if (
                want == "whole"
                and known.get("sha256")
                and seen.validators
                and seen.validators == same
            ):
                seen.sha256 = known.get("sha256")
                return
            if want == "none":
                return
            if response.request.method == "HEAD" or (
                want == "whole" and response.status_code == 206
            ):
                await response.aclose()
                request = self.client.build_request("GET", seen.final_url or seen.url)
                async with self.gate.slot(str(request.url)):
                    try:
                        response = await asyncio.wait_for(
                            self.client.send(request, stream=True), self.timeout_s
                        )
                    except (TimeoutError, httpx.HTTPError, OSError) as exc:
                        seen.error = (
                            "timeout" if isinstance(exc, asyncio.TimeoutError) else _error(exc)
                        )
                        return
                    seen.status = response.status_code
                    self._headers(seen, response)
                    if response.status_code >= 400:
                        return
                    await self._read(seen, response, PAGE_BYTES if want == "page" else None)
            else:
                await self._read(seen, response, PAGE_BYTES if want == "page" else None)
        finally:
            await response.aclose()

    def _headers(self, seen: Fetched, response: httpx.Response) -> None:
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        seen.content_type = kind or None
        length = response.headers.get("content-length")
        if length and digits(length) and response.status_code == 200:
            seen.size = int(length)
        seen.filename = _filename(response) or seen.filename
        seen.validators = {
            name: response.headers[name]
            for name in ("etag", "last-modified")
            if name in response.headers
        }
        if seen.validators and seen.size is not None:
            seen.validators["length"] = str(seen.size)

    async def _read(self, seen: Fetched, response: httpx.Response, limit: int | None) -> None:
        """Read the body (a page's head, or a document up to max_bytes), hashing it."""
        digest, chunks, total = hashlib.sha256(), [], 0
        cap = limit if limit is not None else self.max_bytes
        if limit is None and seen.size is not None and seen.size > self.max_bytes:
            return  # too large to keep: the headers were enough
        try:
            async for chunk in response.aiter_bytes():
                total += len(chunk)
                if total > cap:
                    if limit is None:
                        seen.size, seen.body = total, None
                        return
                    chunks.append(chunk[: len(chunk) - (total - cap)])
                    break
                digest.update(chunk)
                chunks.append(chunk)
            else:
                seen.complete = True
        except (httpx.HTTPError, OSError) as exc:
            seen.error = _error(exc)
            return
        seen.body = b"".join(chunks)
        if seen.complete:
            seen.size = total
            seen.sha256 = digest.hexdigest()
            if seen.validators:
                seen.validators["length"] = str(total)

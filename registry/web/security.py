"""The edge of every response: which host a request may name, which address links are
built on, and the headers that keep a page from running anything but the register's own
code.

- ``TrustedHosts``: a request whose Host is not the public URL's or one listed in
  ``REGISTRY_API_ALLOWED_HOSTS`` is refused before anything is read, so no link, cached
  answer or log ever carries a forged host. (Starlette's TrustedHostMiddleware cuts an
  IPv6 literal such as ``[::1]:8000`` at its first colon; this one reads it.)
- ``public_base``: the one base of every absolute link: ``REGISTRY_API_PUBLIC_URL`` when
  set, else the address the request came to (its scheme believed from a proxy only when
  the proxy is in ``REGISTRY_OPS_FORWARDED_ALLOW_IPS``).
- ``SecurityHeaders``: every response says ``nosniff`` and a referrer policy; every HTML
  page carries a Content-Security-Policy that allows only the register's own scripts,
  styles, images, workers (MapLibre's ``blob:`` workers) and connections, plus the
  configured base map's host, and may not be framed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request

from registry.errors import Problem
from registry.settings import ApiSettings
from registry.web.errors import error_response


def _origin(url: str) -> str | None:
    parts = urlsplit(url.replace("{", "").replace("}", ""))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def content_policy(api: ApiSettings) -> str:
    basemap = _origin(api.map_basemap_url) if api.map_basemap_url else None
    extra = f" {basemap}" if basemap else ""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            # GraphiQL (emotion) and MapLibre set styles from their scripts
            "style-src 'self' 'unsafe-inline'",
            f"img-src 'self' data: blob:{extra}",
            f"connect-src 'self'{extra}",
            "worker-src 'self' blob:",
            "child-src 'self' blob:",
            "font-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]


class SecurityHeaders:
    """ASGI middleware: the headers above on every answer (error pages included)."""

    def __init__(self, app: Any, api: ApiSettings) -> None:
        self.app = app
        self.page = [
            (b"content-security-policy", content_policy(api).encode()),
            (b"x-frame-options", b"DENY"),
        ]

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [h for h in ALWAYS if h[0] not in names]
                kind = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                if kind.startswith(b"text/html"):
                    headers += [h for h in self.page if h[0] not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, sending)


def host_name(header: str) -> str:
    """The host of a Host header, without its port: ``[::1]:8000`` is ``::1``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else ""
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def allowed_hosts(api: ApiSettings) -> list[str]:
    hosts = [h.lower() for h in api.allowed_hosts]
    if api.public_url:
        public = urlsplit(api.public_url).hostname
        if public:
            hosts.append(public.lower())
    return hosts


def host_allowed(host: str, allowed: list[str]) -> bool:
    for pattern in allowed:
        if pattern == "*" or host == pattern:
            return True
        if pattern.startswith("*.") and host.endswith(pattern[1:]):
            return True
    return False


class TrustedHosts:
    """ASGI middleware: refuse a request for a host not listed (400, the one error body)."""

    def __init__(self, app: Any, api: ApiSettings) -> None:
        self.app, self.allowed = app, allowed_hosts(api)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        header = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
        if host_allowed(host_name(header), self.allowed):
            await self.app(scope, receive, send)
            return
        message = _refusal()
        response = error_response(
            400, "INVALID_HOST", message, [Problem("host", "not_allowed", message)]
        )
        await response(scope, receive, send)


def _refusal() -> str:
    from registry.language import say

    # the host is not repeated: nothing a request names comes back in an answer
    return say("this registry does not answer for that host name; use its public address")


def public_base(request: Request) -> str:
    """The base of every absolute link: the public URL, or where the request came."""
    configured = request.app.state.settings.api.public_url
    return (configured or str(request.base_url)).rstrip("/")


def public_url(request: Request) -> str:
    """This request's own address on the public base (a feed's self link)."""
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{public_base(request)}{request.url.path}{query}"

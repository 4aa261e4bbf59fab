"""Which links a reader may follow: checked when a link is written (publishing) and again
where one is shown (pages, exports), so that a stored ``javascript:`` from before the check,
or from a file nobody checked, never reaches a reader as code."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

SCHEMES = ("http", "https")
MAX_URL = 2000


def safe_url(value: Any) -> bool:
    """http(s) with a host, or a path of this register's own ("/documents/…"); never
    javascript:, data:, file:, a protocol-relative //host, whitespace or control characters."""
    if not isinstance(value, str) or not value or len(value) > MAX_URL:
        return False
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return False
    if value.startswith("/"):
        return not value.startswith("//") and "\\" not in value
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in SCHEMES and bool(parts.hostname) and "\\" not in value


def shown_url(value: Any) -> str | None:
    """The link to render, or None (show the title as text)."""
    return value if safe_url(value) else None


def private_address(host: str, port: int) -> str | None:
    """The first address ``host`` resolves to that is not public (private, loopback,
    link-local…), or None: a URL the register itself calls (a webhook, a document link) must
    not reach into its own network. Blocking (call it in a thread from async code); raises
    OSError when the name does not resolve."""
    for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not ip.is_global:
            return str(ip)
    return None

"""Which language a refusal is shown in: Chinese by default, English when the client
asks for it first (``Accept-Language``).

Messages are written once, as "中文 · English" (the Chinese for the people who load and
read the register, the English beside it for everyone else). A request whose
Accept-Language ranks English above Chinese gets the English half alone; every other
request gets both, Chinese first. Codes (``extensions.code``, ``code``) never change.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

SEPARATOR = " · "
ENGLISH: ContextVar[bool] = ContextVar("english", default=False)


def prefers_english(header: str | None) -> bool:
    """Whether an Accept-Language header ranks English above Chinese (RFC 9110 q-values;
    a language not named counts 0; ties go to Chinese)."""
    if not header:
        return False
    best = {"en": 0.0, "zh": 0.0}
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in best:
            best[primary] = max(best[primary], quality)
    return best["en"] > best["zh"]


def shown(message: Any) -> Any:
    """The message as this request should see it."""
    if not ENGLISH.get() or not isinstance(message, str) or SEPARATOR not in message:
        return message
    return message.split(SEPARATOR, 1)[1]


class Language:
    """ASGI middleware: note the request's language for ``shown``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"accept-language"), None
        )
        token = ENGLISH.set(prefers_english(header))
        try:
            await self.app(scope, receive, send)
        finally:
            ENGLISH.reset(token)

"""The words of every message, and which language a refusal is shown in.

Every message a user meets (a refusal, a loader's summary, a note) is written in the code
in English, as the ``msgid`` of ``say("...", name=value)``, and its Chinese lives in one
gettext catalogue, ``registry/locale/zh_Hans/LC_MESSAGES/registry.po``, read with Babel.
``make messages`` extracts the calls (``pybabel extract -k say``) and updates the
catalogue; ``tests/test_messages.py`` fails when a message has no Chinese, when the
catalogue keeps one no code says, or when the two disagree on their ``{placeholders}``.

``say`` returns "中文 · English" (the Chinese for the people who load and read the
register, the English beside it for everyone else). A request whose Accept-Language ranks
English above Chinese gets the English half alone (``shown``); every other request gets
both, Chinese first. Codes (``extensions.code``, ``code``) never change.

Placeholders are ``str.format`` names. Where the two languages need different words for
one value (a catalog item's Chinese and English names), the English names ``{x_en}`` and
the Chinese ``{x_zh}``; both are passed.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from babel.messages.pofile import read_po

SEPARATOR = " · "
ENGLISH: ContextVar[bool] = ContextVar("english", default=False)
LOCALE = Path(__file__).with_name("locale")
CATALOGUE = LOCALE / "zh_Hans" / "LC_MESSAGES" / "registry.po"


@cache
def chinese() -> dict[str, str]:
    """English message -> its Chinese, from the catalogue (read once per process)."""
    with CATALOGUE.open("rb") as file:
        catalog = read_po(file)
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string}


class Phrase(NamedTuple):
    """A message, or a part of one, in both languages."""

    zh: str
    en: str

    def __str__(self) -> str:
        return self.en if self.zh == self.en else f"{self.zh}{SEPARATOR}{self.en}"


def said(english: str, /, **values: Any) -> Phrase:
    """The message in both languages with ``values`` filled in; a value that is itself a
    ``Phrase`` (a part said elsewhere, a catalog item's two names) or a message already
    said goes in as its Chinese into the Chinese and as its English into the English."""
    zh = chinese().get(english, english)  # tests/test_messages.py keeps every one translated
    if not values:
        return Phrase(zh, english)
    parts = {k: _as_phrase(v) for k, v in values.items()}
    en_values = {k: v.en if isinstance(v, Phrase) else v for k, v in parts.items()}
    zh_values = {k: v.zh if isinstance(v, Phrase) else v for k, v in parts.items()}
    return Phrase(zh.format(**zh_values), english.format(**en_values))


def _as_phrase(value: Any) -> Any:
    """A message said before ("中文 · English", e.g. a refusal put into a line) is a part
    in both languages; any other value goes in as it is."""
    if isinstance(value, str) and SEPARATOR in value:
        zh, _, en = value.partition(SEPARATOR)
        return Phrase(zh, en)
    return value


def say(english: str, /, **values: Any) -> str:
    """The message as one line, "中文 · English"."""
    return str(said(english, **values))


def N_(english: str) -> str:
    """Marks a message kept in a table, to be said later (``say(TABLE[key], ...)``), so that
    ``pybabel extract`` finds it (the gettext idiom)."""
    return english


def phrase(english: str) -> Phrase:
    """A part of a message given to ``say`` as a value (extracted like a message)."""
    return said(english)


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

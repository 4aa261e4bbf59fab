""" "Did you mean": the closest of the names a person could have meant.

Clerks type headers, item names and department codes by hand; a refusal that names the
closest right one saves a round trip. Names are compared after NFKC normalisation
(full-width to half-width), without spaces, case-insensitively, by rapidfuzz's edit-based
similarity; nothing under the cut-off is suggested (a wild guess is worse than none).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from rapidfuzz import fuzz, process

from registry.language import Phrase, said

CUTOFF = 60.0


def folded(text: object) -> str:
    """What two spellings of the same name have in common: NFKC, no spaces, lower case."""
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split()).lower()


SHORT, SHORT_CUTOFF = 3, 50.0  # a two-character name one character off (再建, 在建) is 50


def closest(value: object, names: Iterable[str], cutoff: float = CUTOFF) -> str | None:
    """The name most like ``value``, or None when none is like it enough."""
    choices = list(dict.fromkeys(n for n in names if n))
    if not choices or not folded(value):
        return None
    if len(folded(value)) <= SHORT:
        cutoff = min(cutoff, SHORT_CUTOFF)
    found = process.extractOne(
        folded(value),
        choices,
        scorer=fuzz.ratio,
        processor=folded,
        score_cutoff=cutoff,
    )
    return found[0] if found else None


def hint(value: object, names: Iterable[str]) -> Phrase:
    """ "; did you mean X?" as a part of a message, or nothing."""
    found = closest(value, names)
    return said("; did you mean {name}?", name=found) if found else Phrase("", "")

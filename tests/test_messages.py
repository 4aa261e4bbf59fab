"""The message catalogue: every message the code says is in it, with its Chinese, and
nothing else is; no refusal is written by hand outside it.

The messages are found as ``make messages`` finds them (Babel's extractor over the
``say``/``said``/``phrase``/``N_`` calls), so these tests fail exactly when that target
would leave a message untranslated.
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from hypothesis import given
from hypothesis import strategies as st

from registry.language import ENGLISH, SEPARATOR, chinese, say, shown

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("registry", "loaders", "schema")
KEYWORDS = {"say": None, "said": None, "phrase": None, "N_": None}
CJK = re.compile(r"[\u4e00-\u9fff]")
WORDS = re.compile(r"[A-Za-z]{2,}|[\u4e00-\u9fff]")


def extracted() -> dict[str, str]:
    """Each message the code says -> where (file:line)."""
    found: dict[str, str] = {}
    for package in PACKAGES:
        for filename, line, message, _comments, _context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            if message:
                found.setdefault(message, f"{package}/{filename}:{line}")
    return found


@pytest.fixture(scope="module")
def said_in_code() -> dict[str, str]:
    return extracted()


def test_every_message_said_has_its_chinese(said_in_code):
    missing = {m: where for m, where in said_in_code.items() if m not in chinese()}
    assert not missing, f"run `make messages` and translate these in the catalogue: {missing}"


def test_the_catalogue_keeps_only_what_the_code_says(said_in_code):
    unused = sorted(set(chinese()) - set(said_in_code))
    assert not unused, f"no code says these any more (`make messages` drops them): {unused}"


def names(template: str) -> set[str]:
    """The placeholder names of a str.format template ({value!r} and {n:,} are value, n)."""
    return {
        field.split(".")[0].split("[")[0]
        for _, field, _, _ in string.Formatter().parse(template)
        if field is not None
    }


def has_words(template: str) -> bool:
    """Whether a template says something itself (not only placeholders and punctuation)."""
    return bool(re.search(r"[A-Za-z]{2,}", re.sub(r"\{[^}]*\}", "", template)))


def test_each_translation_is_chinese_and_fills_the_same_placeholders():
    for english, zh in chinese().items():
        assert CJK.search(zh) or not has_words(english), f"not Chinese: {english!r} -> {zh!r}"
        assert names(zh) == names(english), f"placeholders differ: {english!r} / {zh!r}"
        assert SEPARATOR not in zh and SEPARATOR not in english, english


# values of the kinds messages are given: text, numbers, dates
VALUES = st.one_of(
    st.text(st.characters(blacklist_characters="·"), max_size=20),
    st.integers(-(10**9), 10**9),
    st.dates(),
)


@given(st.data())
def test_any_message_with_any_values_is_said_in_both_languages(data):
    english = data.draw(st.sampled_from(sorted(chinese())))
    values = {}
    for name in names(english):
        spec = re.search(r"\{" + name + r"(![rs])?(:(?P<spec>[^}]*))?\}", english)
        needs_number = spec is not None and spec.group("spec")
        values[name] = data.draw(st.integers(0, 10**6) if needs_number else VALUES)
    both = say(english, **values)
    zh, _, en = both.partition(SEPARATOR)
    assert en == english.format(**values)
    assert zh == chinese()[english].format(**values)
    assert CJK.search(zh) or not has_words(english)
    token = ENGLISH.set(True)
    try:
        assert shown(both) == en  # Accept-Language: en gets the English half alone
    finally:
        ENGLISH.reset(token)


# --- no refusal written by hand ------------------------------------------------------

# call -> which positional argument is the message
MESSAGE_ARGUMENT = {
    "Problem": 2,
    "one": 2,  # InvalidInput.one(path, code, message) and every RegistryError's
    "RowProblem": 2,
    "RequestProblem": 1,
    "error_response": 2,
    "GraphQLError": 0,
    "echo": 0,  # click.echo: what the CLI prints
    "BadParameter": 0,
    "UsageError": 0,
    "ClickException": 0,
}


def _literal_words(node: ast.AST) -> str:
    """The words a literal (a string or an f-string) writes itself, else ''."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value
            for part in node.values
            if isinstance(part, ast.Constant) and isinstance(part.value, str)
        )
    return ""


def hand_written() -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                index = MESSAGE_ARGUMENT.get(name)
                if index is None or len(node.args) <= index:
                    continue
                if WORDS.search(_literal_words(node.args[index])):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_refusals_and_printed_lines_come_from_the_catalogue():
    assert hand_written() == [], "write these as say('...') so that they are translated"

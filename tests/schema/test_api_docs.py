"""Every GraphQL example in docs/ runs against the demo data."""

import json
import re
from pathlib import Path

import pytest

from schema import build_schema
from tests.conftest import GraphQLClient
from tests.schema.forms import variable_form

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCKS = [
    block
    for page in sorted(DOCS.glob("*.md"))
    for block in re.findall(r"```graphql\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
]


def options(block: str, name: str):
    match = re.search(rf"^# {name}: (.*)$", block, re.M)
    return match.group(1) if match else None


def test_the_page_has_examples():
    assert len(BLOCKS) >= 12


@pytest.mark.parametrize("block", BLOCKS, ids=[f"example {i + 1}" for i in range(len(BLOCKS))])
def test_example_answers_the_same_in_both_forms_and_on_both_paths(gql, resolver_server, block):
    """Each example, as written and with its arguments as variables, through the compiled
    path and through the resolvers: the same bytes (errors aside: their locations differ
    between the two texts)."""
    schema = build_schema().graphql_schema
    given = json.loads(options(block, "variables") or "null")
    lifted, lifted_variables = variable_form(schema, block)
    resolvers = GraphQLClient(f"http://127.0.0.1:{resolver_server}")
    for text, variables in ((block, given), (lifted, {**(given or {}), **lifted_variables})):
        compiled, resolved = gql.post(text, variables), resolvers.post(text, variables)
        assert compiled.status_code == resolved.status_code == 200
        assert compiled.content == resolved.content, text
    resolvers.http.close()


@pytest.mark.parametrize("block", BLOCKS, ids=[f"example {i + 1}" for i in range(len(BLOCKS))])
def test_example_runs(gql, block):
    variables = json.loads(options(block, "variables") or "null")
    expected_error = options(block, "expect-error")
    body = gql.post(block, variables).json()
    if expected_error:
        codes = [p["code"] for e in body["errors"] for p in e["extensions"].get("problems", [])]
        assert expected_error in codes
        return
    assert "errors" not in body, body["errors"]
    assert body["data"] and all(value is not None for value in body["data"].values())

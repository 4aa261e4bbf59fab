"""Hardening: depth, cost, page size, tokens, body size, and no leaks in errors."""

import httpx
import pytest
from psycopg.errors import QueryCanceled
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from registry.settings import RegistrySettings
from schema.errors import format_error
from tests.schema.conftest import in_process, settings_with


def test_page_size_over_the_cap_is_refused(gql):
    error = gql.errors("{ projects(first: 101) { nodes { code } } }")[0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "first: 101 超出 0..100（每页数量上限） · 101 is outside 0..100" in error["message"]
    assert error["path"] == ["projects"]


def test_too_deep_queries_are_refused(gql):
    deep = (
        "{ projects { nodes "
        + "{ approvalResults { project " * 6
        + "{ code }"
        + " } }" * 6
        + " } }"
    )
    error = gql.errors(deep)[0]
    assert "exceeds maximum operation depth" in error["message"]


def test_aliased_fan_out_is_refused_by_cost(gql):
    fan = " ".join(
        f"a{i}: projects(first: 100) {{ nodes {{ sites {{ name }} approvalResults "
        f"{{ history {{ title }} }} }} }}"
        for i in range(40)
    )
    error = gql.errors("{ " + fan + " }")[0]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert error["extensions"]["cost"] > error["extensions"]["limit"]


def test_oversized_body_is_413(gql):
    padding = " " * 200_000
    response = httpx.post(gql.url, json={"query": "{ departments { code } }" + padding})
    assert response.status_code == 413


def test_too_many_tokens_is_a_parse_error(gql):
    query = "{ " + " ".join("departments { code }" for _ in range(2000)) + " }"
    error = gql.errors(query)[0]
    assert "token" in error["message"].lower()


async def test_suggestions_are_hidden_in_production():
    query = {"query": "{ departmnts { code } }"}
    async with in_process(settings_with(production=False)) as (client, _):
        assert "Did you mean" in (await client.post("/graphql", json=query)).text
    async with in_process(settings_with(production=True)) as (client, _):
        assert "Did you mean" not in (await client.post("/graphql", json=query)).text


def test_errors_carry_codes_and_no_stack_traces(gql):
    error = gql.errors("{ projects(bbox: [1, 2, 3]) { totalCount } }")[0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Traceback" not in str(error) and "File " not in str(error)


@pytest.mark.parametrize("payload", ["'; DROP TABLE projects; --", "%' OR '1'='1", "\\", "_"])
def test_filter_text_is_data_not_sql(gql, payload):
    data = gql.data(
        "query($t: String) { projects(filter: {text: $t}) { totalCount } }", {"t": payload}
    )
    assert data["projects"]["totalCount"] == 0
    assert gql.data("{ projects { totalCount } }")["projects"]["totalCount"] >= 30


async def test_statement_timeout_reaches_postgresql_and_is_reported():
    settings = settings_with()
    settings.registry = RegistrySettings(statement_timeout_ms=50)
    async with in_process(settings) as (client, app), app.state.db.read.connect() as conn:
        assert await conn.scalar(text("SHOW statement_timeout")) == "50ms"
        with pytest.raises(DBAPIError) as caught:
            await conn.execute(text("SELECT pg_sleep(1)"))
    assert isinstance(caught.value.orig, QueryCanceled)
    from graphql import GraphQLError

    error = format_error(GraphQLError("x", original_error=caught.value))
    assert error["extensions"]["code"] == "STATEMENT_TIMEOUT"
    assert "pg_sleep" not in error["message"]

"""Refusals are Chinese first, English beside; English alone when the client asks for it
first (Accept-Language); codes never change."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from registry.language import prefers_english


@pytest.mark.parametrize(
    "header, english",
    [
        (None, False),
        ("", False),
        ("zh-CN,zh;q=0.9,en;q=0.8", False),
        ("en-US,en;q=0.9", True),
        ("en-GB, zh;q=0.5", True),
        ("zh, en", False),  # a tie goes to Chinese
        ("fr, en;q=0.3", True),
        ("fr", False),
        ("en;q=abc, zh;q=0.1", False),  # a malformed q counts 0
    ],
)
def test_the_language_a_client_prefers(header, english):
    assert prefers_english(header) is english


@given(st.text(max_size=80))
def test_any_header_is_read_without_failing(header):
    assert prefers_english(header) in (True, False)


NUL_QUERY = {"query": '{ projects(filter: {text: "a\\u0000b"}) { totalCount } }'}


@pytest.mark.parametrize(
    "accept, starts",
    [
        (None, "字符串含有空字符"),
        ("zh-CN", "字符串含有空字符"),
        ("en-US,en", "a string contains a NUL"),
    ],
)
def test_graphql_refusals_follow_accept_language(live_server, accept, starts):
    headers = {"Accept-Language": accept} if accept else {}
    response = httpx.post(
        f"http://127.0.0.1:{live_server}/graphql", json=NUL_QUERY, headers=headers, timeout=30
    )
    (error,) = response.json()["errors"]
    assert error["message"].startswith(starts), error
    if accept is None:
        assert " · a string contains a NUL" in error["message"]  # both, Chinese first


def test_http_refusals_follow_accept_language(live_server):
    url = f"http://127.0.0.1:{live_server}/ogc/collections/projects/items?limit=1&x=%00"
    chinese = httpx.get(url, timeout=30).json()
    english = httpx.get(url, headers={"Accept-Language": "en"}, timeout=30).json()
    assert chinese["code"] == english["code"]
    assert " · " in chinese["description"] and " · " not in english["description"]
    assert chinese["description"].endswith(english["description"])

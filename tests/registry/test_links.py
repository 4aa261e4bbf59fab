"""Which links a reader may follow (registry/links.py), without a database: generated
strings are safe only when they are http(s) with a host, or a path of the register's."""

from urllib.parse import urlsplit

from hypothesis import given
from hypothesis import strategies as st

from registry.links import safe_url, shown_url

SCHEMES = ["http", "https", "HTTPS", "javascript", "JaVaScRiPt", "data", "vbscript", "file",
           "ftp", ""]  # fmt: skip


@given(st.sampled_from(SCHEMES), st.sampled_from(["//", "/", ""]),
       st.text(max_size=30))  # fmt: skip
def test_only_web_addresses_and_own_paths_are_safe(scheme, slashes, rest):
    url = f"{scheme}:{slashes}{rest}" if scheme else f"{slashes}{rest}"
    if safe_url(url):
        parts = urlsplit(url)
        assert (parts.scheme.lower() in ("http", "https") and parts.hostname) or (
            url.startswith("/") and not url.startswith("//")
        ), url
        assert not any(c.isspace() or ord(c) < 32 for c in url)
        assert shown_url(url) == url
    else:
        assert shown_url(url) is None


def test_the_classic_script_links_are_not_safe():
    for url in ["javascript:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
                "data:text/html,x", "//evil.example/x", "/\\evil.example", "https://",
                "https:///x", "http://ok.example/\n"]:  # fmt: skip
        assert not safe_url(url), url
    assert safe_url("https://www.nc.gov.cn/a.pdf") and safe_url("/documents/abc")


def test_one_private_address_check_for_webhooks_and_document_links():
    import pytest

    from registry.changes.webhooks import check_url
    from registry.errors import InvalidInput
    from registry.links import private_address

    assert private_address("127.0.0.1", 80) == "127.0.0.1"
    assert private_address("::1", 80) == "::1"
    assert private_address("8.8.8.8", 80) is None
    with pytest.raises(InvalidInput) as refused:
        check_url("http://127.0.0.1:9/hook", allow_private=False)
    assert refused.value.problems[0].code == "private_address"
    assert check_url("http://127.0.0.1:9/hook", allow_private=True) == "http://127.0.0.1:9/hook"

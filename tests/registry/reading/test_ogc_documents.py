"""A generic client walks the OGC API's OpenAPI document (schemathesis): every operation it
describes, with parameters generated from their schemas, is answered with a status and a
media type the document declares, and never a server error.

One check is left out: that every schema-valid request is accepted. A bounding box is four
numbers whose ranges differ by position (longitudes ±180, latitudes ±90), which OpenAPI 3.0
cannot say; the server refuses a latitude of 100 with a 400 the document declares."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.registry.web.test_maps import get


@pytest.fixture(scope="module")
def ogc_api(live_server, demo_data):
    url = f"http://127.0.0.1:{live_server}/ogc/api"
    assert get(url).status_code == 200
    return schemathesis.openapi.from_url(url)


@pytest.mark.generated
def test_a_generic_client_walks_the_api_definition(ogc_api):
    operations = [result.ok() for result in ogc_api.get_all_operations()]
    walked = {operation.path for operation in operations}
    assert walked == set(ogc_api.raw_schema["paths"]) - {"/ogc/api"}  # it skips its own source
    for operation in operations:

        @settings(max_examples=20, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(case=operation.as_strategy())
        def walk(case):
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        walk()

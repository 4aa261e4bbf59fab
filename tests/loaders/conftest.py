"""Loader tests build their own input files, load them into a real PostGIS, and look."""

from __future__ import annotations

import pytest

from registry import publishing as pub
from tests.registry.factories import seeded


@pytest.fixture
def registry_session(session, system):
    """Departments and one project (青山湖区, responsibilities from the catalog), committed."""
    seeded(session, system)
    pub.upsert_department(
        session,
        system,
        pub.DepartmentInput(
            "NRB",
            "自然资源局(测试)",
            "government_department",
            region_code="360100",
            roles=["natural_resources"],
        ),
    )
    session.commit()
    return session

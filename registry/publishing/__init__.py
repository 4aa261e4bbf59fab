"""The one write path. Loaders, GraphQL mutations and the demo data all call these.

    from registry import publishing
    publishing.publish_disclosure(session, actor, publishing.DisclosureInput(...))

Modules: ``inputs`` (what a write takes and gives back), ``content`` (the content rules),
``authority`` (who may do what, where), ``departments``, ``projects`` (and sites),
``responsibility``, ``batch`` (the engine that checks and writes many disclosures at once),
``disclosures`` (publish, correct, withdraw), ``audit`` and ``keys``.
"""

from registry.publishing.authority import Actor
from registry.publishing.batch import RowsRefused
from registry.publishing.departments import upsert_department
from registry.publishing.disclosures import (
    correct_disclosure,
    publish_disclosure,
    publish_disclosures,
    withdraw_disclosure,
)
from registry.publishing.inputs import (
    BatchResult,
    DepartmentInput,
    DisclosureInput,
    Outcome,
    ProjectInput,
    SiteInput,
)
from registry.publishing.projects import set_sites, upsert_project
from registry.publishing.responsibility import assign_responsibility

__all__ = [
    "Actor",
    "BatchResult",
    "DepartmentInput",
    "DisclosureInput",
    "Outcome",
    "ProjectInput",
    "RowsRefused",
    "SiteInput",
    "assign_responsibility",
    "correct_disclosure",
    "publish_disclosure",
    "publish_disclosures",
    "set_sites",
    "upsert_department",
    "upsert_project",
    "withdraw_disclosure",
]

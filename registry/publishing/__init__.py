"""The one write path. Loaders, GraphQL mutations and the demo data all call these.

    from registry import publishing
    publishing.publish_disclosure(session, actor, publishing.DisclosureInput(...))

Modules: ``inputs`` (what a write takes and gives back), ``content`` (the content rules),
``authority`` (who may do what, where), ``departments``, ``projects`` (and sites),
``responsibility``, ``scope`` (lists of major projects, designations, declarations),
``batch`` (the engine that checks and writes many disclosures at once),
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
    DeclarationInput,
    DepartmentInput,
    DisclosureInput,
    EntryInput,
    ListInput,
    Outcome,
    ProjectInput,
    SiteInput,
)
from registry.publishing.projects import set_sites, upsert_project
from registry.publishing.responsibility import assign_responsibility
from registry.publishing.scope import (
    add_to_list,
    declare,
    designate,
    remove_from_list,
    save_list,
    withdraw_declaration,
)

__all__ = [
    "Actor",
    "BatchResult",
    "DeclarationInput",
    "DepartmentInput",
    "DisclosureInput",
    "EntryInput",
    "ListInput",
    "Outcome",
    "ProjectInput",
    "RowsRefused",
    "SiteInput",
    "add_to_list",
    "assign_responsibility",
    "declare",
    "designate",
    "remove_from_list",
    "save_list",
    "withdraw_declaration",
    "correct_disclosure",
    "publish_disclosure",
    "publish_disclosures",
    "set_sites",
    "upsert_department",
    "upsert_project",
    "withdraw_disclosure",
]

"""The list and scope of major projects in GraphQL: lists and their entries, each list's
accountability, why a project is major, declarations (不涉及, 尚未形成), and the mutations
that write them through registry.publishing.scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

import graphene
from graphql import GraphQLResolveInfo
from sqlalchemy.orm import Session

from registry import publishing as pub
from registry.models import LIST_NATURES
from registry.reading import scope
from registry.reading.inputs import record_id
from schema.catalog_types import CatalogItem
from schema.mutations import UserError, run_write
from schema.scalars import CategoryKey, unwrap
from schema.types import (
    DeclarationKind,
    DeclarationType,
    Department,
    ListLevel,
    Project,
    ProjectScope,
    catalog_item,
)

ListNature = graphene.Enum(
    "ListNature", [(k.upper(), k) for k in LIST_NATURES],
    description="建设性质: 新开工 new, 续建 continuing, 预备 preparatory.",
)  # fmt: skip


class ListEntryType(graphene.ObjectType):
    class Meta:
        name = "ListEntry"

    project = graphene.Field(Project, required=True)
    row_no = graphene.String(required=True, description="序号 as the list gives it.")
    section = graphene.String(
        required=True, description="The list's section, e.g. （一）新开工项目."
    )
    nature = graphene.Field(ListNature)
    scale_content = graphene.String(required=True, description="建设规模及内容.")
    period = graphene.String(required=True, description="建设起止年限.")
    total_investment = graphene.Float(description="总投资, 万元.")
    annual_investment = graphene.Float(description="年度计划投资, 万元.")
    responsible_unit = graphene.String(required=True, description="责任单位.")
    added_on = graphene.Date(required=True)
    added_by_adjustment = graphene.Boolean(required=True, description="增补 in an adjustment.")
    removed_on = graphene.Date(description="调出: the day it left the list.")
    removed_reason = graphene.String()
    current = graphene.Boolean(required=True, description="On the list on the day asked.")

    @staticmethod
    async def resolve_project(root: Any, info: GraphQLResolveInfo) -> Any:
        return await info.context.loaders.projects.load(root["project_id"])


class MissingItem(graphene.ObjectType):
    project = graphene.String(required=True, description="Project code.")
    item = graphene.Field(CatalogItem, required=True)

    @staticmethod
    def resolve_item(root: Any, info: GraphQLResolveInfo) -> Any:
        return catalog_item(root["item"])


class ListFigures(graphene.ObjectType):
    """A list's accountability for one category and one responsible body on a day."""

    category = graphene.Field(CategoryKey, required=True)
    department = graphene.Field(Department, required=True)
    projects = graphene.Int(required=True, description="Projects on the list it answers for.")
    due = graphene.Int(required=True, description="Items due at the projects' stages.")
    published = graphene.Int(required=True)
    on_time = graphene.Int(required=True)
    late = graphene.Int(required=True)
    not_applicable = graphene.Int(required=True, description="Declared 不涉及.")
    not_yet_formed = graphene.Int(required=True, description="Declared 尚未形成.")
    missing = graphene.Int(required=True, description="Neither published nor declared.")
    missing_items = graphene.List(graphene.NonNull(MissingItem), required=True)

    @staticmethod
    def resolve_department(root: Any, info: GraphQLResolveInfo) -> Any:
        return {"code": root.department, "name": root.department_name}

    @staticmethod
    def resolve_category(root: Any, info: GraphQLResolveInfo) -> Any:
        return root.category


class ProjectListType(graphene.ObjectType):
    """A list of major projects as issued (名单): its entries and its accountability."""

    class Meta:
        name = "ProjectList"

    id = graphene.ID(required=True)
    name = graphene.String(required=True)
    level = graphene.Field(ListLevel, required=True)
    year = graphene.Int(required=True)
    region_code = graphene.String(required=True)
    issuer = graphene.Field(Department, required=True)
    doc_no = graphene.String(required=True, description="e.g. 洪发改重大〔2024〕5号")
    issued_on = graphene.Date(required=True)
    in_force_until = graphene.Date()
    in_force = graphene.Boolean(required=True, description="In force on the day asked.")
    scope_note = graphene.String(required=True)
    source_url = graphene.String()
    members = graphene.Int(required=True, description="Projects on it on the day asked.")
    is_synthetic = graphene.Boolean(required=True)
    entries = graphene.List(
        graphene.NonNull(ListEntryType),
        required=True,
        on=graphene.Date(description="The day (default today, China)."),
        removed=graphene.Boolean(default_value=True, description="Include those taken off."),
    )
    figures = graphene.List(
        graphene.NonNull(ListFigures),
        required=True,
        on=graphene.Date(description="The day (default today, China)."),
        description="Per category and responsible body: due, published, on time, late, "
        "declared, missing.",
    )

    @staticmethod
    def resolve_issuer(root: Any, info: GraphQLResolveInfo) -> Any:
        return {"code": root["issuer_code"], "name": root["issuer_name"]}

    @staticmethod
    async def resolve_entries(
        root: Any, info: GraphQLResolveInfo, on: dt.date | None = None, removed: bool = True
    ) -> Any:
        async with info.context.engine.connect() as conn:
            return await scope.entries(conn, int(root["id"]), on, removed)

    @staticmethod
    async def resolve_figures(
        root: Any, info: GraphQLResolveInfo, on: dt.date | None = None
    ) -> Any:
        async with info.context.engine.connect() as conn:
            return await scope.figures(conn, int(root["id"]), on)


class ScopeQuery(graphene.ObjectType):
    """The Query fields of lists (mixed into Query)."""

    project_lists = graphene.List(
        graphene.NonNull(ProjectListType),
        required=True,
        year=graphene.Int(),
        level=ListLevel(),
        in_force_on=graphene.Date(description="Only the lists in force that day."),
        description="The lists of major projects (名单), newest first.",
    )
    project_list = graphene.Field(ProjectListType, id=graphene.ID(required=True),
                                  on=graphene.Date())  # fmt: skip

    @staticmethod
    async def resolve_project_lists(
        root: Any, info: GraphQLResolveInfo, year: Any = None, level: Any = None,
        in_force_on: Any = None,
    ) -> Any:  # fmt: skip
        async with info.context.engine.connect() as conn:
            return await scope.lists(
                conn, in_force_on, in_force_on is not None, year, unwrap(level)
            )

    @staticmethod
    async def resolve_project_list(
        root: Any, info: GraphQLResolveInfo, id: Any, on: Any = None
    ) -> Any:
        async with info.context.engine.connect() as conn:
            return await scope.one_list(conn, record_id(id), on)


# --- mutations ---------------------------------------------------------------------------------


class ListInput(graphene.InputObjectType):
    name = graphene.String(required=True)
    level = ListLevel(required=True)
    year = graphene.Int(required=True)
    region_code = graphene.String(required=True)
    issuer = graphene.String(description="The issuing department's code (default: yours).")
    issued_on = graphene.Date(required=True)
    doc_no = graphene.String()
    in_force_until = graphene.Date()
    scope_note = graphene.String()
    source_url = graphene.String()


class EntryInput(graphene.InputObjectType):
    project_code = graphene.String(required=True)
    row_no = graphene.String()
    section = graphene.String()
    nature = ListNature()
    scale_content = graphene.String()
    period = graphene.String()
    total_investment = graphene.Float()
    annual_investment = graphene.Float()
    responsible_unit = graphene.String()
    added_on = graphene.Date()
    by_adjustment = graphene.Boolean()


class DeclarationInput(graphene.InputObjectType):
    project_code = graphene.String(required=True)
    category = CategoryKey(required=True)
    kind = DeclarationKind(required=True)
    reason = graphene.String(required=True, description="e.g. 使用存量建设用地，不涉及征收土地")
    item = graphene.String(description="A catalog item key (default: the whole category).")
    expected_stage = graphene.String()
    department = graphene.String(description="On whose behalf (administrators).")


class ScopePayload(graphene.ObjectType):
    action = graphene.String()
    id = graphene.ID(description="The list, entry, designation or declaration written.")
    user_errors = graphene.List(graphene.NonNull(UserError), required=True)


def _given(value: Any) -> dict[str, Any]:
    return {k: unwrap(v) for k, v in (value or {}).items() if v is not None}


async def _written(info: GraphQLResolveInfo, action: str, target: str, argument: str,
                   write: Any) -> ScopePayload:  # fmt: skip
    def run(session: Session, actor: Any) -> Any:
        outcome = write(session, actor)
        return outcome.action, outcome.record.id

    result, errors = await run_write(info, action, target, argument, run)
    return ScopePayload(action=result[0] if result else None,
                        id=result[1] if result else None, user_errors=errors)  # fmt: skip


class ScopeMutation(graphene.ObjectType):
    save_list = graphene.Field(ScopePayload, required=True, input=ListInput(required=True),
                               description="Register a list as issued, or change one "
                               "(重大项目 office, administrators).")  # fmt: skip
    add_to_list = graphene.Field(ScopePayload, required=True, list=graphene.ID(required=True),
                                 input=EntryInput(required=True))  # fmt: skip
    remove_from_list = graphene.Field(
        ScopePayload, required=True, list=graphene.ID(required=True),
        project_code=graphene.String(required=True), removed_on=graphene.Date(required=True),
        reason=graphene.String(required=True), description="调出, from a day, with the reason.",
    )  # fmt: skip
    designate = graphene.Field(
        ScopePayload, required=True, project_code=graphene.String(required=True),
        reason=graphene.String(required=True), from_on=graphene.Date(required=True),
        until_on=graphene.Date(), description="Declare a project major without a list (admin).",
    )  # fmt: skip
    declare = graphene.Field(ScopePayload, required=True, input=DeclarationInput(required=True),
                             description="不涉及 / 尚未形成, by the responsible body.")  # fmt: skip
    withdraw_declaration = graphene.Field(ScopePayload, required=True,
                                          id=graphene.ID(required=True),
                                          reason=graphene.String(required=True))  # fmt: skip

    @staticmethod
    async def resolve_save_list(root: Any, info: GraphQLResolveInfo, input: Any) -> Any:
        given = _given(input)
        credentials = info.context.credentials
        given.setdefault("issuer", credentials.actor.department if credentials.actor else "")
        data = pub.ListInput(**given)
        return await _written(info, "saveList", f"list:{data.name}", "input",
                              lambda s, actor: pub.save_list(s, actor, data))  # fmt: skip

    @staticmethod
    async def resolve_add_to_list(
        root: Any, info: GraphQLResolveInfo, list: Any, input: Any
    ) -> Any:
        data = pub.EntryInput(**_given(input))
        return await _written(info, "addToList", f"list:{list}:{data.project_code}", "input",
                              lambda s, actor: pub.add_to_list(s, actor, record_id(list, "list"), data))  # fmt: skip

    @staticmethod
    async def resolve_remove_from_list(root: Any, info: GraphQLResolveInfo, list: Any,
                                       project_code: Any, removed_on: Any, reason: Any) -> Any:  # fmt: skip
        return await _written(
            info, "removeFromList", f"list:{list}:{project_code}", "",
            lambda s, actor: pub.remove_from_list(s, actor, record_id(list, "list"), project_code,
                                                  removed_on, reason),
        )  # fmt: skip

    @staticmethod
    async def resolve_designate(root: Any, info: GraphQLResolveInfo, project_code: Any,
                                reason: Any, from_on: Any, until_on: Any = None) -> Any:  # fmt: skip
        return await _written(info, "designate", f"project:{project_code}", "",
                              lambda s, actor: pub.designate(s, actor, project_code, reason,
                                                             from_on, until_on))  # fmt: skip

    @staticmethod
    async def resolve_declare(root: Any, info: GraphQLResolveInfo, input: Any) -> Any:
        data = pub.DeclarationInput(**_given(input))
        return await _written(info, "declare", f"project:{data.project_code}:{data.category}",
                              "input", lambda s, actor: pub.declare(s, actor, data))  # fmt: skip

    @staticmethod
    async def resolve_withdraw_declaration(root: Any, info: GraphQLResolveInfo, id: Any,
                                           reason: Any) -> Any:  # fmt: skip
        return await _written(info, "withdrawDeclaration", f"declaration:{id}", "",
                              lambda s, actor: pub.withdraw_declaration(
                                  s, actor, record_id(id), reason))  # fmt: skip


TYPES = [ProjectListType, ListEntryType, ListFigures, DeclarationType, ProjectScope]

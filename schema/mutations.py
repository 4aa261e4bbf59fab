"""Mutations: department publishing through the same functions as the loaders.

Each runs the registry write in a worker thread on its own transaction and returns either
its result or `userErrors` (path, code, message): a refusal writes nothing and is audited,
including calls without a valid key.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import anyio.to_thread
import graphene
from graphql import GraphQLResolveInfo
from sqlalchemy.orm import Session

from registry import publishing as pub
from registry.catalog import get_catalog
from registry.errors import RegistryError, Unauthenticated
from registry.identifiers import digits
from registry.language import N_, say, shown
from registry.publishing.audit import record_refusal
from registry.reading import disclosures, queries
from schema.catalog_types import graphql_field_name
from schema.scalars import JSON, CategoryKey, GeoJSON, ProjectStatus, ProjectType, unwrap
from schema.types import Department, Disclosure, Project

KEY_PROBLEMS = {
    "missing": N_("this needs a department key: Authorization: Bearer mpr_…"),
    "malformed": N_("the Authorization header is not a key of this registry"),
    "unknown": N_("this key is not known"),
    "revoked": N_("this key has been revoked"),
}


class UserError(graphene.ObjectType):
    """Why a mutation was refused: where in the input, which rule, in words."""

    path = graphene.List(graphene.NonNull(graphene.String), required=True)
    code = graphene.String(required=True)
    message = graphene.String(required=True)


def _camel(segment: str) -> str:
    return (
        graphql_field_name(segment)
        if "_" in segment and not segment.startswith("elements")
        else segment
    )


def user_errors(error: RegistryError, argument: str) -> list[UserError]:
    errors = []
    for problem in error.problems:
        parts = [p for p in re.split(r"[.\[\]]+", problem.path) if p]
        if parts and parts[0] != "elements":
            parts[0] = _camel(parts[0])
        path = [part for part in (argument, *parts) if part]
        code = error.code if problem.code in ("", None) else problem.code
        errors.append(UserError(path=path, code=code, message=shown(problem.message)))
    return errors


async def run_write(
    info: GraphQLResolveInfo, action: str, target: str, argument: str, write: Any
) -> Any:
    """Run ``write(session, actor)`` for the caller, or return the refusal as user errors."""
    context = info.context
    credentials = context.credentials
    path = f"mutation:{action}"

    def work() -> Any:
        with context.database.session() as session:
            if credentials.actor is None:
                error = Unauthenticated.one(
                    "",
                    "unauthenticated",
                    say(KEY_PROBLEMS[credentials.problem or "missing"]),
                )
                record_refusal(session, credentials.name, action, target, error, path=path)
                raise error
            return write(session, dataclasses.replace(credentials.actor, path=path))

    try:
        return await anyio.to_thread.run_sync(work), []
    except RegistryError as error:
        return None, user_errors(error, argument)


# --- inputs --------------------------------------------------------------------------


class SiteInput(graphene.InputObjectType):
    name = graphene.String()
    kind = graphene.String()
    geometry = GeoJSON(required=True)
    crs = graphene.String(description="EPSG code, gcj02 or bd09 (default 4326).")


class ProjectInput(graphene.InputObjectType):
    """A project to register, or the fields to change of a registered one: fields left out
    keep their values; null clears an optional one. A new project needs name, projectType
    and regionCode."""

    code = graphene.String(required=True)
    name = graphene.String()
    project_type = ProjectType()
    region_code = graphene.String()
    industry = graphene.String()
    description = graphene.String()
    owner = graphene.String()
    owner_department = graphene.String()
    investment = graphene.Float()
    status = ProjectStatus()
    approved_on = graphene.Date()
    started_on = graphene.Date()
    completed_on = graphene.Date()
    sites = graphene.List(graphene.NonNull(SiteInput), description="Replaces all sites when given.")


class DocumentInput(graphene.InputObjectType):
    title = graphene.String(required=True)
    url = graphene.String(required=True)


class DisclosureInput(graphene.InputObjectType):
    project_code = graphene.String(required=True)
    item = graphene.String(required=True, description="Catalog item key, e.g. tender_notice.")
    formed_on = graphene.Date(required=True)
    elements = JSON(
        required=True,
        description="Content elements by key (approval_doc_no) or field name (approvalDocNo).",
    )
    title = graphene.String()
    ref = graphene.String()
    documents = graphene.List(graphene.NonNull(DocumentInput))
    geometry = GeoJSON()
    crs = graphene.String()
    draft = graphene.Boolean(description="Keep it unpublished (visible to your department only).")


class DepartmentInput(graphene.InputObjectType):
    code = graphene.String(required=True)
    name = graphene.String(required=True)
    kind = graphene.String(required=True)
    uscc = graphene.String()
    region_code = graphene.String()
    roles = graphene.List(graphene.NonNull(graphene.String))
    name_en = graphene.String()


def _elements(raw: Any) -> dict:
    by_field = {graphql_field_name(k): k for k in get_catalog().elements}
    return {by_field.get(k, k): v for k, v in (raw or {}).items()} if isinstance(raw, dict) else raw


# --- payloads ------------------------------------------------------------------------


def _payload(name: str, field: str, field_type: Any) -> type[graphene.ObjectType]:
    return type(
        name,
        (graphene.ObjectType,),
        {
            field: graphene.Field(field_type),
            "action": graphene.String(
                description="added, updated, revised, withdrawn or unchanged"
            ),
            "user_errors": graphene.List(graphene.NonNull(UserError), required=True),
            "warnings": graphene.List(
                graphene.NonNull(graphene.String),
                required=True,
                description="What the registry did that you may not expect (e.g. heights "
                "dropped from a geometry).",
            ),
            "resolve_warnings": staticmethod(lambda root, info: root.warnings or []),
        },
    )


DisclosurePayload = _payload("DisclosurePayload", "disclosure", Disclosure)
ProjectPayload = _payload("ProjectPayload", "project", Project)
DepartmentPayload = _payload("DepartmentPayload", "department", Department)


async def _disclosure(info: GraphQLResolveInfo, disclosure_id: Any) -> Any:
    async with info.context.engine.connect() as conn:
        return await disclosures.disclosure_written(conn, disclosure_id)


async def _project(info: GraphQLResolveInfo, code: Any) -> Any:
    async with info.context.engine.connect() as conn:
        return (await queries.projects_by_codes(conn, [code])).get(code)


def _disclosure_input(data: Any) -> pub.DisclosureInput:
    return pub.DisclosureInput(
        project_code=data.project_code,
        item=data.item,
        formed_on=data.formed_on,
        elements=_elements(data.elements),
        title=data.title,
        ref=data.ref or "",
        documents=[dict(d) for d in data.documents or []],
        geometry=data.geometry,
        crs=data.crs or 4326,
        draft=bool(data.draft),
    )


class Mutation(graphene.ObjectType):
    publish_disclosure = graphene.Field(
        DisclosurePayload,
        required=True,
        input=DisclosureInput(required=True),
        description="Publish an item as your department.",
    )
    correct_disclosure = graphene.Field(
        DisclosurePayload,
        required=True,
        id=graphene.ID(required=True),
        reason=graphene.String(required=True),
        title=graphene.String(),
        elements=JSON(),
        formed_on=graphene.Date(),
        documents=graphene.List(graphene.NonNull(DocumentInput)),
        geometry=GeoJSON(),
        crs=graphene.String(),
        description="A new revision of a current disclosure; the reason is kept in its history.",
    )
    withdraw_disclosure = graphene.Field(
        DisclosurePayload,
        required=True,
        id=graphene.ID(required=True),
        reason=graphene.String(required=True),
    )
    upsert_project = graphene.Field(
        ProjectPayload,
        required=True,
        input=ProjectInput(required=True),
        description="Register or update a project (发改/审批 departments, admin).",
    )
    assign_responsibility = graphene.Field(
        ProjectPayload,
        required=True,
        project_code=graphene.String(required=True),
        category=CategoryKey(required=True),
        department=graphene.String(required=True),
        items=graphene.List(graphene.NonNull(graphene.String)),
        description="Make a department responsible for a category or some of its items (admin).",
    )
    upsert_department = graphene.Field(
        DepartmentPayload,
        required=True,
        input=DepartmentInput(required=True),
        description="(admin)",
    )

    @staticmethod
    async def resolve_publish_disclosure(root: Any, info: GraphQLResolveInfo, input: Any) -> Any:
        data = _disclosure_input(input)

        def write(session: Session, actor: Any) -> Any:
            outcome = pub.publish_disclosure(session, actor, data)
            return outcome.action, outcome.record.id, outcome.warnings

        result, errors = await run_write(
            info,
            "publishDisclosure",
            f"project:{data.project_code}/{data.item}/{data.ref or '-'}",
            "input",
            write,
        )
        return DisclosurePayload(
            disclosure=await _disclosure(info, result[1]) if result else None,
            action=result[0] if result else None,
            warnings=result[2] if result else [],
            user_errors=errors,
        )

    @staticmethod
    async def resolve_correct_disclosure(
        root: Any,
        info: GraphQLResolveInfo,
        id: Any,
        reason: Any,
        title: Any = None,
        elements: Any = None,
        formed_on: Any = None,
        documents: Any = None,
        geometry: Any = None,
        crs: Any = None,
    ) -> Any:
        def write(session: Session, actor: Any) -> Any:
            outcome = pub.correct_disclosure(
                session,
                actor,
                int(id),
                reason,
                title=title,
                elements=_elements(elements),
                formed_on=formed_on,
                documents=[dict(d) for d in documents] if documents else None,
                geometry=geometry,
                crs=crs or 4326,
            )
            return outcome.action, outcome.record.id, outcome.warnings

        result, errors = await run_write(
            info, "correctDisclosure", f"disclosure:{id}", "", _checked_id(id, write)
        )
        return DisclosurePayload(
            disclosure=await _disclosure(info, result[1]) if result else None,
            action=result[0] if result else None,
            warnings=result[2] if result else [],
            user_errors=errors,
        )

    @staticmethod
    async def resolve_withdraw_disclosure(
        root: Any, info: GraphQLResolveInfo, id: Any, reason: Any
    ) -> Any:
        def write(session: Session, actor: Any) -> Any:
            outcome = pub.withdraw_disclosure(session, actor, int(id), reason)
            return outcome.action, outcome.record.id, outcome.warnings

        result, errors = await run_write(
            info, "withdrawDisclosure", f"disclosure:{id}", "", _checked_id(id, write)
        )
        return DisclosurePayload(
            disclosure=await _disclosure(info, result[1]) if result else None,
            action=result[0] if result else None,
            warnings=result[2] if result else [],
            user_errors=errors,
        )

    @staticmethod
    async def resolve_upsert_project(root: Any, info: GraphQLResolveInfo, input: Any) -> Any:
        given = {
            name: unwrap(value)
            for name, value in input.items()
            if name not in ("code", "sites")  # the dict holds only the fields sent
        }
        data = pub.ProjectInput(
            code=input.code,
            sites=None
            if input.get("sites") is None
            else [pub.SiteInput(s.geometry, s.name, s.kind, s.crs or 4326) for s in input.sites],
            **given,
        )
        outcome, errors = await run_write(
            info,
            "upsertProject",
            f"project:{data.code}",
            "input",
            lambda s, actor: pub.upsert_project(s, actor, data),
        )
        return ProjectPayload(
            project=await _project(info, data.code) if outcome else None,
            action=outcome.action if outcome else None,
            warnings=outcome.warnings if outcome else [],
            user_errors=errors,
        )

    @staticmethod
    async def resolve_assign_responsibility(
        root: Any,
        info: GraphQLResolveInfo,
        project_code: Any,
        category: Any,
        department: Any,
        items: Any = None,
    ) -> Any:
        category = unwrap(category)
        action, errors = await run_write(
            info,
            "assignResponsibility",
            f"project:{project_code}/{category}",
            "",
            lambda s, actor: (
                pub.assign_responsibility(
                    s, actor, project_code, category, department, items
                ).action
            ),
        )
        return ProjectPayload(
            project=await _project(info, project_code) if action else None,
            action=action,
            user_errors=errors,
        )

    @staticmethod
    async def resolve_upsert_department(root: Any, info: GraphQLResolveInfo, input: Any) -> Any:
        data = pub.DepartmentInput(
            code=input.code,
            name=input.name,
            kind=input.kind,
            uscc=input.uscc,
            region_code=input.region_code,
            roles=list(input.roles or []),
            name_en=input.name_en,
        )
        action, errors = await run_write(
            info,
            "upsertDepartment",
            f"department:{data.code}",
            "input",
            lambda s, actor: pub.upsert_department(s, actor, data).action,
        )
        department = None
        if action:
            async with info.context.engine.connect() as conn:
                department = next(iter(await queries.departments(conn, data.code)), None)
        return DepartmentPayload(department=department, action=action, user_errors=errors)


def _checked_id(id: Any, write: Any) -> Any:
    from registry.errors import InvalidInput

    def checked(session: Session, actor: Any) -> Any:
        if not digits(str(id)):
            raise InvalidInput.one("id", "invalid_id", say("{id!r} is not a disclosure id", id=id))
        return write(session, actor)

    return checked

"""The catalog as GraphQL types (what each category, item and element is)."""

from __future__ import annotations

from typing import Any

import graphene

from registry.catalog import Catalog, Category, get_catalog
from schema.scalars import CategoryKey


def graphql_field_name(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.capitalize() for part in rest)


class CatalogElement(graphene.ObjectType):
    key = graphene.String(required=True)
    graphql_field = graphene.String(required=True, description="The field on the disclosure type.")
    name_zh = graphene.String(required=True)
    name_en = graphene.String(required=True)
    type = graphene.String(required=True, description="text, date, amount (万元) or phone.")
    required = graphene.Boolean(required=True)

    @staticmethod
    def from_item_element(ie: Any) -> Any:
        e = ie.element
        return CatalogElement(
            key=e.key,
            graphql_field=graphql_field_name(e.key),
            name_zh=e.name_zh,
            name_en=e.name_en,
            type=e.type,
            required=ie.required,
        )


class TimeLimit(graphene.ObjectType):
    kind = graphene.String(required=True, description="working_days, realtime, prompt or on_event.")
    days = graphene.Int(description="Working days, for kind working_days.")
    start = graphene.String(description="What the counting starts from.")
    event = graphene.String()
    description_zh = graphene.String(required=True)


class CatalogItem(graphene.ObjectType):
    key = graphene.String(required=True)
    category = graphene.Field(CategoryKey, required=True)
    name_zh = graphene.String(required=True)
    name_en = graphene.String(required=True)
    elements = graphene.List(graphene.NonNull(CatalogElement), required=True)
    time_limit = graphene.Field(TimeLimit, required=True)
    decision = graphene.String(
        description="licensing or penalty: 7 working days from the decision."
    )
    publisher_role = graphene.String(required=True)
    audience = graphene.String(required=True)
    mode = graphene.String(required=True)
    is_public = graphene.Boolean(required=True, description="Shown in this public API.")
    confidence = graphene.String(required=True)

    @staticmethod
    def from_item(item: Any) -> Any:
        limit = item.time_limit
        return CatalogItem(
            key=item.key,
            category=item.category.value,
            name_zh=item.name_zh,
            name_en=item.name_en,
            elements=[CatalogElement.from_item_element(ie) for ie in item.elements],
            time_limit=TimeLimit(
                kind=limit.kind,
                days=limit.days,
                start=limit.start,
                event=limit.event,
                description_zh=limit.describe_zh(),
            ),
            decision=item.decision,
            publisher_role=item.publisher_role,
            audience=item.audience,
            mode=item.mode,
            is_public=item.is_public,
            confidence=item.confidence,
        )


class CatalogCategory(graphene.ObjectType):
    key = graphene.Field(CategoryKey, required=True)
    name_zh = graphene.String(required=True)
    name_en = graphene.String(required=True)
    default_publisher_zh = graphene.String(required=True)
    items = graphene.List(graphene.NonNull(CatalogItem), required=True)


def catalog_categories(catalog: Catalog | None = None) -> list[CatalogCategory]:
    catalog = catalog or get_catalog()
    return [
        CatalogCategory(
            key=e.category.value,
            name_zh=e.name_zh,
            name_en=e.name_en,
            default_publisher_zh=e.default_publisher_zh,
            items=[CatalogItem.from_item(i) for i in e.items],
        )
        for e in catalog.categories
    ]


def category_type_name(category: Category) -> str:
    return "".join(part.capitalize() for part in category.value.split("_")) + "Disclosure"

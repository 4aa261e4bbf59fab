"""The SDL in schema/schema.graphql is what the code serves."""

from pathlib import Path

from graphql import print_schema

from schema import build_schema

SDL = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"


def test_exported_schema_is_in_sync():
    assert SDL.read_text(encoding="utf-8") == print_schema(build_schema().graphql_schema) + "\n", (
        "schema/schema.graphql is stale: run `registry schema export -o schema/schema.graphql`"
    )


def test_category_types_are_generated_from_the_catalog():
    from registry.catalog import Category, get_catalog
    from schema.catalog_types import category_type_name, graphql_field_name

    schema = build_schema().graphql_schema
    for category in Category:
        fields = schema.get_type(category_type_name(category)).fields
        for element in get_catalog().elements_of(category):
            assert graphql_field_name(element.key) in fields

"""The disclosure catalog as data: its model (items, content elements, time limits), the
eight fixed categories, and its Markdown rendering for the docs."""

from registry.catalog.categories import Category
from registry.catalog.model import (
    SHIPPED_CATALOG,
    Catalog,
    CategoryEntry,
    Element,
    Item,
    ItemElement,
    TimeLimit,
    get_catalog,
    load_catalog,
)

__all__ = [
    "SHIPPED_CATALOG",
    "Catalog",
    "Category",
    "CategoryEntry",
    "Element",
    "Item",
    "ItemElement",
    "TimeLimit",
    "get_catalog",
    "load_catalog",
]

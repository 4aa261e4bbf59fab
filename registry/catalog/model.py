"""The disclosure catalog: items and content elements of each category, loaded from data.

The catalog ships as ``registry/data/catalog.yaml``; a deployment may point
``REGISTRY_CATALOG_PATH`` at its own extended copy. It is validated when loaded (at
start-up), so an inconsistent catalog stops the service instead of surfacing later.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from registry.catalog.categories import Category
from registry.errors import CatalogError, Problem
from registry.language import Phrase, say

SHIPPED_CATALOG = Path(__file__).parents[1] / "data" / "catalog.yaml"

ElementType = Literal["text", "date", "amount", "phone"]
Audience = Literal["public", "specific_groups"]
Mode = Literal["proactive", "on_request"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Named(_Frozen):
    name_zh: str
    name_en: str

    @property
    def phrase(self) -> Phrase:
        """The name in both languages, for a message."""
        return Phrase(self.name_zh, self.name_en)


class Role(_Named):
    key: str
    name_zh: str
    name_en: str
    fallback: str | None = None


class Element(_Named):
    """One content element (公开内容要素): the single definition used everywhere."""

    key: str
    name_zh: str
    name_en: str
    type: ElementType = "text"
    past: bool = False
    signed: bool = False
    code: bool = False
    example: str | None = None
    meaning_zh: str | None = None  # one line: what the element says, for clerks and readers


class TimeLimit(_Frozen):
    kind: Literal["working_days", "realtime", "prompt", "on_event"]
    days: int | None = Field(default=None, gt=0)
    start: (
        Literal["formed", "decision", "survey_completed", "approval_received", "audit_completed"]
        | None
    ) = Field(default=None, alias="from")
    event: str | None = None

    @model_validator(mode="after")
    def _days_iff_working_days(self) -> TimeLimit:
        if (self.kind == "working_days") != (self.days is not None):
            raise ValueError("'days' is required for, and only for, kind working_days")
        return self

    def describe_zh(self) -> str:
        if self.kind == "working_days":
            return f"{self.days}个工作日内"
        return {"realtime": "实时公开", "prompt": "及时公开"}.get(self.kind, self.event or "")


class ItemElement(_Frozen):
    element: Element
    required: bool


class Item(_Named):
    key: str
    category: Category
    name_zh: str
    name_en: str
    elements: tuple[ItemElement, ...]
    time_limit: TimeLimit
    decision: Literal["licensing", "penalty"] | None = None
    publisher_role: str
    audience: Audience
    specific_group_zh: str | None = None
    mode: Mode
    confidence: Literal["confirmed", "partial", "unconfirmed"]
    note: str | None = None

    @property
    def is_public(self) -> bool:
        """Shown in the public API: meant for everyone and published proactively."""
        return self.audience == "public" and self.mode == "proactive"

    def element(self, key: str) -> ItemElement | None:
        return next((e for e in self.elements if e.element.key == key), None)


class CategoryEntry(_Named):
    category: Category
    name_zh: str
    name_en: str
    default_publisher_zh: str
    items: tuple[Item, ...]
    channels: tuple[str, ...] = ()  # 公开渠道和载体, keys of Catalog.channels
    basis: tuple[str, ...] = ()  # 公开依据 beyond the default, keys of Catalog.legal_basis


class Catalog(_Frozen):
    version: int
    source: str
    roles: dict[str, Role]
    registrar_roles: tuple[str, ...] = ()
    list_roles: tuple[str, ...] = ()  # who issues the lists of major projects
    legal_basis: dict[str, str] = Field(default_factory=dict)
    default_basis: tuple[str, ...] = ()
    channels: dict[str, str] = Field(default_factory=dict)
    elements: dict[str, Element]
    categories: tuple[CategoryEntry, ...]
    expected_by_status: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    expected_approvals: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    _by_key: dict[str, Item] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any) -> None:
        self._by_key = {item.key: item for c in self.categories for item in c.items}

    def item(self, key: str) -> Item | None:
        return self._items().get(key)

    def known_item(self, key: str) -> Item:
        """The item of a key that has been checked already (stored disclosures, the
        catalog's own references); KeyError for any other."""
        return self._items()[key]

    def items(self) -> tuple[Item, ...]:
        return tuple(self._items().values())

    def _items(self) -> dict[str, Item]:
        # straight to the dict: pydantic's private-attribute lookup costs ~6 µs a call,
        # and loaders ask once per row
        return self.__pydantic_private__["_by_key"]  # type: ignore[index]

    def category(self, category: Category | str) -> CategoryEntry:
        return next(c for c in self.categories if c.category == category)

    def category_name_zh(self, category: Category | str) -> str:
        """The Chinese name of a category, as the catalog gives it (批准服务信息...)."""
        return self.category(category).name_zh

    def basis_of(self, item: Item) -> tuple[str, ...]:
        """公开依据 of an item: the default documents and its category's own."""
        keys = (*self.default_basis, *self.category(item.category).basis)
        return tuple(self.legal_basis[k] for k in dict.fromkeys(keys))

    def channels_of(self, item: Item) -> tuple[str, ...]:
        """公开渠道和载体 of an item (its category's), by name."""
        return tuple(self.channels[k] for k in self.category(item.category).channels)

    def elements_of(self, category: Category) -> tuple[Element, ...]:
        """Every element used by an item of the category, in catalog order, once each."""
        seen: dict[str, Element] = {}
        for item in self.category(category).items:
            for ie in item.elements:
                seen.setdefault(ie.element.key, ie.element)
        return tuple(seen.values())


def _checked(model: Any, path: str, problems: list[Problem], **values: Any) -> Any:
    """``model(**values)``, or None with its validation errors added under ``path``."""
    try:
        return model(**values)
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join([path, *map(str, error["loc"])])
            problems.append(Problem(where, "catalog_schema", error["msg"]))
        return None


def _build(raw: dict) -> Catalog:
    """Turn the YAML shape (elements referred to by key) into the resolved model."""
    problems: list[Problem] = []
    roles = {
        k: _checked(Role, f"roles.{k}", problems, key=k, **v)
        for k, v in (raw.get("roles") or {}).items()
    }
    elements = {
        k: _checked(Element, f"elements.{k}", problems, key=k, **v)
        for k, v in (raw.get("elements") or {}).items()
    }
    raw_categories = raw.get("categories") or []

    keys = [c.get("key") for c in raw_categories]
    if sorted(map(str, keys)) != sorted(c.value for c in Category):
        problems.append(
            Problem(
                "categories",
                "categories_fixed",
                say(
                    "the catalog must define exactly the eight categories {expected}, found "
                    "{found}",
                    expected=[c.value for c in Category],
                    found=keys,
                ),
            )
        )
        raise CatalogError(problems)

    item_keys: set[str] = set()
    categories = []
    for c_index, raw_cat in enumerate(raw_categories):
        category = Category(raw_cat["key"])
        items = []
        for i_index, raw_item in enumerate(raw_cat.get("items") or []):
            path = f"categories[{c_index}].items[{i_index}]"
            items.append(_build_item(raw_item, category, path, elements, roles, problems))
            if raw_item.get("key") in item_keys:
                problems.append(
                    Problem(
                        f"{path}.key",
                        "duplicate_item",
                        say("item key {key!r} is used twice", key=raw_item.get("key")),
                    )
                )
            item_keys.add(raw_item.get("key"))
        if not items:
            problems.append(
                Problem(
                    f"categories[{c_index}]",
                    "empty_category",
                    say("category {category} has no items", category=category.value),
                )
            )
        for field_name, known in (("channels", raw.get("channels") or {}),
                                  ("basis", raw.get("legal_basis") or {})):  # fmt: skip
            problems += [
                Problem(f"categories[{c_index}].{field_name}", f"unknown_{field_name}",
                        say("{key!r} is not defined at the top of the catalog", key=key))
                for key in raw_cat.get(field_name) or () if key not in known
            ]  # fmt: skip
        categories.append(
            CategoryEntry(
                category=category,
                name_zh=raw_cat["name_zh"],
                name_en=raw_cat["name_en"],
                default_publisher_zh=raw_cat["default_publisher_zh"],
                items=tuple(i for i in items if i is not None),
                channels=tuple(raw_cat.get("channels") or ()),
                basis=tuple(raw_cat.get("basis") or ()),
            )
        )
    expected = {k: tuple(v) for k, v in (raw.get("expected_by_status") or {}).items()}
    approvals = {k: tuple(v) for k, v in (raw.get("expected_approvals") or {}).items()}
    for section, table in (("expected_by_status", expected), ("expected_approvals", approvals)):
        for key, listed in table.items():
            problems += [
                Problem(
                    f"{section}.{key}",
                    "unknown_item",
                    say("{item!r} is not a catalog item (see `registry catalog show`)", item=entry),
                )
                for entry in listed
                if entry not in item_keys
            ]
    registrar_roles = tuple(raw.get("registrar_roles") or ())
    list_roles = tuple(raw.get("list_roles") or ())
    problems += [
        Problem(section, "unknown_role", role_undefined(role))
        for section, listed in (("registrar_roles", registrar_roles), ("list_roles", list_roles))
        for role in listed
        if role not in roles
    ]
    default_basis = tuple(raw.get("default_basis") or ())
    problems += [
        Problem("default_basis", "unknown_basis",
                say("{key!r} is not defined at the top of the catalog", key=key))
        for key in default_basis if key not in (raw.get("legal_basis") or {})
    ]  # fmt: skip
    problems += [
        Problem(f"roles.{key}.fallback", "unknown_role", role_undefined(r.fallback))
        for key, r in roles.items()
        if r is not None and r.fallback is not None and r.fallback not in roles
    ]
    if problems:
        raise CatalogError(problems)
    return Catalog(
        version=raw["version"],
        source=raw.get("source", ""),
        roles=roles,
        registrar_roles=registrar_roles,
        list_roles=list_roles,
        legal_basis=raw.get("legal_basis") or {},
        default_basis=default_basis,
        channels=raw.get("channels") or {},
        elements=elements,
        categories=tuple(categories),
        expected_by_status=expected,
        expected_approvals=approvals,
    )


def role_undefined(role: object) -> str:
    return say("role {role!r} is not defined under 'roles'", role=role)


def _build_item(
    raw: dict,
    category: Category,
    path: str,
    elements: dict[str, Element | None],
    roles: dict[str, Role | None],
    problems: list[Problem],
) -> Item | None:
    raw = dict(raw)
    element_keys = raw.pop("elements", None) or []
    optional = set(raw.pop("optional", None) or [])
    before = len(problems)
    if not element_keys:
        problems.append(Problem(f"{path}.elements", "no_elements", say("an item needs elements")))
    for key in element_keys:
        if key not in elements:
            problems.append(
                Problem(
                    f"{path}.elements",
                    "unknown_element",
                    say("element {key!r} is not defined under 'elements'", key=key),
                )
            )
    for key in optional - set(element_keys):
        problems.append(
            Problem(
                f"{path}.optional",
                "unknown_element",
                say("optional element {key!r} is not among the item's elements", key=key),
            )
        )
    if raw.get("publisher_role") not in roles:
        problems.append(
            Problem(
                f"{path}.publisher_role",
                "unknown_role",
                role_undefined(raw.get("publisher_role")),
            )
        )
    if len(problems) > before or any(elements[k] is None for k in element_keys):
        return None
    resolved = tuple(
        ItemElement(element=element, required=k not in optional)
        for k in element_keys
        if (element := elements[k]) is not None
    )
    return _checked(Item, path, problems, category=category, elements=resolved, **raw)


def load_catalog(path: Path | str = SHIPPED_CATALOG) -> Catalog:
    """Read and validate a catalog file; raises CatalogError naming every problem."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return _build(raw)
    except ValidationError as exc:
        raise CatalogError(
            [
                Problem(".".join(map(str, e["loc"])), "catalog_schema", e["msg"])
                for e in exc.errors()
            ]
        ) from exc
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise CatalogError.one(str(path), "catalog_unreadable", str(exc)) from exc


@cache
def get_catalog() -> Catalog:
    """The catalog this process serves (the shipped one unless settings name another)."""
    from registry.settings import get_settings

    return load_catalog(get_settings().catalog_path or SHIPPED_CATALOG)

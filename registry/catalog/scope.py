"""The scope rules (重大建设项目范围) as data beside the catalog: a project that meets one is
major from the day it is registered, whatever the lists say (``registry/data/scope.yaml``,
or a deployment's own file named by ``REGISTRY_SCOPE_PATH``)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from registry.errors import CatalogError, Problem
from registry.language import say

SHIPPED_SCOPE = Path(__file__).parents[1] / "data" / "scope.yaml"


class ScopeRule(BaseModel):
    """Projects of these types and industries (any, when not given) with at least this
    total investment (万元; any, when not given)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    name_zh: str
    name_en: str
    project_types: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    min_investment: float | None = None


def load_scope_rules(path: Path | str = SHIPPED_SCOPE) -> tuple[ScopeRule, ...]:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        rules = tuple(ScopeRule(**rule) for rule in raw.get("rules") or ())
    except ValidationError as exc:
        raise CatalogError(
            [Problem(".".join(map(str, e["loc"])), "scope_schema", e["msg"]) for e in exc.errors()]
        ) from exc
    except (OSError, yaml.YAMLError, TypeError, AttributeError) as exc:
        raise CatalogError.one(str(path), "scope_unreadable", str(exc)) from exc
    if len({r.key for r in rules}) != len(rules):
        raise CatalogError.one(
            str(path), "duplicate_rule", say("two scope rules have the same key")
        )
    return rules


@cache
def get_scope_rules() -> tuple[ScopeRule, ...]:
    from registry.settings import get_settings

    return load_scope_rules(get_settings().registry.scope_path or SHIPPED_SCOPE)

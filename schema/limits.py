"""Query cost: an estimate of how many objects a query may touch, checked before execution.

Each field costs its multiplier (1 at the root). Connections (fields with `first`)
multiply their children by `first` (the default page size when absent or a variable
without a value), and the `edges`/`nodes` lists of a connection add nothing more; other
lists multiply by ``LIST_FANOUT``, a generous mean (a project has a handful of items per
category). Aliases count separately, so a
fan-out of aliased `projects(first: 100)` adds up.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLList,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
)

LIST_FANOUT = 5


def _first(node: FieldNode, variables: dict[str, Any], default: int) -> int | None:
    for argument in node.arguments or ():
        if argument.name.value == "first":
            value = argument.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                found = variables.get(value.name.value)
                return found if isinstance(found, int) else default
    return None


def estimate_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
    default_page: int,
) -> int:
    root = schema.get_root_type(operation.operation)

    def walk(selection_set: Any, parent: Any, multiplier: int, seen: frozenset) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                field = (
                    parent.fields.get(selection.name.value)
                    if parent is not None and hasattr(parent, "fields")
                    else None
                )
                total += multiplier
                if selection.selection_set is None:
                    continue
                child = multiplier
                first = _first(selection, variables, default_page)
                field_type = get_nullable_type(field.type) if field else None
                in_connection = parent is not None and parent.name.endswith("Connection")
                if first is not None:
                    child *= max(first, 1)
                elif isinstance(field_type, GraphQLList) and not in_connection:
                    child *= LIST_FANOUT
                named = get_named_type(field.type) if field else None
                total += walk(selection.selection_set, named, child, seen)
            elif isinstance(selection, InlineFragmentNode):
                named = (
                    schema.get_type(selection.type_condition.name.value)
                    if selection.type_condition
                    else parent
                )
                total += walk(selection.selection_set, named, multiplier, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is None or name in seen:
                    continue
                named = schema.get_type(fragment.type_condition.name.value)
                total += walk(fragment.selection_set, named, multiplier, seen | {name})
        return total

    return walk(operation.selection_set, root, 1, frozenset())

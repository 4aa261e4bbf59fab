"""The same GraphQL request in its two forms: arguments written in the query (literals), or
passed as variables, as every GraphQL client does. The two must mean the same."""

from __future__ import annotations

import json
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    GraphQLSchema,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    TypeInfo,
    TypeInfoVisitor,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    parse,
    parse_type,
    print_ast,
    value_from_ast_untyped,
    visit,
)


class _Lift(Visitor):
    """Replace each literal argument by a variable of the argument's own type."""

    def __init__(self, info: TypeInfo) -> None:
        super().__init__()
        self.info = info
        self.variables: dict[str, Any] = {}
        self.definitions: list[VariableDefinitionNode] = []
        self.names: dict[tuple[str, str], str] = {}

    def enter_argument(self, node: ArgumentNode, *_args):
        argument = self.info.get_argument()
        if argument is None or isinstance(node.value, VariableNode):
            return None
        value = value_from_ast_untyped(node.value, self.variables)
        # the same argument with the same value is one variable, so repeated fields that
        # graphql-core merges stay mergeable
        key = (str(argument.type), json.dumps(value, sort_keys=True, ensure_ascii=False))
        name = self.names.get(key)
        if name is None:
            name = self.names[key] = f"v{len(self.definitions)}"
            self.variables[name] = value
            type_node = parse_type(str(argument.type))
            self.definitions.append(
                VariableDefinitionNode(
                    variable=VariableNode(name=NameNode(value=name)), type=type_node
                )  # fmt: skip
            )
        return ArgumentNode(name=node.name, value=VariableNode(name=NameNode(value=name)))


def variable_form(schema: GraphQLSchema, query: str) -> tuple[str, dict[str, Any]]:
    """``query`` with every literal argument turned into a variable, and the variables.

    Only the first operation is rewritten; fragments keep their literals (a fragment may be
    spread in places where a variable is not defined)."""
    document: DocumentNode = parse(query)
    info = TypeInfo(schema)
    lift = _Lift(info)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    lifted = visit(operation, TypeInfoVisitor(info, lift))
    existing = list(lifted.variable_definitions or ())
    lifted.variable_definitions = tuple(existing + lift.definitions)
    definitions = [lifted if d is operation else d for d in document.definitions]
    return print_ast(DocumentNode(definitions=tuple(definitions))), lift.variables


__all__ = ["variable_form", "FieldNode", "NamedTypeNode"]

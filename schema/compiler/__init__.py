"""Compile common read queries to ONE SQL statement whose JSON PostgreSQL builds.

The graphene resolvers define what every field means; this compiler is a faster way to
produce the very same answer for the shapes that dominate traffic (project pages with their
sites, responsibilities and categories). It works from what graphql-core itself computed:
the validated document, the *coerced* variable values, and the fields as graphql-core
collects them (fragments, inline fragments, ``@skip``/``@include``, aliases, repeated fields
merged), so a query means the same on both paths whether its arguments are literals or
variables. Anything it does not fully understand raises ``Unsupported`` and the query runs
through graphene, which also produces every error.

PostgreSQL writes the answer as the compact JSON text the API's serialiser (orjson) writes
for the resolvers: strings through ``to_json``, floats through ``json_number`` (migration
0007), objects and lists by concatenation in selection order. So both paths send the same
bytes, which tests/schema/compiler/test_differential.py checks on generated queries.
"""

from schema.compiler.cache import Prepared, StatementCache, prepare, shape
from schema.compiler.jsontext import Unsupported

__all__ = ["Prepared", "StatementCache", "Unsupported", "prepare", "shape"]

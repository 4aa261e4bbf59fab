"""The layout is the architecture: checked on the import graph, not by eye.

- no module imports itself through others (no cycles, function-level imports included);
- registry/ knows nothing of schema/ or loaders/ except its composition roots (the app,
  the command line, the upload page);
- inside registry/, lower layers never import higher ones;
- SQL lives under registry/: schema/ (but for the query compiler, which builds SQL from
  registry/reading's selectables) and loaders/ import no SQL-building names.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
GRAPH = grimp.build_graph("registry", "schema", "loaders")
# the composition roots: the web app, the command line, and the upload page (which joins
# the loaders to the web, as the command line joins them to a terminal)
ROOTS = {"registry.app", "registry.cli", "registry.web.upload"}

# (importer package, packages it must not import)
LAYERS = [
    (
        "registry.catalog",
        [
            "registry.publishing",
            "registry.reading",
            "registry.compliance",
            "registry.exports",
            "registry.web",
        ],
    ),
    (
        "registry.publishing",
        ["registry.reading", "registry.compliance", "registry.exports", "registry.web"],
    ),
    ("registry.reading", ["registry.publishing", "registry.exports", "registry.web"]),
    (
        "registry.documents",
        [
            "registry.publishing",
            "registry.reading",
            "registry.compliance",
            "registry.exports",
            "registry.web",
        ],
    ),
    ("registry.compliance", ["registry.publishing", "registry.exports", "registry.web"]),
    ("registry.exports", ["registry.publishing", "registry.web"]),
    ("schema", ["loaders", "registry.web"]),
    ("loaders", ["schema", "registry.web", "registry.reading"]),
]


def test_no_import_cycles():
    cycles = []
    for module in sorted(GRAPH.modules):
        for imported in GRAPH.find_modules_directly_imported_by(module):
            if imported == module:
                continue
            chain = GRAPH.find_shortest_chain(importer=imported, imported=module)
            if chain:
                cycles.append(" -> ".join((module, *chain)))
    assert not cycles, "import cycles:\n" + "\n".join(sorted(set(cycles)))


def test_registry_imports_neither_schema_nor_loaders_except_in_its_roots():
    offenders = []
    for module in GRAPH.find_descendants("registry"):
        if module in ROOTS:
            continue
        for imported in GRAPH.find_modules_directly_imported_by(module):
            if imported.split(".")[0] in ("schema", "loaders"):
                offenders.append(f"{module} imports {imported}")
    assert not offenders, offenders


@pytest.mark.parametrize("importer, forbidden", LAYERS, ids=[layer[0] for layer in LAYERS])
def test_layers(importer, forbidden):
    offenders = []
    for target in forbidden:
        chains = GRAPH.find_shortest_chains(importer=importer, imported=target, as_packages=True)
        offenders += [" -> ".join(chain) for chain in chains]
    assert not offenders, offenders


SQL_FREE = ["schema", "loaders"]
ALLOWED_FROM_SQLALCHEMY = {"Session", "AsyncEngine", "AsyncConnection", "DBAPIError"}


def _sqlalchemy_names(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            names += [a.name for a in node.names if a.name not in ALLOWED_FROM_SQLALCHEMY]
        elif isinstance(node, ast.Import):
            names += [a.name for a in node.names if a.name.startswith("sqlalchemy")]
    return names


@pytest.mark.parametrize("package", SQL_FREE)
def test_sql_lives_under_registry(package):
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        if path.parent.name == "compiler" and package == "schema":
            continue  # builds SQL from registry.reading's selectables, on purpose
        if names := _sqlalchemy_names(path):
            found[str(path.relative_to(ROOT))] = names
    assert not found, found


# "public" and "current" are SQL views and functions (migration 0005); nothing else may spell
# their conditions out again.
VISIBILITY = [
    re.compile(r"audience\s*(=|IN)\s*\(?\s*'public'", re.I),  # in SQL text
    re.compile(r"mode\s*=\s*'proactive'", re.I),
    re.compile(r"status\s*(=|IN)\s*\(?\s*'(draft|published)'\s*(,\s*'(draft|published)')?", re.I),
    re.compile(r"\.c\.(audience|mode)\b"),  # in SQLAlchemy expressions
    re.compile(r"\.c\.status\s*(==|\.in_)\s*\(?\s*[\[(]?\s*['\"]published"),
]
DEFINES_VISIBILITY = {"registry/models.py", "registry/catalog/model.py"}


def test_public_and_current_are_defined_once():
    found = []
    for package in ("registry", "schema", "loaders"):
        for path in sorted((ROOT / package).rglob("*.py")):
            name = str(path.relative_to(ROOT))
            if name in DEFINES_VISIBILITY or "/migrations/" in name:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if any(pattern.search(line) for pattern in VISIBILITY):
                    found.append(f"{name}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


# "as of a moment" is one rule: which items were public then (the SQL functions of migration
# 0005, named by registry/reading/visibility.py) and which projects the register knew then
# (registry/reading/binds.py known_at). An export or a page that spelt it out again would drift.
AS_OF = [
    re.compile(r"public_(disclosures|revisions)_at\s*\(", re.I),  # in SQL text
    re.compile(r"created_at\s*<=|\.c\.created_at\s*<="),
]
DEFINES_AS_OF = {"registry/reading/visibility.py", "registry/reading/binds.py"}


def test_the_as_of_rule_is_defined_once():
    found = []
    for package in ("registry", "schema", "loaders"):
        for path in sorted((ROOT / package).rglob("*.py")):
            name = str(path.relative_to(ROOT))
            if name in DEFINES_AS_OF or "/migrations/" in name:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if any(pattern.search(line) for pattern in AS_OF):
                    found.append(f"{name}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


# the map's district sketch: hulls drawn from the register for a base map, not a layer of it
EXEMPT_FEATURES = {"registry/reading/portal.py"}


def test_map_layers_are_defined_once():
    """A public layer's source and conditions live in registry/reading/layers.py; the OGC
    pages, the tiles and the downloads read them from there (no land-parcel condition, no
    tile attribute list written again)."""
    found = []
    for package in ("registry", "schema"):
        for path in sorted((ROOT / package).rglob("*.py")):
            name = str(path.relative_to(ROOT))
            if name == "registry/reading/layers.py" or "/migrations/" in name:
                continue
            text = path.read_text(encoding="utf-8")
            # the parcels' condition: land acquisition items drawn by their geometry
            if re.search(
                r"land_acquisition[^\n]*\n?[^\n]*\.geom|\.geom[^\n]*land_acquisition", text
            ):
                found.append(f"{name}: the land-parcel layer's condition")
            if "ST_AsMVTGeom" in text and name != "registry/reading/tiles.py":
                found.append(f"{name}: a tile built outside the layer contract")
            features = re.search(r"json_build_object\(\s*(literal_column\()?\W*'type'", text)
            if features and name not in EXEMPT_FEATURES:
                found.append(f"{name}: a feature built outside the layer contract")
    assert not found, found

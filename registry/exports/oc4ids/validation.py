"""The package checked against the vendored OC4IDS 0.9 schema (Draft 4, formats checked):
a validator of the package, one of a project, and ``Checker``, which validates the
chunks of a streamed package in worker processes while they are written."""

from __future__ import annotations

import hashlib
import json
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from functools import cache
from pathlib import Path

import orjson
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource

SCHEMAS = Path(__file__).parents[2] / "data" / "oc4ids"


def _schema(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


@cache
def validator() -> Draft4Validator:
    project = _schema("project-schema.json")
    registry = Registry().with_resource(project["id"], Resource.from_contents(project))
    return Draft4Validator(
        _schema("project-package-schema.json"), registry=registry, format_checker=FormatChecker()
    )


@cache
def project_validator() -> Draft4Validator:
    return Draft4Validator(_schema("project-schema.json"), format_checker=FormatChecker())


def _chunk_problems(records: bytes, first_index: int) -> list[str]:
    """Schema errors of a chunk of projects (JSON text), numbered from ``first_index``."""
    found = []
    for index, record in enumerate(orjson.loads(records), first_index):
        found += [
            f"$.projects[{index}]{error.json_path[1:]}: {error.message}"
            for error in project_validator().iter_errors(record)
        ]
    return found


class Checker:
    """Validates a package's projects a chunk at a time, in linear time: the package
    schema's ``uniqueItems`` compares every project with every other (quadratic: hours at
    50,000 projects); distinct project ids make distinct projects, so a set of ids does it
    (and, for projects without an id, a set of their contents' digests).
    With ``parallel``, the schema checks run in two other processes beside the export (at
    most three chunks waiting: memory stays bounded); ``finish()`` collects them."""

    def __init__(self, first_index: int = 0, parallel: bool = False) -> None:
        self.index = first_index
        self.ids: set[str] = set()
        self.problems: list[str] = []
        self._pool = ProcessPoolExecutor(2) if parallel else None
        self._waiting: deque[Future[list[str]]] = deque()

    @staticmethod
    def key(record: dict) -> str:
        """What makes a project distinct: its id; without one (itself an error), the same
        content twice is still not unique."""
        if "id" in record:
            return str(record["id"])
        return "\0" + hashlib.sha256(orjson.dumps(record, option=orjson.OPT_SORT_KEYS)).hexdigest()

    def __call__(self, records: list[dict]) -> None:
        for index, record in enumerate(records, self.index):
            key = self.key(record)
            if key in self.ids and "id" in record:
                self.problems.append(
                    f"$.projects[{index}].id: {record['id']!r} is not unique in the package"
                )
            elif key in self.ids:
                self.problems.append(
                    f"$.projects[{index}]: this project, which has no id, is not unique in the "
                    "package"
                )
            self.ids.add(key)
        if self._pool is None:
            self.problems += _chunk_problems(orjson.dumps(records), self.index)
        else:
            self._waiting.append(
                self._pool.submit(_chunk_problems, orjson.dumps(records), self.index)
            )
            while len(self._waiting) > 3:
                self.problems += self._waiting.popleft().result()
        self.index += len(records)

    def finish(self) -> list[str]:
        while self._waiting:
            self.problems += self._waiting.popleft().result()
        if self._pool is not None:
            self._pool.shutdown()
        return sorted(self.problems, key=_by_index)


def _by_index(problem: str) -> int:
    return int(problem.split("[", 1)[1].split("]", 1)[0])


def problems(document: dict) -> list[str]:
    """Schema errors (JSON path: message); empty when the package is valid OC4IDS 0.9. The
    package schema checks the package with its first project, the project schema the rest."""
    listed = document.get("projects")
    if not isinstance(listed, list) or len(listed) < 2:
        return [f"{e.json_path}: {e.message}" for e in validator().iter_errors(document)]
    found = [
        f"{e.json_path}: {e.message}"
        for e in validator().iter_errors({**document, "projects": listed[:1]})
    ]
    checker = Checker(1)
    checker.ids.add(Checker.key(listed[0]))
    checker(listed[1:])
    return found + checker.finish()

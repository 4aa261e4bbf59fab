"""CSV in UTF-8, UTF-8 with BOM, GBK or GB18030: the encoding is detected, not asked."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from loaders.base import HeaderFinder, Row, Table, UnreadableFile
from registry.errors import InvalidInput
from registry.language import say

ENCODINGS = ("utf-8-sig", "gb18030")  # GB18030 is a superset of GBK
CHUNK = 1 << 20


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def detect_encoding(path: Path) -> str:
    for encoding in ENCODINGS:
        if _decodes(path, encoding):
            return encoding
    raise UnreadableFile.one(
        path.name,
        "unknown_encoding",
        say(
            "is neither UTF-8 nor GBK/GB18030 text; save it as CSV UTF-8 (Excel: 另存为 → CSV "
            "UTF-8)"
        ),
    )


def _malformed(path: Path, line: int, exc: csv.Error) -> UnreadableFile:
    too_long = "field larger than field limit" in str(exc)
    reason = (
        say(
            "line {line} has a cell longer than {limit:,} characters (often an unclosed quote)",
            line=line,
            limit=csv.field_size_limit(),
        )
        if too_long
        else say("line {line} is not valid CSV ({why})", line=line, why=exc)
    )
    return UnreadableFile.one(path.name, "malformed_csv", reason)  # type: ignore[return-value]


def open_grid(path: Path) -> tuple[Iterator[tuple[int, list[str]]], str, Callable[[], None]]:
    """The file's rows as they are (numbered from 1), its encoding's name, and how to
    close it: for readers that find their own header (the lists reader)."""
    encoding = detect_encoding(path)
    handle = io.TextIOWrapper(path.open("rb"), encoding=encoding, newline="")
    reader = csv.reader(handle)

    def rows() -> Iterator[tuple[int, list[str]]]:
        with handle:
            try:
                yield from enumerate(reader, start=1)
            except csv.Error as exc:
                raise _malformed(path, reader.line_num, exc) from exc

    return rows(), "UTF-8" if encoding == "utf-8-sig" else "GBK/GB18030", handle.close


def read_csv(path: Path, sheet: str | None = None) -> Table:
    encoding = detect_encoding(path)
    handle = io.TextIOWrapper(path.open("rb"), encoding=encoding, newline="")
    reader = csv.reader(handle)
    finder = HeaderFinder()
    try:
        for number, values in enumerate(reader, start=1):
            if finder.feed(number, values):
                break
        else:
            finder.give_up()
    except csv.Error as exc:
        handle.close()
        raise _malformed(path, reader.line_num, exc) from exc
    headers = finder.header
    if not headers:
        handle.close()
        raise UnreadableFile.one(path.name, "empty_file", say("has no header row"))

    def numbered() -> Any:
        for number, values in enumerate(reader, start=finder.header_row + 1):
            if not any(v.strip() for v in values):
                continue
            extra = [v for v in values[len(headers) :] if v.strip()]
            problem = InvalidInput.one(
                "", "extra_cells",
                say("has {extra} more cells than the header ({columns} columns; the first more: "
                    "{first!r}); remove them or add a header for them", extra=len(extra),
                    columns=len(headers), first=extra[0][:30]),
            ) if extra else None  # fmt: skip
            yield Row(f"row {number}", dict(zip(headers, values, strict=False)), problem=problem)

    def rows() -> Any:
        with handle:
            try:
                yield from numbered()
            except csv.Error as exc:
                raise _malformed(path, reader.line_num, exc) from exc

    name = "UTF-8" if encoding == "utf-8-sig" else "GBK/GB18030"
    notes = [say("encoding: {name}", name=name), *finder.notes()]
    return Table(path.name, headers, rows(), notes=notes, close=handle.close)

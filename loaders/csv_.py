"""CSV in UTF-8, UTF-8 with BOM, GBK or GB18030: the encoding is detected, not asked."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

from loaders.base import HeaderFinder, Row, Table, UnreadableFile
from registry.errors import InvalidInput

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
        "is neither UTF-8 nor GBK/GB18030 text; save it as CSV UTF-8 (Excel: 另存为 → CSV UTF-8)",
    )


def _malformed(path: Path, line: int, exc: csv.Error) -> UnreadableFile:
    too_long = "field larger than field limit" in str(exc)
    reason = (
        f"第 {line} 行有超过 {csv.field_size_limit():,} 个字符的单元格，请检查引号是否成对 · line "
        f"{line} has a cell longer than {csv.field_size_limit():,} characters (often an "
        f"unclosed quote)"
        if too_long
        else f"第 {line} 行不是有效的 CSV · line {line} is not valid CSV ({exc})"
    )
    return UnreadableFile.one(path.name, "malformed_csv", reason)  # type: ignore[return-value]


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
        raise UnreadableFile.one(path.name, "empty_file", "has no header row")

    def numbered():
        for number, values in enumerate(reader, start=finder.header_row + 1):
            if not any(v.strip() for v in values):
                continue
            extra = [v for v in values[len(headers) :] if v.strip()]
            problem = InvalidInput.one(
                "", "extra_cells",
                f"有 {len(headers) + len(extra)} 个单元格，比表头多 {len(extra)} 个（多出：{extra[0][:30]}）："
                f"请删除多余内容或补上表头 · has {len(extra)} more cells than the header "
                f"({len(headers)} columns); remove them or add a header for them",
            ) if extra else None  # fmt: skip
            yield Row(f"row {number}", dict(zip(headers, values, strict=False)), problem=problem)

    def rows():
        with handle:
            try:
                yield from numbered()
            except csv.Error as exc:
                raise _malformed(path, reader.line_num, exc) from exc

    name = "UTF-8" if encoding == "utf-8-sig" else "GBK/GB18030"
    notes = [f"encoding: {name}", *finder.notes()]
    return Table(path.name, headers, rows(), notes=notes, close=handle.close)

"""CSV in UTF-8, UTF-8 with BOM, GBK or GB18030: the encoding is detected, not asked."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

from loaders.base import Row, Table, UnreadableFile

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


def read_csv(path: Path, sheet: str | None = None) -> Table:
    encoding = detect_encoding(path)
    handle = io.TextIOWrapper(path.open("rb"), encoding=encoding, newline="")
    reader = csv.reader(handle)
    headers = next(reader, None)
    if not headers:
        handle.close()
        raise UnreadableFile.one(path.name, "empty_file", "has no header row")

    def rows():
        with handle:
            for number, values in enumerate(reader, start=2):
                if not any(v.strip() for v in values):
                    continue
                yield Row(f"row {number}", dict(zip(headers, values, strict=False)))

    name = "UTF-8" if encoding == "utf-8-sig" else "GBK/GB18030"
    return Table(path.name, headers, rows(), notes=[f"encoding: {name}"], close=handle.close)

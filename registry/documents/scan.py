"""Kept attachments searched for personal data: resident ID numbers (GB 11643, checked as
the text fields are) and mainland mobile numbers, page by page, each reported masked.
A PDF without a text layer (a scan) is "not scannable", never "clean"; so are images, OFD
and the old binary Office formats, whose text this register does not read."""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from registry.documents.classify import page_text
from registry.identifiers import PERSONAL, is_resident_id

log = logging.getLogger(__name__)
MAX_PAGES = 2000
MAX_INFLATED = 200 * 1024 * 1024  # an Office file inflating past this is not read
MAX_RATIO = 200


@dataclass(frozen=True)
class Finding:
    kind: str  # resident_id, mobile
    page: int | None  # PDF page, XLSX sheet (1-based); None where a file has no pages
    masked: str


def mask(kind: str, value: str) -> str:
    """Enough to find the match in the file, not enough to know the person."""
    digits = "".join(ch for ch in value if ch.isalnum())
    if kind == "resident_id":
        return digits[:6] + "*" * 8 + digits[-4:]
    return digits[-11:][:3] + "****" + digits[-4:]


def findings(text: str, page: int | None) -> Iterator[Finding]:
    for match in PERSONAL.finditer(text):
        if match.group("mobile"):
            yield Finding("mobile", page, mask("mobile", match.group("mobile")))
        elif match.group("id") and is_resident_id(match.group("id")):
            yield Finding("resident_id", page, mask("resident_id", match.group("id")))


def _safe_zip(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile:
        return False
    if sum(m.file_size for m in members) > MAX_INFLATED:
        return False
    return all(m.file_size <= 1_000_000 or m.file_size / max(m.compress_size, 1) <= MAX_RATIO
               for m in members)  # fmt: skip


def pages(data: bytes, kind: str) -> Iterator[tuple[int | None, str]] | None:
    """(page, text) of a document, or None when its text cannot be read."""
    if kind == "application/pdf":
        return _pdf(data)
    if kind.endswith("wordprocessingml.document") and _safe_zip(data):
        return _docx(data)
    if kind.endswith("spreadsheetml.sheet") and _safe_zip(data):
        return _xlsx(data)
    if kind == "text/html":
        return iter([(None, page_text(data)[1])])
    return None


def _pdf(data: bytes) -> Iterator[tuple[int | None, str]]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    for number, page in enumerate(reader.pages[:MAX_PAGES], start=1):
        yield number, page.extract_text() or ""


def _docx(data: bytes) -> Iterator[tuple[int | None, str]]:
    import docx

    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    yield None, "\n".join(parts)


def _xlsx(data: bytes) -> Iterator[tuple[int | None, str]]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        for number, sheet in enumerate(book.worksheets, start=1):
            cells = (
                str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None
            )
            yield number, "\n".join(cells)
    finally:
        book.close()


def scan(data: bytes, kind: str) -> tuple[str, list[Finding]]:
    """("clean" | "found" | "not_scannable", findings) of one kept document."""
    try:
        read = pages(data, kind)
        if read is None:
            return "not_scannable", []
        found: list[Finding] = []
        text_seen = False
        for page, text in read:
            text_seen = text_seen or bool(text.strip())
            found.extend(findings(text, page))
    except Exception as exc:  # a damaged or hostile file: reported as not scannable
        log.warning("attachment scan failed (%s): %s", kind, exc)
        return "not_scannable", []
    if found:
        return "found", found
    return ("clean" if text_seen else "not_scannable"), []

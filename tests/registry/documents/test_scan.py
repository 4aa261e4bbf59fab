"""The attachment scan: resident IDs and mobile numbers found on their page and masked;
scans without a text layer are "not scannable", never clean; damaged or hostile files
(mutated from real ones) end as "not scannable", never as an exception."""

from __future__ import annotations

import io
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.documents import scan
from tests import linkserver

PDF = "application/pdf"
DOCX = linkserver.DOCX
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_ids_are_found_on_their_page_and_masked():
    data = linkserver.pdf(["page one"])
    two_pages = _two_pages(
        ["nothing here"], [f"Wang Wu {linkserver.RESIDENT_ID} tel 139 1234 5678"]
    )
    assert scan.scan(data, PDF) == ("clean", [])
    outcome, found = scan.scan(two_pages, PDF)
    assert outcome == "found"
    assert {(f.kind, f.page, f.masked) for f in found} == {
        ("resident_id", 2, "110105********002X"), ("mobile", 2, "139****5678")
    }  # fmt: skip


def _two_pages(first: list[str], second: list[str]) -> bytes:
    from fpdf import FPDF

    doc = FPDF()
    doc.set_font("Helvetica", size=12)
    for lines in (first, second):
        doc.add_page()
        doc.set_font("Helvetica", size=12)
        for line in lines:
            doc.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(doc.output())


def test_numbers_that_are_not_ids_are_not_reported():
    # 18 digits with a wrong check character, and a document number: not resident IDs
    data = linkserver.docx(
        ["编号 110105194912310021", "洪发改投资〔2019〕142号", "投资 123456789012345678 元"]
    )
    assert scan.scan(data, DOCX) == ("clean", [])


def test_a_scan_without_text_is_not_clean():
    assert scan.scan(linkserver.pdf(["x"], text_layer=False), PDF) == ("not_scannable", [])
    assert scan.scan(b"\x89PNG\r\n\x1a\n", "image/png") == ("not_scannable", [])


def test_a_sheet_reports_its_sheet_number():
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["姓名", "身份证号"])
    other = book.create_sheet("补偿")
    other.append(["张三", linkserver.RESIDENT_ID])
    out = io.BytesIO()
    book.save(out)
    outcome, found = scan.scan(out.getvalue(), XLSX)
    assert outcome == "found" and [(f.kind, f.page) for f in found] == [("resident_id", 2)]


def test_a_zip_bomb_is_not_inflated():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"0" * 300_000_000)
    assert scan.scan(out.getvalue(), DOCX) == ("not_scannable", [])


SEEDS = [
    (linkserver.pdf([f"ID {linkserver.RESIDENT_ID}"]), PDF),
    (linkserver.docx([f"身份证 {linkserver.RESIDENT_ID}"]), DOCX),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(SEEDS),
    flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=20),
    cut=st.one_of(st.none(), st.floats(0.1, 1)),
)
def test_mutated_files_never_raise(seed, flips, cut):
    data, kind = seed
    mutated = bytearray(data)
    for where, value in flips:
        mutated[min(int(where * len(mutated)), len(mutated) - 1)] = value
    if cut is not None:
        mutated = mutated[: int(len(mutated) * cut)]
    outcome, found = scan.scan(bytes(mutated), kind)
    assert outcome in ("clean", "found", "not_scannable")
    assert all(linkserver.RESIDENT_ID not in f.masked for f in found)

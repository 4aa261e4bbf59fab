"""Fuzzing department files: good files of each format, mangled (bit flips, truncation,
wrong encodings, NUL bytes, huge and extra cells, heights), through the real loaders.

Whatever comes in: no 5xx, no traceback, a body in the documented shape, and nothing
half-written (a refused file leaves the tables as they were). `make test` runs a few hundred
cases of each; `make fuzz` thousands. The counts are printed.
"""

from __future__ import annotations

import io
import random
import zipfile
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from loaders import FileRefused, load_file
from tests.conftest import count
from tests.loaders.files import write_csv, write_geojson, write_xlsx, write_zipped_shapefile
from tests.loaders.test_run import APPROVAL_HEADERS, approval_row
from tests.registry.factories import PROJECT_CODE

pytestmark = pytest.mark.generated
SETTINGS = settings(deadline=None, suppress_health_check=list(HealthCheck))
TABLES = ("projects", "sites", "disclosures", "responsibilities", "departments")


# --- department files -------------------------------------------------------------------


def originals(tmp_path) -> dict[str, bytes]:
    """Good files of each format, to mangle."""
    rows = [APPROVAL_HEADERS, approval_row(), approval_row("洪发改投资〔2023〕89号")]
    files = {
        "a.csv": write_csv(tmp_path / "a.csv", rows, "gbk"),
        "b.xlsx": write_xlsx(tmp_path / "b.xlsx", rows),
        "c.geojson": write_geojson(tmp_path / "c.geojson", [
            ({"项目统一代码": PROJECT_CODE, "位置名称": "桩"},
             {"type": "Point", "coordinates": [115.95, 28.68]})]),
    }  # fmt: skip
    files["d.zip"] = write_zipped_shapefile(
        tmp_path / "d.zip", [("项目代码", "C", 30), ("名称", "C", 40)],
        [([PROJECT_CODE, "指挥部"], [(39_584_000.0, 3_173_000.0)])],
    )  # fmt: skip
    return {name: path.read_bytes() for name, path in files.items()}


def mangle(data: bytes, how: str, rng: random.Random) -> bytes:
    if how == "flip":
        out = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            at = rng.randrange(len(out))
            out[at] ^= 1 << rng.randrange(8)
        return bytes(out)
    if how == "truncate":
        return data[: rng.randrange(len(data))]
    if how == "nul":
        at = rng.randrange(len(data))
        return data[:at] + b"\x00" + data[at:]
    if how == "utf16":
        try:
            return data.decode("gb18030").encode("utf-16")
        except UnicodeDecodeError:
            return data
    if how == "huge":
        return data + ("南" * 300_000).encode("gb18030") + b"\r\n"
    if how == "extra":
        return data.replace(b"\r\n", b",\xb6\xe0,\r\n", 1)
    if how == "z":
        return data.replace(b"28.68]", b"28.68, 12.5]")
    return data


def test_mangled_department_files_are_refused_whole_or_loaded(registry_session, tmp_path):
    engine = registry_session.get_bind()
    seen: Counter = Counter()
    good = originals(tmp_path)

    @SETTINGS
    @given(name=st.sampled_from(sorted(good)), seed=st.integers(0, 2**32),
           how=st.sampled_from(["flip", "truncate", "nul", "utf16", "huge", "extra", "z", "same"]))  # fmt: skip
    def check(name, seed, how):
        path = tmp_path / f"m-{how}-{name}"
        path.write_bytes(mangle(good[name], how, random.Random(seed)))
        before = {t: count(engine, t) for t in TABLES}
        savepoint = registry_session.begin_nested()
        try:
            report = load_file(
                registry_session, path, "FGW", kind="sites" if "geojson" in name else None
            )
            seen["loaded" if report.written else "checked"] += 1
        except FileRefused as refused:
            assert refused.report.problems and "Traceback" not in refused.report.text()
            registry_session.flush()
            seen["refused"] += 1
        savepoint.rollback()
        assert {t: count(engine, t) for t in TABLES} == before

    check()
    print(f"\nfile fuzz: {dict(seen)}")
    assert seen["refused"] > 0 and seen["loaded"] > 0


def test_xlsx_cells_of_every_kind_are_read_or_refused(registry_session, tmp_path):
    """Cells as Excel holds them: numbers, dates, formulas, errors, very long text."""
    book = Workbook()
    book.active.append(APPROVAL_HEADERS)
    book.active.append([PROJECT_CODE, "政府投资项目可行性研究报告审批", 44625, "#REF!",
                        "=1/0", 12345.678, "南" * 40_000])  # fmt: skip
    path = tmp_path / "cells.xlsx"
    book.save(path)
    load_workbook(path)  # a real workbook
    with pytest.raises(FileRefused) as refused:
        load_file(registry_session, path, "FGW")
    assert refused.value.report.problems


def test_a_zip_that_is_not_a_shapefile(registry_session, tmp_path):
    path = tmp_path / "not.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "no shapefile here")
    with pytest.raises(FileRefused):
        load_file(registry_session, path, "FGW")
    io.BytesIO()

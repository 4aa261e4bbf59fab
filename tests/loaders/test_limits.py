"""Each limit of loaders/limits.py, at its edge: a file one over is refused with a message
naming the limit and its setting; one at the limit is read. The limits are set small here
through their settings (REGISTRY_LIMIT_*), as an operator would."""

from __future__ import annotations

import json

import pytest

from loaders import FileRefused, load_file
from registry.settings import get_settings
from tests.loaders.files import write_csv, write_zipped_shapefile
from tests.loaders.test_run import APPROVAL_HEADERS, approval_row
from tests.registry.factories import PROJECT_CODE


@pytest.fixture
def limited(monkeypatch):
    def set_limits(**values) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"REGISTRY_LIMIT_{name.upper()}", str(value))
        get_settings.cache_clear()

    yield set_limits
    monkeypatch.undo()
    get_settings.cache_clear()


def problems(session, path, **options) -> list[str]:
    with pytest.raises(FileRefused) as refused:
        load_file(session, path, "FGW", dry_run=True, **options)
    return [str(p) for p in refused.value.report.problems]


HEADERS = [*APPROVAL_HEADERS, "编号"]


def rows(count: int) -> list[list]:
    return [[*approval_row(f"洪发改〔2023〕{n}号"), f"R{n}"] for n in range(count)]


def test_rows_at_the_limit_and_one_over(registry_session, tmp_path, limited):
    limited(rows=3)
    at = write_csv(tmp_path / "three.csv", [HEADERS, *rows(3)])
    assert load_file(registry_session, at, "FGW", dry_run=True).rows == 3
    over = write_csv(tmp_path / "four.csv", [HEADERS, *rows(4)])
    (problem,) = problems(registry_session, over)
    assert problem == (
        "four.csv: 超过 3 行上限（REGISTRY_LIMIT_ROWS），请拆分为较小的文件"
        " · has more than 3 rows (REGISTRY_LIMIT_ROWS); split it into smaller files"
    )


def test_a_cell_at_the_limit_and_one_over(registry_session, tmp_path, limited):
    limited(cell_chars=40)
    fits, long = approval_row(), approval_row("B")
    fits[6], long[6] = "批" * 40, "批" * 41
    assert load_file(registry_session, write_csv(tmp_path / "ok.csv", [APPROVAL_HEADERS, fits]),
                     "FGW", dry_run=True).ok  # fmt: skip
    (problem,) = problems(registry_session, write_csv(tmp_path / "x.csv", [APPROVAL_HEADERS, long]))
    assert problem.startswith(f"第 2 行 · row 2, {APPROVAL_HEADERS[6]}: 长 41 个字符，超过 40")
    assert "REGISTRY_LIMIT_CELL_CHARS" in problem


def test_the_file_size_limit(registry_session, tmp_path, limited):
    limited(file_mb=1)
    path = write_csv(tmp_path / "big.csv", [HEADERS, *rows(9000)])
    assert path.stat().st_size > 1 << 20
    (problem,) = problems(registry_session, path)
    assert "超过 1 MB 上限（REGISTRY_LIMIT_FILE_MB）" in problem


def _square(x: float, y: float, points: int) -> list:
    """A closed ring of ``points`` vertices (the last repeats the first)."""
    import math

    ring = [[x + 0.001 * math.cos(2 * math.pi * k / (points - 1)),
             y + 0.001 * math.sin(2 * math.pi * k / (points - 1))] for k in range(points - 1)]  # fmt: skip
    return [*ring, ring[0]]


def _geojson(path, rings: list[list]) -> object:
    features = [{"type": "Feature", "properties": {"项目代码": PROJECT_CODE},
                 "geometry": {"type": "Polygon", "coordinates": [ring]}} for ring in rings]  # fmt: skip
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_vertices_of_one_geometry_and_of_a_file(registry_session, tmp_path, limited):
    limited(vertices=50, file_vertices=120)
    ok = _geojson(tmp_path / "ok.geojson", [_square(115.9, 28.6, 50), _square(115.91, 28.6, 50)])
    assert load_file(registry_session, ok, "FGW", kind="sites", dry_run=True).ok
    one = _geojson(tmp_path / "one.geojson", [_square(115.9, 28.6, 51)])
    (problem,) = problems(registry_session, one, kind="sites")
    assert "51 个顶点，超过 50 个上限（REGISTRY_LIMIT_VERTICES）" in problem
    many = _geojson(
        tmp_path / "all.geojson", [_square(115.9 + k / 100, 28.6, 40) for k in range(4)]
    )
    (problem,) = problems(registry_session, many, kind="sites")
    assert "顶点总数超过 120 个上限（REGISTRY_LIMIT_FILE_VERTICES）" in problem


def test_a_shapefile_s_vertices_are_counted_from_its_index(registry_session, tmp_path, limited):
    limited(vertices=20)
    x, y = 39_500_000, 3_175_000
    ring = [(x, y), (x, y + 50), (x + 50, y + 50), (x + 50, y), (x, y)]
    long = [(x + k, y + (k % 2)) for k in range(30)] + [(x, y)]
    path = write_zipped_shapefile(tmp_path / "v.zip", [("项目代码", "C", 30)],
                                  [([PROJECT_CODE], ring), ([PROJECT_CODE], long)],
                                  shape_type=5)  # fmt: skip
    (problem,) = problems(registry_session, path, kind="sites")
    assert problem.startswith("第 2 条记录 · record 2, ") and "REGISTRY_LIMIT_VERTICES" in problem


def test_geojson_features_count_as_rows(registry_session, tmp_path, limited):
    limited(rows=2)
    path = _geojson(tmp_path / "f.geojson", [_square(115.9 + k / 100, 28.6, 5) for k in range(3)])
    (problem,) = problems(registry_session, path, kind="sites")
    assert "REGISTRY_LIMIT_ROWS" in problem

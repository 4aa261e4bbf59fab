"""docs/maps.md: its curl, ogrinfo and ogr2ogr lines run against the demo data."""

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[3] / "docs" / "maps.md"
LINES = re.findall(r"^\$ ((?:curl|ogrinfo|ogr2ogr) .*)$", PAGE.read_text(encoding="utf-8"), re.M)


@pytest.mark.parametrize("line", LINES)
def test_command_runs(line, live_server, demo_data, tmp_path):
    tool = shlex.split(line)[0]
    if not shutil.which(tool):
        pytest.fail(f"{tool} is missing: make test installs gdal-bin and curl")
    command = shlex.split(line.replace("http://127.0.0.1:8000", f"http://127.0.0.1:{live_server}"))
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    if tool == "curl" and "-w" in command:  # a status line
        assert result.stdout.startswith("200 "), result.stdout
    elif tool == "curl":
        assert result.stdout.startswith("{") and '"code"' not in result.stdout[:20], result.stdout[
            :300
        ]
    if tool == "ogr2ogr" and "ESRI Shapefile" in command:
        assert {p.stem for p in (tmp_path / "shapefiles").glob("*.shp")} == {
            "sites_points", "sites_lines", "sites_polygons", "land_parcels"}  # fmt: skip
    elif tool == "ogr2ogr":
        assert (tmp_path / "projects.gpkg").stat().st_size > 10_000

"""Output coordinate systems named by URI or short name, without a database."""

import pytest

from registry.errors import NotFound
from registry.reading.crs import CRS84, crs_description, crs_uri, output_crs

BASE = "https://registry.example"


@pytest.mark.parametrize("name", ["wgs84", "gcj02", "bd09"])
def test_every_system_s_uri_names_it_again(name):
    assert output_crs(crs_uri(BASE, name)) == name


def test_what_is_not_a_system():
    assert output_crs(CRS84) == "wgs84"
    for value in ["", "EPSG:4326", f"{BASE}/ogc/crs/", f"{BASE}/ogc/crs/utm", "gcj"]:
        assert output_crs(value) is None, value
    with pytest.raises(NotFound):
        crs_description(BASE, "wgs84")
    assert crs_description(BASE, "gcj02")["id"] == f"{BASE}/ogc/crs/gcj02"

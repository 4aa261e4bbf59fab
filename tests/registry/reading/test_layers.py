"""The layer contract, without a database: each public layer defined once, and what the
tiles, the OGC API and the downloads take from it."""

import pytest

from registry.reading import layers, tiles


@pytest.mark.parametrize("name", list(layers.LAYERS))
def test_a_layer_s_properties_are_named_once(name):
    layer = layers.LAYERS[name]()
    names = [p.name for p in layer.properties]
    assert len(names) == len(set(names)) and "geometry" not in names


@pytest.mark.parametrize("tile_layer", list(tiles.TILE_LAYERS))
@pytest.mark.parametrize("offset", [False, True])
def test_a_tile_statement_is_built_from_its_layer(tile_layer, offset):
    sql = tiles.statement(tile_layer, offset)
    layer = tiles.TILE_LAYERS[tile_layer][0]()
    for prop in layer.properties:
        assert f"AS {prop.name}" in sql
    assert ("offset_crs" in sql) is offset
    assert all(f"%({name})s" in sql for name in ("z", "x", "y"))
    assert tiles.tilejson("https://r.example")["vector_layers"]


def test_the_parcels_are_public_land_acquisition_geometries():
    conditions = " ".join(str(c) for c in layers.land_parcels().conditions)
    assert "category" in conditions and "geom IS NOT NULL" in conditions
    assert "public_disclosures" in str(layers.land_parcels().source)

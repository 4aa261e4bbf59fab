"""The shape of variables that decides a compiled statement's form, without a database."""

from schema.compiler import StatementCache, shape
from schema.scalars import OutputCRS


def test_values_are_dropped_and_what_shapes_the_statement_is_kept():
    assert shape({"first": 10, "text": "地铁"}) == shape({"first": 99, "text": "学校"})
    assert shape({"text": ""}) != shape({"text": "x"})  # an empty filter is no filter
    assert shape({"bbox": [1, 2, 3, 4]}) != shape({"bbox": [1, 2]})
    assert shape({"flag": True}) != shape({"flag": False})
    assert shape({"crs": OutputCRS.GCJ02}) != shape({"crs": OutputCRS.BD09})
    assert shape({"a": None}) != shape({})


def test_the_cache_keeps_the_most_recently_used():
    cache = StatementCache(size=2)
    cache.put("a", ("A", {}))
    cache.put("b", ("B", {}))
    assert cache.get("a") == ("A", {})
    cache.put("c", ("C", {}))
    assert cache.get("b") is None and cache.get("a") and cache.get("c")
    assert (cache.hits, cache.misses) == (3, 1)

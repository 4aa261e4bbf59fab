"""The OC4IDS mapping's pure parts, without a database: dates, parties, nulls."""

import datetime as dt

from registry.exports.oc4ids.mapping import moment, party, strip


def test_a_day_is_its_midnight_in_china_and_a_moment_keeps_its_instant():
    assert moment(dt.date(2024, 3, 5)) == "2024-03-05T00:00:00+08:00"
    assert moment("2024-03-05") == "2024-03-05T00:00:00+08:00"
    at = dt.datetime(2024, 3, 4, 22, 30, tzinfo=dt.UTC)
    assert moment(at) == "2024-03-05T06:30:00+08:00"
    assert moment(None) is None and moment("") is None


def test_a_party_is_known_by_its_credit_code_when_it_has_one():
    with_code = party("FGW", "发改委", "11360100014500398Q", {"reviewBody"})
    assert with_code["id"] == "CN-USCC-11360100014500398Q" and with_code["identifier"]
    without = party("FGW", "发改委", None, set())
    assert without["id"] == "CN-REGISTRY-FGW" and "identifier" not in without


def test_nulls_are_left_out_everywhere():
    assert strip({"a": None, "b": [{"c": None, "d": 1}], "e": {"f": None}}) == {
        "b": [{"d": 1}],
        "e": {},
    }

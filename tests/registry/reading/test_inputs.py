"""The checks of what a reader asks for, without a database: a bbox or a distance is
refused exactly when it cannot be answered (generated against the rule written out)."""

import math

from hypothesis import given
from hypothesis import strategies as st

from registry.reading.inputs import Near, bbox_problems, near_problems

numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-400, 400))


@given(st.lists(numbers, min_size=0, max_size=6))
def test_a_bbox_is_refused_exactly_when_it_cannot_be_a_box(values):
    ok = (
        len(values) == 4
        and all(math.isfinite(v) for v in values)
        and abs(values[0]) <= 180 and abs(values[2]) <= 180
        and abs(values[1]) <= 90 and abs(values[3]) <= 90
        and values[0] <= values[2] and values[1] <= values[3]
    )  # fmt: skip
    problems = bbox_problems(values)
    assert (problems == []) is ok
    assert all(p.path == "bbox" and p.message for p in problems)


@given(numbers, numbers, numbers)
def test_near_is_refused_exactly_when_it_names_no_place_or_distance(lon, lat, meters):
    ok = (
        math.isfinite(lon) and abs(lon) <= 180 and math.isfinite(lat) and abs(lat) <= 90
        and math.isfinite(meters) and 0 <= meters <= 1_000_000
    )  # fmt: skip
    problems = near_problems(Near(lon, lat, meters))
    assert (problems == []) is ok
    assert {p.path for p in problems} <= {"near.lon", "near.lat", "near.meters"}

"""Spreadsheet cells stay values (registry/cells.py), without a database."""

from hypothesis import given
from hypothesis import strategies as st

from registry.cells import FORMULA_STARTS, neutral


@given(st.one_of(st.text(max_size=20), st.integers(), st.floats(allow_nan=False), st.none()))
def test_a_cell_never_begins_like_a_formula(value):
    cell = neutral(value)
    if isinstance(value, str):
        assert not cell.startswith(FORMULA_STARTS)
        assert cell.removeprefix("'") == value or cell == value
    else:
        assert cell == value  # numbers are numbers

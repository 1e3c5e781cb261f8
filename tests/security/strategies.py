"""Hypothesis strategies for untrusted input: arbitrary JSON, as any peer could send it."""

from __future__ import annotations

from hypothesis import strategies as st

# JSON as Python's json module reads it: NaN and ±Infinity included, since it accepts them.
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)

JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def json_or(*strategies: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    """Either a plausible value from ``strategies`` or arbitrary JSON."""
    return st.one_of(*strategies, JSON)

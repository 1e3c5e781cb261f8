"""How uploads are cut into POSTs and batches (pure): within every limit, nothing lost."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from daemon.sync.storage import _Sized, _take

records = st.lists(
    st.builds(
        lambda n, size: {"id": f"r{n:011d}", "payload": "x" * size},
        st.integers(0, 10**6),
        st.integers(0, 300),
    ),
    max_size=60,
)


@given(
    records,
    st.integers(1, 10),
    st.integers(300, 2000),
    st.one_of(st.none(), st.integers(400, 3000)),
)
def test_groups_respect_limits_and_keep_order(bsos, max_records, max_bytes, max_request):
    sized = [_Sized.of(bso) for bso in bsos]
    groups = []
    start = 0
    while start < len(sized):
        end = _take(sized, start, max_records, max_bytes, max_request)
        assert end > start  # always progress, even past a limit for one record
        groups.append(sized[start:end])
        start = end
    assert [item for group in groups for item in group] == sized
    for group in groups:
        body = len(b"[" + b",".join(item.json for item in group) + b"]")
        assert len(group) <= max_records
        if len(group) > 1:
            assert sum(item.payload_bytes for item in group) <= max_bytes
            assert max_request is None or body <= max_request

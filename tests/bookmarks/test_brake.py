"""The safety brake's rule."""

from __future__ import annotations

import pytest

from daemon.bookmarks.brake import DeletionPreview, SafetyBrakeError, check, trips
from daemon.errors import ExitStatus
from daemon.settings import Settings


def preview(local=0, local_total=100, remote=0, remote_total=100, emptied=()):
    return DeletionPreview(local, local_total, remote, remote_total, list(emptied), ["T1", "T2"])


@pytest.mark.parametrize(
    ("case", "stops"),
    [
        (preview(), False),
        (preview(local=20), False),  # 20 % exactly is allowed
        (preview(local=21), True),
        (preview(remote=21), True),
        (preview(local=51, local_total=1000), True),  # the count rule
        (preview(local=50, local_total=1000), False),
        (preview(local=2, local_total=5), False),  # small edits never stop
        (preview(local=5, local_total=5, emptied=["toolbar"]), True),
        (preview(local=1, local_total=1, emptied=["toolbar"]), False),
    ],
)
def test_when_the_brake_stops(case, stops):
    assert trips(case, Settings()) is stops


def test_settings_and_force():
    strict = Settings(brake_max_share=0.05, brake_max_count=10)
    assert trips(preview(local=6), strict)
    with pytest.raises(SafetyBrakeError) as stopped:
        check(preview(local=60), Settings(), force=False)
    assert stopped.value.status is ExitStatus.SAFETY_BRAKE
    assert "60 of 100" in stopped.value.message
    check(preview(local=60), Settings(), force=True)  # forced: no error


def test_status_preview():
    status = preview(remote=30, emptied=["menu"]).to_status()
    assert status["deletions"] == 30 and status["local_total"] == 100
    assert status["preview"] == ["T1", "T2"] and status["emptied_roots"] == ["menu"]

"""The status object: one account, several profiles, one state each profile sees."""

from __future__ import annotations

from daemon.service.status import Brake, Problem, StatusBoard


def board() -> StatusBoard:
    made = StatusBoard()
    made.set_account(email="a@example.com", server="https://accounts.example")
    return made


def test_signed_out_wins_over_everything() -> None:
    status = board()
    status.sync_started("p1")
    status.set_account(email=None, server=None)
    shown = status.to_dict("p1")
    assert shown["state"] == "signed-out" and shown["email"] is None and shown["progress"] is None


def test_each_profile_sees_its_own_sync_progress_and_brake() -> None:
    status = board()
    status.sync_started("p1")
    status.sync_progress("p1", 3, 9)
    status.brake_stopped("p2", Brake(60, 200, ("Bank",)))
    assert status.to_dict("p1")["state"] == "syncing"
    assert status.to_dict("p1")["progress"] == {"done": 3, "total": 9}
    assert status.to_dict("p2")["state"] == "brake"
    assert status.to_dict("p2")["brake"]["preview"] == ["Bank"]
    assert status.to_dict("p1")["brake"] is None


def test_backoff_is_account_wide_and_says_until_when() -> None:
    status = board()
    status.sync_failed("p1", 1000, Problem("server", "Busy."), account_wide=True)
    status.set_backoff(Problem("backoff", "Busy. Trying again later.", retry_at=61_000))
    for profile in ("p1", "p2", None):
        shown = status.to_dict(profile)
        assert shown["state"] == "backoff"
        assert shown["problem"]["retry_at"] == 61_000
    status.sync_succeeded("p1", 2000, "Up to date.")
    assert status.to_dict("p2")["state"] == "idle"
    assert status.to_dict("p1")["last_sync"] == {"at": 2000, "ok": True, "summary": "Up to date."}


def test_a_browser_side_failure_is_that_profiles_error_only() -> None:
    status = board()
    status.sync_failed("p1", 1000, Problem("browser", "No answer."), account_wide=False)
    assert status.to_dict("p1")["state"] == "error"
    assert status.to_dict("p1")["problem"]["code"] == "browser"
    assert status.to_dict("p2")["state"] == "idle"


def test_listeners_hear_every_change_and_can_unsubscribe() -> None:
    status = board()
    heard: list[int] = []
    unsubscribe = status.subscribe(lambda: heard.append(1))
    status.set_paused(True)
    status.sync_started("p1")
    unsubscribe()
    status.sync_succeeded("p1", 1, "ok")
    assert len(heard) == 2
    assert status.to_dict()["paused"] is True

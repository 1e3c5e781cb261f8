"""The one-sentence summary people see in the popup and the CLI."""

from __future__ import annotations

from daemon.bookmarks.engine import SyncReport


def test_nothing_changed_reads_up_to_date() -> None:
    assert SyncReport("p").summary() == "Up to date."


def test_only_the_counts_that_happened_are_named() -> None:
    report = SyncReport("p", changed=True, created=3, moved=1, uploaded=2, tombstones=1)
    assert report.summary() == "This browser: 3 added, 1 moved; Account: 1 saved, 1 deleted."


def test_a_one_sided_change_names_one_side() -> None:
    report = SyncReport("p", changed=True, uploaded=4)
    assert report.summary() == "Account: 4 saved."


def test_a_dry_run_says_what_it_would_do() -> None:
    report = SyncReport("p", changed=True, dry_run=True, removed=2)
    assert report.summary() == "Would change — This browser: 2 removed."

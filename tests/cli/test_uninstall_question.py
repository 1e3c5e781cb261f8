"""``foxbridge uninstall`` asks on a terminal whether to delete the sign-in and local state."""

from __future__ import annotations

import builtins

import pytest

from daemon.cli.install_cmd import confirm


@pytest.mark.parametrize(
    ("typed", "expected"), [("y", True), (" YES ", True), ("", False), ("n", False)]
)
def test_only_a_yes_deletes(monkeypatch, typed, expected):
    monkeypatch.setattr(builtins, "input", lambda question: typed)
    assert confirm("Delete? ") is expected


def test_end_of_input_is_a_no(monkeypatch, capsys):
    def end_of_input(question: str) -> str:
        raise EOFError

    monkeypatch.setattr(builtins, "input", end_of_input)
    assert confirm("Delete? ") is False
    assert capsys.readouterr().out == "\n"  # the shell prompt starts on a line of its own

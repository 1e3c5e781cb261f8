"""The log file's last line of defence: token-shaped values are masked, in messages and in
the tracebacks of unexpected failures."""

from __future__ import annotations

import logging

import pytest

from daemon import logs

TOKEN = "5f" * 32


@pytest.fixture
def log_file(tmp_path):
    path = tmp_path / "log" / "daemon.log"
    logs.configure(log_file=path)
    yield path
    logs.configure()  # back to no handlers: the file handler is closed


def test_a_token_in_a_message_is_masked(log_file):
    logging.getLogger("daemon.test").info("refresh token %s rejected", TOKEN)
    text = log_file.read_text()
    assert TOKEN not in text
    assert "refresh token [redacted] rejected" in text


def test_a_token_in_a_traceback_is_masked(log_file):
    try:
        {}[TOKEN]
    except KeyError:
        logging.getLogger("daemon.test").exception("lookup failed")
    text = log_file.read_text()
    assert "lookup failed" in text and "Traceback" in text
    assert TOKEN not in text
    assert "KeyError: '[redacted]'" in text

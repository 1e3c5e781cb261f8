"""A hand-edited settings file can never stop the daemon nor mean the opposite of what it
says: values of the wrong type fall back to the defaults, numbers are clamped."""

from __future__ import annotations

import json

import pytest

from daemon.settings import MenuPlacement, Settings, load_settings, save_settings


@pytest.mark.parametrize(
    "text",
    [
        '{"brake_max_count": Infinity}',
        '{"sync_interval": 1e400}',
        '{"snapshots_keep": -Infinity}',
        '{"brake_max_share": NaN}',
        '{"paused": "false"}',
        '{"paused": 1}',
        '{"sync_interval": true}',
        '{"menu_placement": "sideways"}',
        '{"sync_interval": "90"}',
        "[]",
        "not json",
        "[" * 100_000,
    ],
)
def test_bad_values_are_the_defaults(tmp_path, text):
    path = tmp_path / "settings.json"
    path.write_text(text)
    assert load_settings(path) == Settings()


def test_good_values_are_kept_and_clamped(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {
                "sync_interval": 5,
                "menu_placement": "hidden",
                "brake_max_share": 1,
                "brake_max_count": 7,
                "snapshots_keep": 5000,
                "paused": True,
                "unknown": "ignored",
            }
        )
    )
    settings = load_settings(path)
    assert settings == Settings(
        sync_interval=15,
        menu_placement=MenuPlacement.HIDDEN,
        brake_max_share=1.0,
        brake_max_count=7,
        snapshots_keep=1000,
        paused=True,
    )
    save_settings(path, settings)
    assert load_settings(path) == settings

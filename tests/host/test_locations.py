"""The host finds the same socket and config folder as ``daemon.paths``."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import platformdirs.macos
import platformdirs.windows
import pytest

from daemon.paths import default_paths
from host import locations

Setup = Callable[[Path, pytest.MonkeyPatch], None]


def private_dir(path: Path, mode: int = 0o700) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(mode)
    return path


def xdg_runtime(setup: Callable[[Path], Path | str]) -> Setup:
    def apply(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(setup(tmp)))

    return apply


def no_xdg_runtime(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)


def symlink_to_private(tmp: Path) -> Path:
    link = tmp / "link"
    link.symlink_to(private_dir(tmp / "real"))
    return link


def a_file(tmp: Path) -> Path:
    path = tmp / "file"
    path.touch()
    return path


def under_world_writable(tmp: Path) -> Path:
    shared = tmp / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # no sticky bit: anyone could swap what is inside
    return private_dir(shared / "run")


def under_sticky(tmp: Path) -> Path:
    shared = tmp / "sticky"
    shared.mkdir()
    shared.chmod(0o1777)
    return private_dir(shared / "run")


def temp_fallback(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("TMPDIR", str(private_dir(tmp / "tmp", 0o755)))


ENVIRONMENTS: dict[str, Setup] = {
    "xdg private": xdg_runtime(lambda tmp: private_dir(tmp / "xdg")),
    "xdg missing": xdg_runtime(lambda tmp: tmp / "not-yet"),
    "xdg with ./ and a trailing /": xdg_runtime(lambda tmp: f"{private_dir(tmp / 'xdg')}/./"),
    "xdg mode 0755": xdg_runtime(lambda tmp: private_dir(tmp / "xdg", 0o755)),
    "xdg symlink": xdg_runtime(symlink_to_private),
    "xdg relative": xdg_runtime(lambda tmp: "relative/run"),
    "xdg a file": xdg_runtime(a_file),
    "xdg below world-writable": xdg_runtime(under_world_writable),
    "xdg below sticky": xdg_runtime(under_sticky),
    "xdg unset": no_xdg_runtime,
    "temp fallback": temp_fallback,
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("FOXBRIDGE_HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.mark.parametrize("setup", ENVIRONMENTS.values(), ids=ENVIRONMENTS.keys())
def test_socket_path_agrees_with_daemon_paths(
    setup: Setup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup(tmp_path, monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when it falls back
        expected = default_paths().socket_path
    assert Path(locations.socket_path()) == expected


@pytest.mark.parametrize("home", ["{tmp}/fb", "~/fb-home", "{tmp}/a/../fb"])
def test_foxbridge_home_wins(home: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOXBRIDGE_HOME", home.format(tmp=tmp_path))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(private_dir(tmp_path / "xdg")))
    assert Path(locations.socket_path()) == default_paths().socket_path
    assert Path(locations.config_dir()) == default_paths().config_dir


@pytest.mark.parametrize("xdg_config", [None, "/abs/config", "relative/config"])
@pytest.mark.parametrize("home", ["{tmp}/home", "relative-home"])
def test_config_dir_agrees_with_daemon_paths(
    xdg_config: str | None, home: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", home.format(tmp=tmp_path))
    if xdg_config:
        monkeypatch.setenv("XDG_CONFIG_HOME", xdg_config)
    assert Path(locations.config_dir()) == default_paths().config_dir


@pytest.mark.parametrize("xdg", ["private", "mode 0755", "unset"])
def test_macos_rules_agree_with_platformdirs(
    xdg: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if xdg != "unset":
        mode = 0o700 if xdg == "private" else 0o755
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(private_dir(tmp_path / "xdg", mode)))
    mac = platformdirs.macos.MacOS("foxbridge", appauthor=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runtime = mac.user_runtime_dir
    assert Path(locations.socket_path("darwin")) == Path(runtime) / "daemon.sock"
    assert Path(locations.config_dir("darwin")) == Path(mac.user_config_dir)


def test_windows_rules_agree_with_platformdirs(monkeypatch: pytest.MonkeyPatch) -> None:
    # platformdirs' own override, so that its Windows rules run here too.
    monkeypatch.setenv("WIN_PD_OVERRIDE_LOCAL_APPDATA", r"C:\Users\me\AppData\Local")
    windows = platformdirs.windows.Windows("foxbridge", appauthor=False)
    assert Path(locations.socket_path("win32")) == Path(windows.user_runtime_dir) / "daemon.sock"
    assert Path(locations.config_dir("win32")) == Path(windows.user_config_dir)


def test_the_host_imports_only_light_standard_modules() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import host.relay\n"
        "print(' '.join(sorted(set(sys.modules) - before)))"
    )
    repo = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo
    )
    imported = {name.split(".")[0] for name in result.stdout.split()}
    assert imported.isdisjoint({"daemon", "platformdirs", "aiohttp", "keyring", "cryptography"})
    # Slow to import, and needed only on rare paths (starting the daemon) or not at all.
    assert imported.isdisjoint({"subprocess", "pathlib", "typing", "asyncio", "tempfile"})

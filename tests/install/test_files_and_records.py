"""The pure pieces: manifest checks, autostart files, launcher text, the install record."""

from __future__ import annotations

import json
import plistlib
import shlex
from pathlib import Path

import pytest

from host import EXTENSION_ORIGIN, HOST_NAME
from install import autostart
from install.launcher import launcher_script
from install.machine import OS
from install.manifest import allowed_origins, is_origin, manifest_problem, manifest_text
from install.record import InstallRecord, InstallRecordError
from install.registry import MemoryRegistry

ODD_PYTHON = Path("/home/o'brien/my env/100% $HOME/bin/python")


def test_manifest_text_is_what_the_browser_expects() -> None:
    text = manifest_text(Path("/opt/fb/foxbridge-host"), allowed_origins())
    assert json.loads(text) == {
        "name": HOST_NAME,
        "description": json.loads(text)["description"],
        "path": "/opt/fb/foxbridge-host",
        "type": "stdio",
        "allowed_origins": [EXTENSION_ORIGIN],
    }
    assert manifest_problem(text, OS.LINUX) is None


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"name": "org.other.host"}, "its name is not"),
        ({"type": "pipe"}, "its type is not 'stdio'"),
        ({"path": "relative/launcher"}, "not absolute"),
        ({"path": 3}, "names no launcher"),
        (
            {"allowed_origins": ["chrome-extension://abcdefghijklmnopabcdefghijklmnop/"]},
            "does not allow",
        ),
    ],
)
def test_manifest_problems_are_named(change: dict, problem: str) -> None:
    manifest = json.loads(manifest_text(Path("/x/launcher"), allowed_origins()))
    found = manifest_problem(json.dumps({**manifest, **change}), OS.LINUX)
    assert found is not None and problem in found


def test_a_relative_launcher_path_is_fine_on_windows_only() -> None:
    text = manifest_text(Path("foxbridge-host.cmd"), allowed_origins())
    assert manifest_problem(text, OS.WINDOWS) is None
    assert manifest_problem(text, OS.MACOS) == "its launcher path is not absolute"


def test_origin_shape() -> None:
    assert is_origin(EXTENSION_ORIGIN)
    assert not is_origin(EXTENSION_ORIGIN.upper())
    assert not is_origin("chrome-extension://abcdefghijklmnopabcdefghijklmnoz/")
    assert not is_origin("chrome-extension://*/")


def test_the_posix_launcher_quotes_an_odd_python_path() -> None:
    script = launcher_script(OS.LINUX, ODD_PYTHON, {})
    last = script.splitlines()[-1]
    assert shlex.split(last) == ["exec", str(ODD_PYTHON), "-m", "host", "$@"]


def test_the_systemd_unit_escapes_specifiers_and_variables() -> None:
    unit = autostart.systemd_unit(ODD_PYTHON, {})
    exec_line = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert exec_line == (
        'ExecStart="/home/o\'brien/my env/100%% $$HOME/bin/python" "-m" "daemon" "daemon"'
    )


def test_the_desktop_entry_quotes_as_the_spec_says() -> None:
    entry = autostart.desktop_entry(ODD_PYTHON, {"FOXBRIDGE_HOME": "/tmp/fb"})
    exec_line = next(line for line in entry.splitlines() if line.startswith("Exec="))
    assert exec_line == (
        'Exec=env FOXBRIDGE_HOME=/tmp/fb "/home/o\'brien/my env/100%% \\\\$HOME/bin/python" '
        "-m daemon daemon"
    )


def test_the_launchd_plist_carries_the_environment(tmp_path: Path) -> None:
    agent = plistlib.loads(
        autostart.launchd_plist(ODD_PYTHON, {"FOXBRIDGE_HOME": "/x"}, tmp_path / "log").encode()
    )
    assert agent["ProgramArguments"][0] == str(ODD_PYTHON)
    assert agent["EnvironmentVariables"] == {"FOXBRIDGE_HOME": "/x"}
    assert agent["StandardErrorPath"] == str(tmp_path / "log")


def test_the_windows_run_command_uses_the_windowless_python() -> None:
    python = Path("C:/Users/Ana Lee/AppData/Local/foxbridge/venv/Scripts/python.exe")
    command = autostart.windows_run_command(python)
    assert command.startswith('"C:')
    assert 'pythonw.exe" -m daemon daemon' in command.replace("\\", "/")


def test_the_memory_registry_drops_a_key_once_empty() -> None:
    registry = MemoryRegistry()
    registry.set(r"Software\A", "x")
    registry.set(r"Software\A", "y", "named")
    assert registry.get(r"software\a") == "x"  # keys and names ignore case, as on Windows
    registry.delete(r"Software\A")
    assert registry.get(r"Software\A", "named") == "y"
    registry.delete(r"Software\A", "named")
    assert registry.keys == {}


def test_the_install_record_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    record = InstallRecord(autostart="xdg")
    record.add_file(tmp_path / "a")
    record.add_file(tmp_path / "a")
    record.add_registry(r"Software\K", "")
    record.save(path)
    assert InstallRecord.load(path) == record
    assert record.files == [str(tmp_path / "a")]
    assert InstallRecord.load(tmp_path / "missing.json").empty


@pytest.mark.parametrize(
    "content",
    ["{oops", "[]", '{"files": "a"}', '{"registry": [["only-one"]]}', '{"autostart": 3}'],
)
def test_a_damaged_install_record_is_a_plain_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "record.json"
    path.write_text(content)
    with pytest.raises(InstallRecordError, match="install record"):
        InstallRecord.load(path)

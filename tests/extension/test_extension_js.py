"""The extension's JavaScript: its unit tests (``node --test``) and its lint (eslint)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXTENSION = ROOT / "extension"
TESTS = Path(__file__).resolve().parent

NODE = shutil.which("node")
NPM = shutil.which("npm")

pytestmark = pytest.mark.skipif(
    NODE is None or NPM is None, reason="node and npm are needed for the extension's tests"
)


@pytest.fixture(scope="module")
def node_modules() -> Path:
    """The extension's development packages, installed from its lock file when missing."""
    folder = EXTENSION / "node_modules"
    if not (folder / ".bin" / "eslint").exists():
        command = "ci" if (EXTENSION / "package-lock.json").exists() else "install"
        subprocess.run(
            [NPM, command, "--no-audit", "--no-fund"],
            cwd=EXTENSION,
            check=True,
            capture_output=True,
            timeout=600,
        )
    return folder


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_unit_tests_pass() -> None:
    files = sorted(str(path) for path in TESTS.glob("*.test.mjs"))
    assert files, "no JavaScript test files found"
    result = run([NODE, "--test", *files], cwd=ROOT)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout


def test_eslint_is_clean(node_modules: Path) -> None:
    result = run([str(node_modules / ".bin" / "eslint"), "--max-warnings=0", "."], cwd=EXTENSION)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]

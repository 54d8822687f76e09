"""`make run` on a machine without python3.11: the first supported Python is used, and with none
the error says which to install."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAKE = shutil.which("make")
PYTHONS = re.search(r"^PYTHONS := (.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE).group(1).split()

pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")


def make(tmp_path: Path, working: set[str], *args: str) -> subprocess.CompletedProcess:
    """`make` in a fresh checkout whose PATH holds only fake interpreters: those in `working` run,
    the others fail like a pyenv shim for a version that is not installed."""
    for name in ("Makefile", "requirements.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in PYTHONS:
        (bin_dir / name).write_text(f"#!/bin/sh\nexit {0 if name in working else 127}\n")
        (bin_dir / name).chmod(0o755)
    env = {**os.environ, "PATH": str(bin_dir)}
    env.pop("PYTHON", None)
    return subprocess.run([MAKE, *args], cwd=tmp_path, env=env, capture_output=True, text=True)


def test_the_supported_pythons_are_3_11_to_3_13():
    assert PYTHONS == ["python3.11", "python3.12", "python3.13"]


@pytest.mark.parametrize("found", ["python3.12", "python3.13"])
def test_without_python3_11_the_first_supported_one_makes_the_venv(tmp_path, found):
    run = make(tmp_path, {found, "python3.13"}, "-n", "run")
    assert run.returncode == 0, run.stderr
    assert f"{found} -m venv .venv" in run.stdout


def test_python3_11_comes_first(tmp_path):
    run = make(tmp_path, set(PYTHONS), "-n", "run")
    assert "python3.11 -m venv .venv" in run.stdout


def test_with_no_supported_python_the_error_says_which_to_install(tmp_path):
    run = make(tmp_path, set(), "run")
    assert run.returncode != 0
    assert "No supported Python found: install one of python3.11 python3.12 python3.13" in run.stdout
    assert "PYTHON=" in run.stdout
    assert not (tmp_path / ".venv").exists()


def test_the_readme_names_the_supported_versions():
    readme = (ROOT / "README.md").read_text()
    for name in PYTHONS:
        assert f"`{name}`" in readme, name

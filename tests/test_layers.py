"""The stages of wganlib import only the stages below them, and what the workflow's rules import
runs without TensorFlow: the contracts of .importlinter, checked by import-linter (not by review)."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).parent / "lint-imports"


def lint(scripts: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT), "--no-cache", "--no-logo", str(ROOT / ".importlinter")],
        cwd=ROOT,
        env={"PYTHONPATH": str(scripts), "PATH": str(LINT.parent)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_contract_holds():
    result = lint(ROOT / "workflow" / "scripts")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def test_an_upward_import_fails_with_the_import_named(tmp_path):
    shutil.copytree(ROOT / "workflow" / "scripts" / "wganlib", tmp_path / "wganlib")
    with open(tmp_path / "wganlib" / "measures" / "metrics.py", "a") as f:
        f.write("\nfrom wganlib.verdicts import claims  # a measure that reads the verdicts\n")
    with open(tmp_path / "wganlib" / "verdicts" / "tracking.py", "a") as f:
        f.write("\nimport tensorflow  # a verdict that needs TensorFlow\n")
    result = lint(tmp_path)
    assert result.returncode == 1
    assert "wganlib.measures.metrics -> wganlib.verdicts.claims" in result.stdout
    assert "wganlib.verdicts.tracking -> tensorflow" in result.stdout
    assert "1 kept, 2 broken" in result.stdout  # the figures still do not read the claims

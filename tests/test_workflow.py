"""The workflow as a user meets it: lint, format, the plan, which rules load TensorFlow, and a
tiny grid run end to end through Snakemake."""

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "workflow" / "scripts"
BIN = Path(sys.executable).parent
# Rules that do not train or evaluate networks: they must start without TensorFlow.
NO_TENSORFLOW = ("download_dataset.py", "make_gif.py", "figures.py", "summary.py")


def snakemake(*args, cwd=ROOT, check=True):
    run = subprocess.run([str(BIN / "snakemake"), *args], cwd=cwd, capture_output=True, text=True)
    if check:
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run


def test_lint_is_clean():
    run = snakemake("--lint")
    assert "Congratulations" in run.stdout + run.stderr


def test_snakefmt_is_clean():
    files = [ROOT / "Snakefile", *sorted((ROOT / "workflow" / "rules").glob("*.smk"))]
    run = subprocess.run([str(BIN / "snakefmt"), "--check", *map(str, files)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_default_run_is_planned():
    run = snakemake("-n", "--cores", "2", "--quiet", "rules")
    assert "train" in run.stdout and "figures" in run.stdout


def imported_modules(path: Path, seen: set[Path] | None = None) -> set[str]:
    """Every module that `path` imports, following imports of the project's own package."""
    seen = seen if seen is not None else set()
    seen.add(path)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = "wganlib" if node.level and path.parent.name == "wganlib" else (node.module or "")
            module = f"{base}.{node.module}" if node.level and node.module else base
            names = [module] + [f"{module}.{alias.name}" for alias in node.names]
        for name in names:
            found.add(name)
            local = SCRIPTS / (name.replace(".", "/") + ".py")
            if name.startswith("wganlib") and local.exists() and local not in seen:
                found |= imported_modules(local, seen)
    return found


@pytest.mark.parametrize("script", NO_TENSORFLOW)
def test_rules_that_do_not_train_do_not_import_tensorflow(script):
    modules = imported_modules(SCRIPTS / script)
    heavy = sorted(m for m in modules if m.split(".")[0] in ("tensorflow", "keras"))
    assert not heavy, f"{script} imports {heavy}"


def test_the_check_above_can_fail():
    assert any(m.startswith("tensorflow") for m in imported_modules(SCRIPTS / "train.py"))


# -- a tiny grid, end to end ----------------------------------------------------------------------

TINY = {
    "datasets": ["mnist-5k"],
    "models": ["dcgan", "wgan", "wgan-gp"],
    "architectures": ["conv", "mlp"],
    "seeds": [0],
    "training": {"generator_iterations": 20, "batch_size": 32, "z_dim": 8, "snapshot_every": 5, "checkpoint_every": 10, "log_every": 10},
    "model_settings": {"wgan": {"critic_burst": {"iterations": 10, "first": 2, "every": 500}}},
    "architecture_definitions": {
        "conv": {"generator": {"type": "conv", "width": 4}, "critic": {"type": "conv", "width": 4}},
        "mlp": {"generator": {"type": "mlp", "width": 16, "depth": 2}, "critic": {"type": "conv", "width": 4}},
    },
    "overrides": {},
    "evaluation": {"final_samples": 200, "snapshot_samples": 100, "kid_subsets": 5, "kid_subset_size": 50, "classifier_epochs": 1},
}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    for name in ("Snakefile", "workflow"):
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, root / name)
    (root / "config").mkdir()
    (root / "config" / "config.yaml").write_text(yaml.safe_dump(TINY))
    snakemake("--cores", "2", cwd=root)
    return root


@pytest.mark.slow
def test_tiny_grid_produces_every_output(tiny_run):
    results = tiny_run / "results" / "mnist-5k"
    experiments = [f"{m}-{a}-s0" for m in TINY["models"] for a in TINY["architectures"]]
    for name in experiments:
        folder = results / name
        for output in ("generator.keras", "metrics.csv", "status.json", "config.yaml", "samples.png", "samples.npz", "training.gif", "training_frames.png", "evaluation.json"):
            assert (folder / output).stat().st_size > 0, folder / output
        assert sorted(p.name for p in (folder / "frames").iterdir()) == [f"iter_{i:06d}.png" for i in (5, 10, 15, 20)]
        assert len(list((folder / "snapshots").glob("*.weights.h5"))) == 4
        evaluation = json.loads((folder / "evaluation.json").read_text())
        assert [row["generator_iteration"] for row in evaluation["over_training"]] == [5, 10, 15, 20]
        assert np.isfinite(evaluation["final"]["fid"])
        assert json.loads((folder / "status.json").read_text())["status"] == "completed"
    for figure in ("em_estimate", "js_estimate", "samples", "summary"):
        for suffix in ("png", "pdf"):
            assert (results / "figures" / f"{figure}.{suffix}").stat().st_size > 1000
    summary = (results / "summary.csv").read_text().splitlines()
    assert len(summary) == 1 + len(experiments)
    assert "reproduced" in (results / "summary.md").read_text()


@pytest.mark.slow
def test_tiny_grid_rerun_does_nothing_and_report_builds(tiny_run):
    run = snakemake("-n", "--cores", "2", cwd=tiny_run)
    assert "Nothing to be done" in run.stdout + run.stderr
    snakemake("--report", "report.html", cwd=tiny_run)
    assert (tiny_run / "report.html").stat().st_size > 10_000


@pytest.mark.slow
def test_wgan_metrics_follow_the_schedule(tiny_run):
    import csv

    rows = list(csv.DictReader(open(tiny_run / "results/mnist-5k/wgan-conv-s0/metrics.csv")))
    assert [int(r["critic_iterations"]) for r in rows[:3]] == [10, 10, 5]
    assert all(r["js_estimate"] == "nan" and r["em_estimate"] != "nan" for r in rows)

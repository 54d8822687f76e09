"""The workflow as a user meets it: lint, format, the plan, which rules load TensorFlow, and a
tiny grid run end to end through Snakemake."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from wganlib.plan import objectives, provenance

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "workflow" / "scripts"
BIN = Path(sys.executable).parent
# Rules that do not train or evaluate networks: they must start without TensorFlow.
NO_TENSORFLOW = (
    "download_dataset.py",
    "download_inception.py",
    "make_gif.py",
    "figures.py",
    "summary.py",
    "random_architectures.py",
)


from conftest import TINY, copy_workflow, snakemake  # noqa: E402


def test_lint_is_clean():
    run = snakemake("--lint")
    assert "Congratulations" in run.stdout + run.stderr


def test_snakefmt_is_clean():
    files = [ROOT / "workflow" / "Snakefile", *sorted((ROOT / "workflow" / "rules").glob("*.smk"))]
    run = subprocess.run([str(BIN / "snakefmt"), "--check", *map(str, files)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.mark.parametrize("command", [["format", "--check"], ["check"]], ids=["format", "lint"])
def test_ruff_is_clean(command):
    """One style for the Python code (ruff.toml), as snakefmt for the rules."""
    run = subprocess.run([str(BIN / "ruff"), *command, str(ROOT)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_default_run_is_planned():
    run = snakemake("-n", "--cores", "2", "--quiet", "rules")
    assert "train" in run.stdout and "figures" in run.stdout


def imported_modules(script: Path) -> set[str]:
    return set(provenance.imported_modules(script, SCRIPTS))


@pytest.mark.parametrize("script", NO_TENSORFLOW)
def test_rules_that_do_not_train_do_not_import_tensorflow(script):
    modules = imported_modules(SCRIPTS / script)
    heavy = sorted(m for m in modules if m.split(".")[0] in ("tensorflow", "keras"))
    assert not heavy, f"{script} imports {heavy}"


def test_the_check_above_can_fail():
    assert any(m.startswith("tensorflow") for m in imported_modules(SCRIPTS / "train.py"))


def test_code_digest_follows_packages_and_relative_imports(tmp_path):
    """`wganlib.sub` is `wganlib/sub/__init__.py`, and `.x` inside `wganlib/sub/` is `wganlib/sub/x.py`."""
    files = {
        "script.py": "from wganlib import sub\n",
        "wganlib/__init__.py": "",
        "wganlib/util.py": "import json\n",
        "wganlib/inner.py": "",  # a decoy: `.inner` inside wganlib/sub/ is not this one
        "wganlib/sub/__init__.py": "from .inner import thing\n",
        "wganlib/sub/inner.py": "from ..util import helper\nfrom .deep import leaf\n",
        "wganlib/sub/deep/__init__.py": "",
        "wganlib/sub/deep/leaf.py": "from ...util import helper\nfrom .. import inner\n",
        "wganlib/unused.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    found = [p.relative_to(tmp_path).as_posix() for p in provenance.source_files(tmp_path / "script.py")]
    assert found == sorted(set(files) - {"wganlib/inner.py", "wganlib/unused.py"})
    assert provenance.imported_modules(tmp_path / "wganlib/sub/deep/leaf.py", tmp_path)["json"] is None
    before = provenance.code_digest(tmp_path / "script.py")
    (tmp_path / "wganlib/sub/deep/leaf.py").write_text("from ...util import helper\n")
    after = provenance.code_digest(tmp_path / "script.py")
    assert after != before
    (tmp_path / "wganlib/unused.py").write_text("x = 1\n")
    (tmp_path / "wganlib/inner.py").write_text("x = 1\n")
    assert provenance.code_digest(tmp_path / "script.py") == after  # files the script does not run


def test_benchmark_digest_covers_the_bench_package():
    found = set(provenance.source_files(SCRIPTS / "benchmark.py"))
    assert set((SCRIPTS / "wganlib" / "bench").glob("*.py")) <= found


@pytest.mark.parametrize(
    ("script", "package"),
    [
        ("figures.py", "report/plots"),
        ("random_architectures.py", "report/plots"),
        ("download_dataset.py", "datasets"),
        ("train.py", "datasets"),
        ("train_classifier.py", "datasets"),
    ],
)
def test_an_edit_to_any_module_of_a_package_changes_the_digest_of_its_scripts(script, package, tmp_path):
    """`from wganlib import plots` runs plots/__init__.py, which imports the package's other modules."""
    scripts = tmp_path / "scripts"
    shutil.copytree(SCRIPTS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    modules = sorted((scripts / "wganlib" / package).glob("*.py"))
    assert len(modules) > 1 and set(modules) <= set(provenance.source_files(scripts / script))
    for module in modules:
        before = provenance.code_digest(scripts / script)
        module.write_text(module.read_text() + "\n# an edit\n")
        assert provenance.code_digest(scripts / script) != before, module.name


# -- a tiny grid, end to end (the tiny_run fixture is in conftest.py) ------------------------------


@pytest.mark.slow
def test_tiny_grid_produces_every_output(tiny_run):
    results = tiny_run / "results" / "mnist-5k"
    experiments = [f"{m}-{a}-s0" for m in TINY["models"] for a in TINY["architectures"]]
    for name in experiments:
        folder = results / name
        for output in (
            "generator.keras",
            "metrics.csv",
            "status.json",
            "config.yaml",
            "samples.png",
            "samples.npz",
            "training.gif",
            "training_frames.png",
            "evaluation.json",
            "quality.tfevents",
        ):
            assert (folder / output).stat().st_size > 0, folder / output
        status = json.loads((folder / "status.json").read_text())
        if name in TINY["overrides"]:  # made to diverge: its frames end where it stopped
            assert status["status"] == "diverged"
            continue
        assert status["status"] == "completed"
        assert sorted(p.name for p in (folder / "frames").glob("iter_*.png")) == [
            f"iter_{i:06d}.png"
            for i in (0, 5, 10, 15, 20)  # 0: the untrained generator
        ]
        assert len(list((folder / "snapshots").glob("*.weights.h5"))) == 5
        evaluation = json.loads((folder / "evaluation.json").read_text())
        assert [row["generator_iteration"] for row in evaluation["over_training"]] == [0, 5, 10, 15, 20]
        assert np.isfinite(evaluation["final"]["fid"])
    for figure in ("em_estimate", "js_estimate", "samples", "summary"):
        for suffix in ("png", "pdf"):
            assert (results / "figures" / f"{figure}.{suffix}").stat().st_size > 1000
    summary = (results / "summary.csv").read_text().splitlines()
    assert len(summary) == 1 + len(experiments)
    claims = (results / "summary.md").read_text()
    assert "inconclusive" in claims or "reproduced" in claims


@pytest.mark.slow
def test_tensorboard_finds_every_run_beside_its_results(tiny_run):
    """`tensorboard --logdir results`: each run's scalars and sample images, named by experiment."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    for model in TINY["models"]:
        name = f"{model}-conv-s0"
        folder = tiny_run / "results" / "mnist-5k" / name / "tensorboard"
        assert list(folder.glob("events.out.tfevents.*")), folder
        events = EventAccumulator(str(folder), size_guidance={"tensors": 0, "images": 0}).Reload()
        tags = set(events.Tags()["tensors"]) | set(events.Tags()["scalars"]) | set(events.Tags()["images"])
        assert {"critic/loss", "generator/loss", "critic/estimate", f"samples/{name}"} <= tags, tags
        estimate = objectives.estimate_of(model).column  # under the tag every model shares
        steps = [event.step for event in events.Tensors("critic/estimate")]
        # every iteration up to where the run stopped, less a non-finite value at a divergence
        metrics = pd.read_csv(folder.parent / "metrics.csv")
        status = json.loads((folder.parent / "status.json").read_text())
        assert len(metrics) == status["generator_iterations"]
        finite = metrics.loc[np.isfinite(metrics[estimate]), "generator_iteration"].tolist()
        assert steps == finite and finite[:-1] == list(range(1, len(metrics))), steps
        # FID at every snapshot, from the evaluation, in the run named by the experiment
        quality = EventAccumulator(str(folder.parent / "quality.tfevents"), size_guidance={"tensors": 0}).Reload()
        evaluation = json.loads((folder.parent / "evaluation.json").read_text())["over_training"]
        assert [e.step for e in quality.Tensors("quality/fid")] == [r["generator_iteration"] for r in evaluation]


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


@pytest.mark.slow
def test_fashion_mnist_materialises_through_the_rule_from_the_debian_package(tmp_path):
    if not Path("/usr/share/datasets/fashion-mnist").is_dir():
        pytest.skip("Debian's dataset-fashion-mnist is not installed (.ci/run installs it)")
    # A dead loopback mirror: the data must come from the offline Debian copy.
    copy_workflow(
        tmp_path, {"datasets": ["fashion-mnist"], "data": {"mirrors": {"fashion-mnist": ["http://127.0.0.1:9/"]}}}
    )
    snakemake("--cores", "1", "resources/datasets/fashion-mnist.npz", cwd=tmp_path)
    manifest = json.loads((tmp_path / "resources/datasets/fashion-mnist.manifest.json").read_text())
    assert manifest["source"]["kind"] == "offline-dir"
    assert manifest["counts"] == {"train": 60000, "test": 10000}
    assert {f["verified_by"] for f in manifest["files"]} == {"content-sha256"}


def test_every_rule_names_a_conda_environment_in_the_top_level_envs_folder():
    assert not (ROOT / "workflow" / "envs").exists()
    for rules in (ROOT / "workflow" / "rules").glob("*.smk"):
        text = rules.read_text()
        envs = re.findall(r"^    conda:\n        \"([^\"]+)\"", text, re.MULTILINE)
        assert len(envs) == len(re.findall(r"^rule ", text, re.MULTILINE)), rules.name
        for env in envs:
            path = (rules.parent / env).resolve()
            assert path.parent == ROOT / "envs" and path.is_file(), f"{rules.name}: {env}"


def test_conda_environments_pin_what_requirements_pin():
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.strip().lower()] = version.strip()
    envs = sorted((ROOT / "envs").glob("*.yaml"))
    assert envs
    for env in envs:
        spec = yaml.safe_load(env.read_text())
        pip = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict))
        assert pip, env
        for requirement in pip:
            name, version = requirement.split("==")
            assert pins.get(name.lower()) == version, (
                f"{env.name}: {requirement} but requirements.txt pins {pins.get(name.lower())}"
            )
        assert "python=3.11" in spec["dependencies"]

"""Rerun exactly what changed: after one full run of the tiny grid, each edit a user makes plans
exactly the jobs it affects (asserted as the set of jobs `snakemake -n` plans)."""

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from conftest import TINY, snakemake

pytestmark = pytest.mark.slow

EXPERIMENTS = [f"{m}-{a}-s0" for m in TINY["models"] for a in TINY["architectures"]]
PER_EXPERIMENT = ("train", "make_gif", "evaluate")
AGGREGATES = {"figures:mnist-5k", "summary:mnist-5k"}


def planned(root: Path) -> set[str]:
    """The jobs a dry run plans, as 'rule:experiment' (or 'rule:dataset' for per-dataset rules)."""
    output = snakemake("-n", "--cores", "2", cwd=root).stdout
    jobs = set()
    for block in re.split(r"\n(?=(?:local)?rule \S+:)", output):
        head = re.match(r"(?:local)?rule (\S+):", block.strip())
        if not head or head.group(1) == "all":
            continue
        wildcards = dict(re.findall(r"(\w+)=([^,\s]+)", (re.search(r"wildcards: (.*)", block) or [None, ""])[1]))
        jobs.add(f"{head.group(1)}:{wildcards.get('experiment') or wildcards.get('dataset')}")
    return jobs


def downstream_of_training(*experiments: str) -> set[str]:
    return {f"{rule}:{e}" for e in experiments for rule in PER_EXPERIMENT} | AGGREGATES


@pytest.fixture()
def run(tiny_run):
    """The finished tiny run; the files a test edits are restored afterwards."""
    saved = {p: p.read_bytes() for p in [tiny_run / "config/config.yaml", *(tiny_run / "workflow").rglob("*.py")]}
    yield tiny_run
    for path, content in saved.items():
        path.write_bytes(content)


def edit_config(root: Path, change) -> None:
    config = yaml.safe_load((root / "config/config.yaml").read_text())
    change(config)
    (root / "config/config.yaml").write_text(yaml.safe_dump(config))


def test_1_nothing_changed_nothing_to_do(run):
    assert planned(run) == set()


def test_2_one_learning_rate_reruns_that_experiment_and_the_aggregates(run):
    edit_config(run, lambda c: c["overrides"].update({"wgan-conv-s0": {"learning_rate": 1.0e-4}}))
    assert planned(run) == downstream_of_training("wgan-conv-s0")


def test_3_a_plotting_key_reruns_only_the_aggregates(run):
    # median_window smooths the curves of the figures and the correlations of the summary
    edit_config(run, lambda c: c.setdefault("figures", {}).update({"median_window": 5}))
    assert planned(run) == AGGREGATES


def test_3b_a_gif_key_reruns_only_the_gifs(run):
    edit_config(run, lambda c: c.setdefault("figures", {}).update({"gif_frame_duration": 0.2}))
    assert planned(run) == {f"make_gif:{e}" for e in EXPERIMENTS}


def test_3c_the_sampling_mode_reruns_the_evaluations_and_gifs_not_training(run):
    """evaluation.sampling reaches the evaluate and make_gif rules as a param; the training job drew
    its frames both ways, so no fixed-budget run trains again."""
    edit_config(run, lambda c: c["evaluation"].update({"sampling": "batch_statistics"}))
    assert planned(run) == {f"{rule}:{e}" for e in EXPERIMENTS for rule in ("evaluate", "make_gif")} | AGGREGATES


def test_4_a_new_seed_runs_only_the_new_experiments_and_the_aggregates(run):
    edit_config(run, lambda c: c.update({"seeds": [0, 1]}))
    assert planned(run) == downstream_of_training(*(e.replace("-s0", "-s1") for e in EXPERIMENTS))


def test_5_reordered_keys_and_edited_comments_change_nothing(run):
    config = yaml.safe_load((run / "config/config.yaml").read_text())
    reordered = dict(reversed(list(config.items())))
    reordered["training"] = dict(reversed(list(config["training"].items())))
    text = "# a comment of the user's\n" + yaml.safe_dump(reordered, sort_keys=False) + "# another\n"
    (run / "config/config.yaml").write_text(text)
    assert planned(run) == set()


def test_6a_model_code_edited_reruns_training_and_everything_after(run):
    models = run / "workflow/scripts/wganlib/train/models.py"
    models.write_text(models.read_text() + "\n# an edit\n")
    assert planned(run) == downstream_of_training(*EXPERIMENTS)


def test_6b_plotting_code_edited_reruns_only_the_figures(run):
    plots = run / "workflow/scripts/wganlib/report/plots/summary.py"  # a module of the package wganlib/report/plots/
    plots.write_text(plots.read_text() + "\n# an edit\n")
    assert planned(run) == {"figures:mnist-5k"}


def test_7_touched_files_as_a_fresh_clone_change_nothing(run):
    later = time.time() + 5
    for path in run.rglob("*"):
        if ".snakemake" not in path.parts and not path.is_symlink():
            os.utime(path, (later, later))
    assert planned(run) == set()


def test_8a_results_copied_with_their_times_change_nothing(tiny_run, tmp_path):
    copy = shutil.copytree(tiny_run, tmp_path / "copy", symlinks=True)  # like cp -a or rsync -a
    assert planned(copy) == set()


def test_8b_results_copied_without_their_times_need_one_touch(tiny_run, tmp_path):
    """`cp -r` gives every file the time it was copied at. Snakemake 9 compares times, whatever the
    rerun-triggers, for folders and for files over 1 MB (it checksums only smaller ones), so the copy
    plans jobs again; `snakemake --touch` once makes outputs newer than inputs, changing no content."""
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(tiny_run), str(copy)], check=True)
    # An order a copy can produce: the frame folders and the evaluation classifier (2.8 MB) last.
    # (Times in the past: --touch refuses outputs older than their inputs.)
    copied = time.time() - 60
    for path in copy.rglob("*"):
        if ".snakemake" not in path.parts and not path.is_symlink():
            os.utime(path, (copied, copied))
    for path in [
        *copy.glob("results/*/*/frames/.snakemake_timestamp"),
        copy / "results/mnist-5k/evaluation/classifier.keras",
    ]:
        os.utime(path, (copied + 30, copied + 30))
    assert {f"make_gif:{e}" for e in EXPERIMENTS} | {f"evaluate:{e}" for e in EXPERIMENTS} | AGGREGATES <= planned(copy)
    results = sorted(p for p in (copy / "results").rglob("*") if p.is_file())
    before = [p.read_bytes() for p in results]
    snakemake("--touch", "--cores", "1", cwd=copy)
    assert planned(copy) == set()
    assert [p.read_bytes() for p in results] == before
    assert sorted(p for p in (copy / "results").rglob("*") if p.is_file()) == results
    # and reruns stay exact afterwards
    edit_config(copy, lambda c: c.setdefault("figures", {}).update({"median_window": 5}))
    assert planned(copy) == AGGREGATES


def test_9_the_monitors_settings_rerun_the_monitored_runs_only(run):
    """A run that stops at convergence depends on the convergence rule's thresholds: changing one
    reruns it (and the aggregates, whose verdicts read it too), not the fixed-budget runs; a
    figure setting reruns no training."""
    monitored = "wgan-conv-s0"
    original = (run / "config/config.yaml").read_bytes()
    try:
        watch = {"stop_at_convergence": True, "min_iterations": 10}
        edit_config(run, lambda c: c["overrides"].update({monitored: watch}))
        assert planned(run) == downstream_of_training(monitored)
        snakemake("--cores", "2", cwd=run)
        status = yaml.safe_load((run / f"results/mnist-5k/{monitored}/status.json").read_text())
        assert status["stop_reason"] in ("plateaued", "maximum") and status["monitor_fid"]
        edit_config(run, lambda c: c.setdefault("claims", {}).update({"still_improving": 0.2}))
        assert planned(run) == downstream_of_training(monitored)
        edit_config(run, lambda c: c["claims"].pop("still_improving"))
        # the monitor measures as the evaluation draws: the sampling mode retrains the monitored run
        edit_config(run, lambda c: c["evaluation"].update({"sampling": "batch_statistics"}))
        evaluations = {f"{rule}:{e}" for e in EXPERIMENTS for rule in ("evaluate", "make_gif")}
        assert planned(run) == downstream_of_training(monitored) | evaluations
        edit_config(run, lambda c: c["evaluation"].pop("sampling"))
        edit_config(run, lambda c: c.setdefault("figures", {}).update({"median_window": 5}))
        assert planned(run) == AGGREGATES
    finally:  # the tiny run as the other tests find it: retrained from scratch, not resumed from its
        # last checkpoint (a resumed run's TensorBoard events repeat the steps after that checkpoint)
        (run / "config/config.yaml").write_bytes(original)
        shutil.rmtree(run / f"results/mnist-5k/{monitored}/train_state")
        snakemake("--cores", "2", cwd=run)


def test_the_assertions_above_can_fail(run):
    shutil.rmtree(run / "results/mnist-5k/figures")
    try:
        assert planned(run) == {"figures:mnist-5k"}
    finally:
        snakemake("--cores", "2", cwd=run)

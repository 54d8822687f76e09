"""A run read from its files and the numbers that describe it, which the figures, the summary and
the claims all read; and the modules' layering (the figures never import the claims)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from wganlib.verdicts import runs

PACKAGE = Path(__file__).resolve().parents[1] / "workflow" / "scripts" / "wganlib"


def synthetic_run(model, seed=0, *, n=500, every=100, diverged_at=None, evaluated=True):
    """EM / JS estimates that fall with iterations; FID falls too (perfectly correlated)."""
    stop = diverged_at or n
    it = np.arange(1, stop + 1)
    estimate = 1000.0 / it
    metrics = pd.DataFrame(
        {
            "generator_iteration": it,
            "em_estimate": estimate if model != "dcgan" else np.nan,
            "js_estimate": estimate if model == "dcgan" else np.nan,
        }
    )
    snapshots = range(every, stop + 1, every)
    over = [{"generator_iteration": s, "fid": 100.0 * every / s, "modes_covered": 10} for s in snapshots]
    evaluation = {
        "final": {
            "fid": over[-1]["fid"],
            "kid": 0.1,
            "kid_std": 0.01,
            "classifier_score": 8.0,
            "modes_covered": 10,
            "class_kl": 0.2,
            "n_samples": 100,
        },
        "over_training": over,
    }
    return {
        "experiment": f"{model}-conv-s{seed}",
        "dataset": "mnist-5k",
        "model": model,
        "architecture": "conv",
        "seed": seed,
        "status": "diverged" if diverged_at else "completed",
        "diverged_at": diverged_at,
        "generator_iterations": stop,
        "wall_time_s": 1.0,
        "metrics": metrics,
        "evaluation": evaluation if evaluated else None,
    }


def write_run(run: dict, directory: Path) -> Path:
    """The files the workflow writes for one experiment."""
    directory.mkdir(parents=True)
    run["metrics"].to_csv(directory / "metrics.csv", index=False)
    status = {key: run[key] for key in ("status", "generator_iterations", "diverged_at", "wall_time_s")}
    (directory / "status.json").write_text(json.dumps(status))
    (directory / "evaluation.json").write_text(json.dumps(run["evaluation"]))
    return directory


def test_load_run_reads_the_files(tmp_path):
    directory = write_run(synthetic_run("wgan"), tmp_path / "mnist-5k" / "wgan-conv-s0")
    loaded = runs.load_run(directory, model="wgan", architecture="conv", seed=0)
    assert loaded["experiment"] == "wgan-conv-s0" and loaded["dataset"] == "mnist-5k"
    assert loaded["status"] == "completed" and loaded["model"] == "wgan"
    assert len(loaded["metrics"]) == 500 and loaded["dir"] == directory
    assert loaded["evaluation"]["over_training"][0]["generator_iteration"] == 100
    (directory / "evaluation.json").unlink()
    assert runs.load_run(directory)["evaluation"] is None


def test_load_runs_takes_the_grid_as_the_workflow_lists_it(tmp_path):
    directory = write_run(synthetic_run("dcgan", 3), tmp_path / "mnist-5k" / "dcgan-conv-s3")
    cell = {
        "dir": str(directory),
        "experiment": "dcgan-conv-s3",
        "dataset": "mnist-5k",
        "model": "dcgan",
        "architecture": "conv",
        "seed": 3,
    }
    [loaded] = runs.load_runs([cell])
    assert loaded["dir"] == directory and loaded["seed"] == 3 and loaded["model"] == "dcgan"


def test_summary_rows_numbers():
    grid = [
        synthetic_run("wgan"),
        synthetic_run("dcgan"),
        synthetic_run("wgan-gp", 1, diverged_at=250),
        synthetic_run("wgan", 2, evaluated=False),
    ]
    rows = runs.summary_rows(grid, {"fid": 2.0}, good_fid=30.0, median_window=5)
    assert [r["experiment"] for r in rows] == [r["experiment"] for r in grid]
    assert set(rows[0]) == set(runs.SUMMARY_COLUMNS) | set(runs.EXTRA_METRIC_KEYS) | {"curves"}  # not a file column
    assert runs.summary_columns(rows) == list(runs.SUMMARY_COLUMNS)  # no run has the extra metrics
    assert all(math.isnan(r["recall"]) for r in rows)
    wgan, dcgan, diverged, unevaluated = rows
    assert wgan["spearman_em_fid"] == pytest.approx(1.0) and math.isnan(wgan["spearman_js_fid"])
    assert dcgan["spearman_js_fid"] == pytest.approx(1.0) and math.isnan(dcgan["spearman_em_fid"])
    assert math.isnan(diverged["spearman_em_fid"])  # only 2 snapshots before it stopped
    assert wgan["iterations_to_threshold"] == 400  # FID 25 at 400 is the first <= 30
    assert diverged["iterations_to_threshold"] is None
    assert wgan["fid"] == 20.0 and wgan["fid_above_real"] == 18.0
    assert diverged["status"] == "diverged" and diverged["diverged_at"] == 250
    assert runs.diverged(diverged) and not runs.diverged(wgan)
    assert math.isnan(unevaluated["fid"]) and unevaluated["iterations_to_threshold"] is None


def test_spearman_matches_the_definition():
    assert runs.spearman([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)
    assert runs.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert math.isnan(runs.spearman([1, 2], [1, 2]))
    assert math.isnan(runs.spearman([1, 2, 3], [5, 5, 5]))


@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_filtered_estimate_skips_bad_values(bad):
    metrics = pd.DataFrame({"generator_iteration": [1, 2, 3, 4, 5], "em_estimate": [1.0, 1.0, bad, 1.0, 1.0]})
    _, values = runs.filtered_estimate(metrics, "em_estimate", 3)
    assert np.all(values == 1.0)


# -- convergence: was FID still falling when training ended? ---------------------------------


def curve_run(fid, every=50, status="completed"):
    return {
        "status": status,
        "evaluation": {
            "over_training": [{"generator_iteration": (i + 1) * every, "fid": f} for i, f in enumerate(fid)]
        },
    }


def test_convergence_on_synthetic_fid_curves():
    rng = np.random.default_rng(0)
    t = np.arange(1, 21)
    flat = 80 + rng.normal(0, 3, 20)  # noise of a few percent around a level
    stuck = 380 + rng.normal(0, 10, 20)  # never left its starting point (a collapsed MLP generator)
    learned_early = np.r_[300, 200, 80 + rng.normal(0, 3, 18)]  # fell before the second half, flat since
    falling = np.linspace(400, 60, 20)
    decayed = 60 + 340 * np.exp(-t / 2.5)  # fell fast, flat by the second half
    noisy_falling = np.linspace(300, 100, 20) * (1 + rng.normal(0, 0.05, 20))
    assert runs.convergence(curve_run(stuck), 0.1) == "not started"
    assert runs.convergence(curve_run(flat), 0.1) == "not started"  # flat from the first snapshot on
    assert runs.convergence(curve_run(learned_early), 0.1) == "plateaued"
    assert runs.convergence(curve_run(stuck * np.r_[1.0, [0.7] * 19]), 0.1) == "plateaued"  # fell by 30%
    assert runs.convergence(curve_run(stuck * np.r_[1.0, [0.7] * 19]), 0.1, min_progress=0.4) == "not started"
    assert runs.convergence(curve_run(decayed), 0.1) == "plateaued"
    assert runs.convergence(curve_run(falling), 0.1) == "still improving"
    assert runs.convergence(curve_run(noisy_falling), 0.1) == "still improving"
    assert runs.convergence(curve_run([400, 300]), 0.1) == "too few snapshots"
    assert runs.convergence(curve_run(falling, status="diverged"), 0.1) == "diverged"
    # the threshold decides: a slow fall of about 4% over the last quarter
    slow = np.r_[300, 200, np.linspace(100, 85, 18)]
    assert runs.convergence(curve_run(slow), 0.1) == "plateaued"
    assert runs.convergence(curve_run(slow), 0.02) == "still improving"
    # flat at its start for most of training, then a fall in the last snapshots: the trend over the
    # second half is flat in most of its points, the new low in the last quarter is not
    late_start = np.r_[[470.0] * 18, 300, 217]
    assert runs.convergence(curve_run(late_start), 0.1) == "still improving"
    assert runs.convergence(curve_run(np.r_[late_start[:-2], 460, 455]), 0.1) == "not started"
    # one lucky draw inside the last quarter, the next snapshot back at the level: not a new low
    plateau = np.r_[300, 200, [80.0, 82.0] * 9]
    assert runs.convergence(curve_run(plateau), 0.1) == "plateaued"
    assert runs.convergence(curve_run(np.r_[plateau[:17], 65, 81, 80]), 0.1) == "plateaued"
    assert runs.convergence(curve_run(np.r_[plateau[:17], 65, 64, 63]), 0.1) == "still improving"


def test_summary_rows_carry_the_convergence():
    rows = runs.summary_rows([curve_run(np.linspace(400, 60, 20)) | {"model": "wgan"}], still_improving=0.1)
    assert rows[0]["convergence"] == "still improving"
    assert "convergence" in runs.SUMMARY_COLUMNS


def test_compute_axes_count_critic_updates_and_seconds_at_the_snapshots():
    """A WGAN-like schedule: 100 critic updates for the first 2 iterations, 5 after."""
    n_critic = [100, 100] + [5] * 8
    metrics = pd.DataFrame(
        {"generator_iteration": range(1, 11), "critic_iterations": n_critic, "wall_time_s": np.arange(1, 11) * 2.0}
    )
    run = {"metrics": metrics, **curve_run([300, 200, 150, 40, 30], every=2)}
    axes = runs.compute_at(run, [2, 4, 10, 12])
    assert list(axes["critic_updates"][:3]) == [200, 210, 240] and np.isnan(axes["critic_updates"][3])
    assert list(axes["wall_time_s"][:3]) == [4.0, 8.0, 20.0]
    assert runs.to_threshold(run, 50.0) == {"generator_iteration": 8.0, "critic_updates": 230.0, "wall_time_s": 16.0}
    assert all(np.isnan(v) for v in runs.to_threshold(run, 10.0).values())
    row = runs.summary_rows([run | {"model": "wgan"}], good_fid=50.0)[0]
    assert (row["iterations_to_threshold"], row["critic_updates_to_threshold"], row["seconds_to_threshold"]) == (
        8,
        230,
        16,
    )


# -- crossings of a FID level, and "not started" against the untrained generator ------------------


def test_a_crossing_counts_once_the_next_snapshot_confirms_it():
    """500-sample FIDs move by about 2 between draws: a dip under the level that the next snapshot
    does not hold is noise, not a crossing; the last snapshot stands alone."""
    run = curve_run([120, 79, 82, 78, 79, 75], every=100)
    assert runs.iterations_to_threshold(run, 80) == 400  # 200's 79 is undone at 300
    assert runs.iterations_to_threshold(curve_run([120, 90, 79], every=100), 80) == 300  # the last
    assert runs.iterations_to_threshold(curve_run([120, 79, np.nan, 70], every=100), 80) == 400
    assert runs.iterations_to_threshold(run, None) is None
    assert runs.fid_reached(run) == 75  # the last snapshot stands alone
    assert runs.fid_reached(curve_run([120, 79, 82, 78, 79, 85], every=100)) == 79  # max(78, 79), held
    assert runs.fid_reached(curve_run([120, 60, 90, 85], every=100)) == 85  # 60 was not held
    assert math.isnan(runs.fid_reached({"evaluation": None}))
    assert runs.summary_rows([run | {"model": "wgan"}], good_fid=80)[0]["fid_reached"] == 75


def test_not_started_is_measured_against_the_untrained_generator():
    """The snapshot at iteration 0 is the reference when there is one. Without it the first
    snapshot stands in, so a late first snapshot (1,000 iterations, config/paper.yaml) could
    make a run that trained look as if it had not: one that crossed good_fid has started."""
    trained_before_first_snapshot = curve_run(82 + np.random.default_rng(0).normal(0, 2, 10), every=1000)
    trained_before_first_snapshot["evaluation"]["over_training"][1]["fid"] = 78.0
    trained_before_first_snapshot["evaluation"]["over_training"][2]["fid"] = 77.0
    assert runs.convergence(trained_before_first_snapshot, 0.1) == "not started"  # no good_fid: no telling
    assert runs.convergence(trained_before_first_snapshot, 0.1, good_fid=80) == "plateaued"
    with_untrained = curve_run([85 + d for d in np.random.default_rng(1).normal(0, 2, 10)], every=1000)
    with_untrained["evaluation"]["over_training"].insert(0, {"generator_iteration": 0, "fid": 400.0})
    assert runs.convergence(with_untrained, 0.1) == "plateaued"  # fell from 400, against iteration 0
    with_untrained["evaluation"]["over_training"][0]["fid"] = 90.0  # untrained as good as trained
    assert runs.convergence(with_untrained, 0.1) == "not started"


def test_the_change_correlation_sees_tracking_beyond_a_shared_trend():
    """Two curves that fall together correlate near 1 over training whether or not one follows the
    other's moves; the correlation of their changes tells the cases apart."""
    rng = np.random.default_rng(0)
    n, every = 40, 50
    snapshots = np.arange(1, n + 1) * every
    trend = 300 * np.exp(-snapshots / 600)
    wiggle = rng.normal(0, 8, n)
    fid = trend + 30 + wiggle
    it = np.arange(1, n * every + 1)

    def run(estimate_at_snapshots):
        metrics = pd.DataFrame(
            {"generator_iteration": it, "em_estimate": np.interp(it, snapshots, estimate_at_snapshots)}
        )
        over = [{"generator_iteration": int(s), "fid": float(f)} for s, f in zip(snapshots, fid, strict=True)]
        return {"model": "wgan", "metrics": metrics, "evaluation": {"over_training": over}}

    follows = run(trend / 100 + wiggle / 100)  # moves with FID's moves
    trend_only = run(trend / 100 + rng.normal(0, 0.08, n))  # the trend, its own noise
    for r in (follows, trend_only):
        assert runs.estimate_fid_correlation(r, "em_estimate", 1) > 0.8
    assert runs.estimate_fid_change_correlation(follows, "em_estimate", 1) > 0.9
    assert abs(runs.estimate_fid_change_correlation(trend_only, "em_estimate", 1)) < 0.4
    row = runs.summary_rows([follows], median_window=1)[0]
    assert row["spearman_em_fid_changes"] > 0.9 and math.isnan(row["spearman_js_fid_changes"])

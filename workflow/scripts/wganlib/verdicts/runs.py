"""One experiment's files read into a run dict, and the numbers that describe a run.

A run is a dict: the grid's metadata (experiment, dataset, model, architecture, seed), the
status (status, diverged_at, generator_iterations, wall_time_s), ``metrics`` (metrics.csv as a
DataFrame) and ``evaluation`` (evaluation.json, or None before it exists). The figures, the
summary table and the claims all read these numbers from here, so they agree by construction.
No TensorFlow.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wganlib.judge.judges import features_of
from wganlib.measures.convergence import (  # noqa: F401 (the rule and its states are this module's API too)
    CONVERGED,
    DIVERGED,
    NOT_STARTED,
    PLATEAUED,
    STILL_IMPROVING,
    TOO_SHORT,
    UNFINISHED,
    as_float,
    convergence,
    diverged,
    fid_over_training,
    fid_reached,
    iterations_to_threshold,
)
from wganlib.plan.objectives import ESTIMATES, estimate_of

PathLike = str | os.PathLike
METRIC_KEYS = ("fid", "kid", "kid_std", "classifier_score", "modes_covered", "class_kl")
# Metrics of evaluations made since they were added (``manifold.prdc``, ``modes.confident_modes``)
# or only with a per-channel judge (``modes.stacked_modes``): NaN in a row without them; the
# summary's files show them only when a run has them (``summary_columns``), so summaries of earlier
# runs stay as they were.
EXTRA_METRIC_KEYS = (
    "precision",
    "recall",
    "density",
    "coverage",
    "prdc_samples",
    "stacked_modes",
    "stacked_kl",
    "stacked_samples",
    "stacked_confident_modes",
    "stacked_confident_samples",
)
# What a loaded run says about itself (its grid cell and how training ended).
RUN_KEYS = (
    "experiment",
    "dataset",
    "model",
    "architecture",
    "seed",
    "status",
    "diverged_at",
    "generator_iterations",
    "wall_time_s",
    "stop_reason",
    "max_iterations",
)
SUMMARY_COLUMNS = (
    *RUN_KEYS,
    *METRIC_KEYS,
    "fid_above_real",
    "spearman_em_fid",
    "spearman_js_fid",
    "spearman_em_fid_changes",
    "spearman_js_fid_changes",
    "iterations_to_threshold",
    "critic_updates_to_threshold",
    "seconds_to_threshold",
    "fid_reached",
    "fid_threshold",
    "convergence",
    "features",
)


# ---------------------------------------------------------------- loading


def load_run(experiment_dir: PathLike, **meta: Any) -> dict:
    """One experiment's metrics.csv, status.json and (if present) evaluation.json as one dict.

    ``meta`` (experiment, dataset, model, architecture, seed, ...) comes from the workflow,
    which knows the grid; the directory names only fill in experiment and dataset if absent.
    """
    experiment_dir = Path(experiment_dir)
    status = json.loads((experiment_dir / "status.json").read_text())
    evaluation_path = experiment_dir / "evaluation.json"
    run = {
        "experiment": experiment_dir.name,
        "dataset": experiment_dir.parent.name,
        "model": None,
        "architecture": None,
        "seed": None,
        "status": status.get("status"),
        "diverged_at": status.get("diverged_at"),
        "generator_iterations": status.get("generator_iterations"),
        "wall_time_s": status.get("wall_time_s"),
        # why it stopped (wganlib.train.monitor: budget, plateaued, maximum, diverged; None before they were kept)
        "stop_reason": status.get("stop_reason"),
        "max_iterations": status.get("max_iterations"),
        "metrics": pd.read_csv(experiment_dir / "metrics.csv"),
        "evaluation": json.loads(evaluation_path.read_text()) if evaluation_path.exists() else None,
        "dir": experiment_dir,
    }
    run.update(meta)
    return run


def load_runs(grid: Iterable[Mapping]) -> list[dict]:
    """Every run of the grid, as the workflow lists it: [{dir, experiment, dataset, model, ...}]."""
    return [load_run(cell["dir"], **{k: v for k, v in cell.items() if k != "dir"}) for cell in grid]


def with_samples(run: Mapping, n: int, file: str = "samples.npz") -> dict:
    """``run`` (as ``load_runs`` gives it) with the first ``n`` of its final samples (``file`` in its
    folder: samples.npz, or a reference's sheet.npz of the first ones) as ``images``: what a sample
    sheet draws."""
    with np.load(Path(run["dir"]) / file) as saved:
        return {**run, "images": saved["images"][:n]}


def load_json(path: PathLike) -> dict:
    """A JSON file such as ``real_floor.json`` (NaN allowed)."""
    return json.loads(Path(path).read_text())


# ---------------------------------------------------------------- numbers


def metrics_frame(run: Mapping) -> pd.DataFrame:
    """The run's metrics.csv as a DataFrame (empty if it has none)."""
    metrics = run.get("metrics")
    if metrics is None:
        return pd.DataFrame({"generator_iteration": []})
    return metrics if isinstance(metrics, pd.DataFrame) else pd.DataFrame(metrics)


def filtered_estimate(
    metrics: pd.DataFrame | Mapping, column: str, median_window: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """(generator iterations, rolling median of ``column``); the paper's Fig. 3/4 smoothing.

    A centred rolling median over ``median_window`` generator iterations that skips NaN and
    infinite values (a diverging run's last losses), so one bad step does not blank the curve.
    """
    frame = metrics if isinstance(metrics, pd.DataFrame) else pd.DataFrame(metrics)
    if column not in frame or "generator_iteration" not in frame or frame.empty:
        return np.array([], float), np.array([], float)
    frame = frame.sort_values("generator_iteration")
    values = pd.to_numeric(frame[column], errors="coerce").replace([np.inf, -np.inf], np.nan)
    if median_window and median_window > 1:
        values = values.rolling(int(median_window), center=True, min_periods=1).median()
    return frame["generator_iteration"].to_numpy(float), values.to_numpy(float)


def value_at(iterations: np.ndarray, values: np.ndarray, at: Sequence[float]) -> np.ndarray:
    """The curve at the given iterations (linear between logged ones; NaN outside the run)."""
    at = np.asarray(at, float)
    finite = np.isfinite(values)
    if not finite.any():
        return np.full(at.shape, math.nan)
    x, y = iterations[finite], values[finite]
    out = np.interp(at, x, y)
    out[(at < x[0]) | (at > x[-1])] = math.nan
    return out


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman correlation over the finite pairs; NaN for fewer than 3 or a constant series.

    Pearson correlation of average ranks, as scipy.stats.spearmanr, without importing
    scipy.stats (seconds; pandas' method="spearman" imports it too).
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    rank_x, rank_y = pd.Series(x).rank().to_numpy(), pd.Series(y).rank().to_numpy()
    return float(np.corrcoef(rank_x, rank_y)[0, 1])


def _estimate_and_fid(run: Mapping, column: str, median_window: int | None) -> tuple[np.ndarray, np.ndarray]:
    """(the filtered ``column`` at the FID snapshot iterations, FID there), one run."""
    snapshot_iterations, fid = fid_over_training(run)
    if len(fid) == 0:
        return fid, fid
    iterations, values = filtered_estimate(metrics_frame(run), column, median_window)
    return value_at(iterations, values, snapshot_iterations), fid


def _curves(run: Mapping, column: str, median_window: int | None) -> dict:
    """The filtered estimate and FID at the snapshots, for the tracking test (``tracking``); not a
    column of the summary's files."""
    iterations, _ = fid_over_training(run)
    estimate, fid = _estimate_and_fid(run, column, median_window)
    return {"iteration": tuple(iterations), "estimate": tuple(estimate), "fid": tuple(fid)}


def estimate_fid_correlation(run: Mapping, column: str, median_window: int | None) -> float:
    """Spearman between the filtered ``column`` at the FID snapshot iterations and FID, one run.
    Both usually fall with training, so this is mostly their shared trend."""
    return spearman(*_estimate_and_fid(run, column, median_window))


def estimate_fid_change_correlation(run: Mapping, column: str, median_window: int | None) -> float:
    """Spearman between the changes, snapshot to snapshot, of the filtered ``column`` and of FID:
    whether the estimate moves when quality moves, beyond a trend both share (Fig. 3 against
    Fig. 4). Snapshots further apart than ``median_window`` keep the changes' filters apart."""
    estimate, fid = _estimate_and_fid(run, column, median_window)
    keep = np.isfinite(estimate) & np.isfinite(fid)
    return spearman(np.diff(estimate[keep]), np.diff(fid[keep]))


# What a snapshot cost: the three axes on which the models' speed is compared (WGAN spends 5, in
# bursts 100, critic updates per generator iteration; the GAN one).
COMPUTE_AXES = ("generator_iteration", "critic_updates", "wall_time_s")


def compute_at(run: Mapping, iterations: Sequence[float]) -> dict[str, np.ndarray]:
    """Critic updates and wall-clock seconds spent by the end of each of ``iterations`` (from
    metrics.csv; NaN where the run logged no such iteration), beside the iterations themselves."""
    frame = metrics_frame(run)
    at = np.asarray(iterations, float)
    if frame.empty or "critic_iterations" not in frame:
        return {
            "generator_iteration": at,
            "critic_updates": np.full(at.shape, math.nan),
            "wall_time_s": np.full(at.shape, math.nan),
        }
    frame = frame.sort_values("generator_iteration")
    logged = frame["generator_iteration"].to_numpy(float)
    spent = {
        "critic_updates": pd.to_numeric(frame["critic_iterations"], errors="coerce").cumsum().to_numpy(float),
        "wall_time_s": pd.to_numeric(frame["wall_time_s"], errors="coerce").to_numpy(float),
    }
    index = np.searchsorted(logged, at)
    found = (index < len(logged)) & (logged[np.minimum(index, len(logged) - 1)] == at)
    out = {"generator_iteration": at}
    for axis, values in spent.items():
        out[axis] = np.where(found, values[np.minimum(index, len(logged) - 1)], math.nan)
    return out


def to_threshold(run: Mapping, good_fid: float | None) -> dict[str, float]:
    """The cost, on each compute axis, of the run's crossing of ``good_fid``
    (``iterations_to_threshold``; NaN if never, or no threshold)."""
    iteration = iterations_to_threshold(run, good_fid)
    if iteration is None:
        return dict.fromkeys(COMPUTE_AXES, math.nan)
    return {axis: float(values[0]) for axis, values in compute_at(run, [iteration]).items()}


# ---------------------------------------------------------------- the summary table


def summary_rows(
    runs: Iterable[Mapping],
    real_floor: Mapping | None = None,
    *,
    good_fid: float | None = None,
    median_window: int | None = None,
    still_improving: float = 0.1,
    min_progress: float = 0.25,
) -> list[dict]:
    """One row per experiment: identity, status, final metrics, correlations, speed.

    ``fid_above_real`` is final FID minus the real-data floor's FID (NaN when the two are not on
    the same features); ``fid_reached`` the lowest snapshot FID confirmed by the next snapshot
    (``fid_reached``); ``features`` what FID, KID and precision ... coverage were computed on
    (``judges.features_of``).
    Pass the figures' ``median_window`` so the correlations here equal the ones printed in the
    figures.
    """
    floor_fid = as_float((real_floor or {}).get("fid"))
    rows = []
    for run in runs:
        final = (run.get("evaluation") or {}).get("final") or {}
        row = {key: run.get(key) for key in RUN_KEYS}
        row.update({key: as_float(final.get(key)) for key in (*METRIC_KEYS, *EXTRA_METRIC_KEYS)})
        row["features"] = features_of(run.get("evaluation"))
        same = row["features"] == features_of(real_floor)
        row["fid_above_real"] = row["fid"] - floor_fid if same else math.nan
        own = estimate_of(run.get("model"))  # the estimate the model's critic gives (the model table)
        row["curves"] = _curves(run, own.column if own else None, median_window)
        for name, estimate in ESTIMATES.items():
            has, column = estimate is own, estimate.column
            if not has and f"spearman_{name}_fid" not in SUMMARY_COLUMNS:  # another model's own estimate
                continue
            row[f"spearman_{name}_fid"] = estimate_fid_correlation(run, column, median_window) if has else math.nan
            row[f"spearman_{name}_fid_changes"] = (
                estimate_fid_change_correlation(run, column, median_window) if has else math.nan
            )
        cost = to_threshold(run, good_fid)
        row["iterations_to_threshold"] = iterations_to_threshold(run, good_fid)
        row["critic_updates_to_threshold"] = cost["critic_updates"]
        row["seconds_to_threshold"] = cost["wall_time_s"]
        row["fid_reached"] = fid_reached(run)
        row["fid_threshold"] = good_fid
        row["convergence"] = convergence(run, still_improving, min_progress, good_fid)
        rows.append(row)
    return rows


def summary_columns(rows: Iterable[Mapping]) -> list[str]:
    """``SUMMARY_COLUMNS``, with the ``EXTRA_METRIC_KEYS`` some row has a number for after the
    metrics, and the correlations of estimates other than the paper's two (EM, JS) after theirs."""
    rows = list(rows)

    def some_row_has(key: str) -> bool:
        return any(not math.isnan(as_float(r.get(key))) for r in rows)

    extra = [key for key in EXTRA_METRIC_KEYS if some_row_has(key)]
    others = [
        f"spearman_{name}_fid{suffix}"
        for name in ESTIMATES
        if f"spearman_{name}_fid" not in SUMMARY_COLUMNS
        for suffix in ("", "_changes")
        if some_row_has(f"spearman_{name}_fid")
    ]
    at, rho = SUMMARY_COLUMNS.index(METRIC_KEYS[-1]) + 1, SUMMARY_COLUMNS.index("spearman_js_fid_changes") + 1
    return [*SUMMARY_COLUMNS[:at], *extra, *SUMMARY_COLUMNS[at:rho], *others, *SUMMARY_COLUMNS[rho:]]

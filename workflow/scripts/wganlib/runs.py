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

PathLike = str | os.PathLike
METRIC_KEYS = ("fid", "kid", "kid_std", "classifier_score", "modes_covered", "class_kl")
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
)
WGAN_MODELS = ("wgan", "wgan-gp")


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
        "metrics": pd.read_csv(experiment_dir / "metrics.csv"),
        "evaluation": json.loads(evaluation_path.read_text()) if evaluation_path.exists() else None,
        "dir": experiment_dir,
    }
    run.update(meta)
    return run


def load_runs(grid: Iterable[Mapping]) -> list[dict]:
    """Every run of the grid, as the workflow lists it: [{dir, experiment, dataset, model, ...}]."""
    return [load_run(cell["dir"], **{k: v for k, v in cell.items() if k != "dir"}) for cell in grid]


def load_json(path: PathLike) -> dict:
    """A JSON file such as ``real_floor.json`` (NaN allowed)."""
    return json.loads(Path(path).read_text())


# ---------------------------------------------------------------- numbers


def as_float(value: Any) -> float:
    """A number or NaN (for None, missing or non-numeric values)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def diverged(run: Mapping) -> bool:
    """A run (or summary row) stopped because its losses blew up."""
    return run.get("status") == "diverged"


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


def fid_over_training(run: Mapping) -> tuple[np.ndarray, np.ndarray]:
    """(snapshot generator iterations, FID) from evaluation.json's over_training, sorted."""
    evaluation = run.get("evaluation") or {}
    points = sorted(
        (
            (as_float(p.get("generator_iteration")), as_float(p.get("fid")))
            for p in evaluation.get("over_training") or []
        ),
        key=lambda pair: pair[0],
    )
    if not points:
        return np.array([], float), np.array([], float)
    iterations, fid = map(np.asarray, zip(*points, strict=True))
    return iterations.astype(float), fid.astype(float)


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


def _held(fid: np.ndarray) -> np.ndarray:
    """Per snapshot, the FID it and the next snapshot both stay at or under: a crossing of a level
    counts once the next snapshot confirms it (a 500-sample FID moves by 1.5 to 2 between
    draws); the last snapshot has no next one and stands alone. Non-finite FIDs hold nothing."""
    fid = np.where(np.isfinite(fid), fid, math.inf)
    return np.maximum(fid, np.append(fid[1:], fid[-1:])) if len(fid) else fid


def iterations_to_threshold(run: Mapping, good_fid: float | None) -> int | None:
    """The run's crossing of ``good_fid``: the first snapshot with FID <= ``good_fid`` whose next
    snapshot is there too (or that is the last); None if never, or no threshold. Once crossed, it
    cannot change with a longer budget."""
    if good_fid is None:
        return None
    iterations, fid = fid_over_training(run)
    crossed = np.flatnonzero(_held(fid) <= good_fid)
    return int(iterations[crossed[0]]) if len(crossed) else None


def fid_reached(run: Mapping) -> float:
    """The lowest FID the run crossed in the sense of ``iterations_to_threshold``: it crossed a
    level exactly when this is at or under it (inf if no snapshot FID is finite, NaN without
    snapshots). The robustness sweep's success bar reads this, so it and the speed claims judge
    the same kind of FID (the snapshots')."""
    _, fid = fid_over_training(run)
    return float(_held(fid).min()) if len(fid) else math.nan


# Whether a run's FID had stopped improving when training ended.
PLATEAUED, STILL_IMPROVING, TOO_SHORT, DIVERGED = "plateaued", "still improving", "too few snapshots", "diverged"
NOT_STARTED = "not started"
CONVERGED = (PLATEAUED, DIVERGED)  # a run whose result would not change with a longer budget
UNFINISHED = (STILL_IMPROVING, NOT_STARTED)  # a run a longer budget would change


def convergence(run: Mapping, min_gain: float, min_progress: float = 0.25, good_fid: float | None = None) -> str:
    """Whether FID was still falling at the end: the Theil-Sen slope of FID over the snapshots of
    the second half of training, extrapolated over the last quarter, is a fall of more than
    ``min_gain`` (a fraction of the median FID there): "still improving"; else "plateaued".
    A flat curve that never fell below ``1 - min_progress`` times the untrained generator's FID
    has not left its starting point (an MLP generator's early collapse, say): "not started",
    which a longer budget may change as much as a falling one. The untrained generator is the
    snapshot at iteration 0 when there is one; without it (runs before that snapshot was taken)
    the first snapshot stands in, an FID no higher than the untrained one's, so "not started"
    comes a little more easily: the inconclusive side. A run that crossed ``good_fid``
    (``iterations_to_threshold``) has left its start, wherever its first snapshot fell.
    Fewer than 3 snapshots in the second half: "too few snapshots". A diverged run: "diverged"."""
    if diverged(run):
        return DIVERGED
    iterations, fid = fid_over_training(run)
    keep = np.isfinite(fid)
    iterations, fid = iterations[keep], fid[keep]
    if len(fid) == 0:
        return TOO_SHORT
    late = iterations >= iterations[-1] / 2
    t, f = iterations[late], fid[late]
    if len(f) < 3:
        return TOO_SHORT
    slopes = [(f[j] - f[i]) / (t[j] - t[i]) for i in range(len(t)) for j in range(i + 1, len(t))]
    fall = -float(np.median(slopes)) * (iterations[-1] / 4) / float(np.median(f))
    if fall > min_gain:
        return STILL_IMPROVING
    if iterations_to_threshold(run, good_fid) is not None:
        return PLATEAUED
    return NOT_STARTED if fid.min() > (1 - min_progress) * fid[0] else PLATEAUED


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

    ``fid_above_real`` is final FID minus the real-data floor's FID; ``fid_reached`` the lowest
    snapshot FID confirmed by the next snapshot (``fid_reached``). Pass the figures'
    ``median_window`` so the correlations here equal the ones printed in the figures.
    """
    floor_fid = as_float((real_floor or {}).get("fid"))
    rows = []
    for run in runs:
        final = (run.get("evaluation") or {}).get("final") or {}
        row = {key: run.get(key) for key in RUN_KEYS}
        row.update({key: as_float(final.get(key)) for key in METRIC_KEYS})
        row["fid_above_real"] = row["fid"] - floor_fid
        estimate = {"em": run.get("model") in WGAN_MODELS, "js": run.get("model") == "dcgan"}
        for name, has in estimate.items():
            column = f"{name}_estimate"
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

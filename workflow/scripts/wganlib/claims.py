"""The summary table of all experiments and verdicts on the claims of the WGAN paper.

Verdicts come only from the measured numbers and from the thresholds passed to
``evaluate_claims`` (a dict, normally the config's); nothing here hard-codes a cut-off.
Threshold keys:

- ``min_correlation``: the Spearman correlation between an estimate and FID over training
  that counts as "tracks quality" (claims 1 and 2).
- ``good_fid``: the FID at or below which samples count as good; must equal the ``good_fid``
  given to ``summary_rows``, which computes ``iterations_to_threshold`` from it (claim 6).
- ``fid_margin``: the factor (> 1) by which one FID must exceed another to count as worse
  (claims 3 and 5).
- ``min_modes``: the number of classes covered below which a generator counts as collapsed
  (claim 4).
- ``min_runs`` (optional, default 1): the fewest runs per compared group; fewer gives
  'inconclusive'.

Medians over seeds are compared. A diverged run counts as failed: FID infinite, no modes,
never reaching ``good_fid``.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .io import atomic_path, write_text

log = logging.getLogger(__name__)

PathLike = str | os.PathLike
METRIC_KEYS = ("fid", "kid", "kid_std", "classifier_score", "modes_covered", "class_kl")
SUMMARY_COLUMNS = (
    "experiment", "dataset", "model", "architecture", "seed", "status", "diverged_at",
    "generator_iterations", "wall_time_s", *METRIC_KEYS, "fid_above_real",
    "spearman_em_fid", "spearman_js_fid", "iterations_to_threshold", "fid_threshold",
)
REQUIRED_THRESHOLDS = ("min_correlation", "good_fid", "fid_margin", "min_modes")
WGAN_MODELS = ("wgan", "wgan-gp")
REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE = "reproduced", "not reproduced", "inconclusive"


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
        "model": None, "architecture": None, "seed": None,
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


def metrics_frame(run: Mapping) -> pd.DataFrame:
    metrics = run.get("metrics")
    if metrics is None:
        return pd.DataFrame({"generator_iteration": []})
    return metrics if isinstance(metrics, pd.DataFrame) else pd.DataFrame(metrics)


def filtered_estimate(metrics: pd.DataFrame | Mapping, column: str,
                      median_window: int | None) -> tuple[np.ndarray, np.ndarray]:
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
    points = sorted(((as_float(p.get("generator_iteration")), as_float(p.get("fid")))
                     for p in evaluation.get("over_training") or []), key=lambda pair: pair[0])
    if not points:
        return np.array([], float), np.array([], float)
    iterations, fid = map(np.asarray, zip(*points))
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


def estimate_fid_correlation(run: Mapping, column: str, median_window: int | None) -> float:
    """Spearman between the filtered ``column`` at the FID snapshot iterations and FID, one run."""
    snapshot_iterations, fid = fid_over_training(run)
    if len(fid) == 0:
        return math.nan
    iterations, values = filtered_estimate(metrics_frame(run), column, median_window)
    return spearman(value_at(iterations, values, snapshot_iterations), fid)


def iterations_to_threshold(run: Mapping, good_fid: float | None) -> int | None:
    """The first snapshot iteration with FID <= ``good_fid``; None if never or no threshold."""
    if good_fid is None:
        return None
    for iteration, fid in zip(*fid_over_training(run)):
        if np.isfinite(fid) and fid <= good_fid:
            return int(iteration)
    return None


# ---------------------------------------------------------------- the summary table

def summary_rows(runs: Iterable[Mapping], real_floor: Mapping | None = None, *,
                 good_fid: float | None = None, median_window: int | None = None) -> list[dict]:
    """One row per experiment: identity, status, final metrics, correlations, speed.

    ``fid_above_real`` is final FID minus the real-data floor's FID. Pass the figures'
    ``median_window`` so the correlations here equal the ones printed in the figures.
    """
    floor_fid = as_float((real_floor or {}).get("fid"))
    rows = []
    for run in runs:
        final = (run.get("evaluation") or {}).get("final") or {}
        row = {key: run.get(key) for key in
               ("experiment", "dataset", "model", "architecture", "seed", "status",
                "diverged_at", "generator_iterations", "wall_time_s")}
        row.update({key: as_float(final.get(key)) for key in METRIC_KEYS})
        row["fid_above_real"] = row["fid"] - floor_fid
        is_wgan = run.get("model") in WGAN_MODELS
        row["spearman_em_fid"] = (estimate_fid_correlation(run, "em_estimate", median_window)
                                  if is_wgan else math.nan)
        row["spearman_js_fid"] = (estimate_fid_correlation(run, "js_estimate", median_window)
                                  if run.get("model") == "dcgan" else math.nan)
        row["iterations_to_threshold"] = iterations_to_threshold(run, good_fid)
        row["fid_threshold"] = good_fid
        rows.append(row)
    return rows


def write_summary_csv(rows: Sequence[Mapping], path: PathLike) -> None:
    frame = pd.DataFrame(list(rows), columns=list(SUMMARY_COLUMNS))
    frame["iterations_to_threshold"] = frame["iterations_to_threshold"].astype("Int64")
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


# ---------------------------------------------------------------- claims

def _diverged(row: Mapping) -> bool:
    return row.get("status") == "diverged"


def _pick(rows: Sequence[Mapping], model: str | Sequence[str], architecture: str | None = None):
    models = (model,) if isinstance(model, str) else tuple(model)
    return [r for r in rows if r.get("model") in models
            and (architecture is None or r.get("architecture") == architecture)]


def _effective(rows: Sequence[Mapping], key: str, if_diverged: float) -> list[float]:
    """The key's values, ``if_diverged`` for diverged runs, dropping runs without a value."""
    values = [if_diverged if _diverged(r) else as_float(r.get(key)) for r in rows]
    return [v for v in values if not math.isnan(v)]


def _median(values: Sequence[float]) -> float:
    return float(np.median(values)) if values else math.nan


def _fmt(x: Any, infinite: str = "inf") -> str:
    """Three significant digits; whole numbers >= 1000 with thousands separators."""
    x = as_float(x)
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return infinite if x > 0 else "-inf"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def _group(label: str, values: Sequence[float], rows: Sequence[Mapping],
           infinite: str = "inf") -> str:
    diverged = sum(_diverged(r) for r in rows)
    return (f"{label} median {_fmt(_median(values), infinite)} "
            f"(n={len(values)}, {diverged} diverged)")


def _too_few(groups: Mapping[str, Sequence], min_runs: int) -> str | None:
    """Evidence for 'inconclusive' if a compared group has fewer than ``min_runs`` runs."""
    if min(len(values) for values in groups.values()) >= min_runs:
        return None
    counts = ", ".join(f"{name} {len(values)}" for name, values in groups.items())
    return f"runs with a value: {counts} (need {min_runs} each)"


def _tracks_quality(rows, t, min_runs, *, models, column, label, expect_tracking):
    """Claims 1 and 2: does the median per-run Spearman reach ``min_correlation``?"""
    values = [v for v in (as_float(r.get(column)) for r in _pick(rows, models))
              if not math.isnan(v)]
    few = _too_few({"/".join(models): values}, min_runs)
    if few:
        return few, INCONCLUSIVE
    median = _median(values)
    evidence = (f"median Spearman rho({label}, FID) = {median:.2f} over {len(values)} "
                f"{'/'.join(models)} runs (range {min(values):.2f} to {max(values):.2f}); "
                f"tracking means rho >= {t['min_correlation']}")
    tracks = median >= t["min_correlation"]
    return evidence, REPRODUCED if tracks == expect_tracking else NOT_REPRODUCED


def _em_tracks_quality(rows, t, min_runs):
    return _tracks_quality(rows, t, min_runs, models=WGAN_MODELS, column="spearman_em_fid",
                           label="EM", expect_tracking=True)


def _js_does_not_track(rows, t, min_runs):
    return _tracks_quality(rows, t, min_runs, models=("dcgan",), column="spearman_js_fid",
                           label="JS", expect_tracking=False)


def _nobn_wgan_trains(rows, t, min_runs):
    """Claim 3 (Fig. 6): with conv-nobn the DCGAN's FID is fid_margin times WGAN's, or worse."""
    wgan, dcgan = _pick(rows, "wgan", "conv-nobn"), _pick(rows, "dcgan", "conv-nobn")
    wgan_fid, dcgan_fid = _effective(wgan, "fid", math.inf), _effective(dcgan, "fid", math.inf)
    few = _too_few({"wgan conv-nobn": wgan_fid, "dcgan conv-nobn": dcgan_fid}, min_runs)
    if few:
        return few, INCONCLUSIVE
    w, d = _median(wgan_fid), _median(dcgan_fid)
    evidence = (f"FID: {_group('wgan', wgan_fid, wgan)}; {_group('dcgan', dcgan_fid, dcgan)}; "
                f"needs dcgan >= {t['fid_margin']} x wgan (diverged = failed, FID inf)")
    return evidence, REPRODUCED if math.isfinite(w) and d >= t["fid_margin"] * w else NOT_REPRODUCED


def _mlp_dcgan_collapses(rows, t, min_runs):
    """Claim 4 (Fig. 7): with the MLP generator DCGAN covers < min_modes classes, WGAN not."""
    wgan, dcgan = _pick(rows, "wgan", "mlp"), _pick(rows, "dcgan", "mlp")
    wgan_modes = _effective(wgan, "modes_covered", 0.0)
    dcgan_modes = _effective(dcgan, "modes_covered", 0.0)
    few = _too_few({"wgan mlp": wgan_modes, "dcgan mlp": dcgan_modes}, min_runs)
    if few:
        return few, INCONCLUSIVE
    w, d = _median(wgan_modes), _median(dcgan_modes)
    evidence = (f"modes covered: {_group('dcgan', dcgan_modes, dcgan)}; "
                f"{_group('wgan', wgan_modes, wgan)}; collapse means < {t['min_modes']} "
                f"(diverged = 0)")
    return evidence, REPRODUCED if d < t["min_modes"] <= w else NOT_REPRODUCED


def _bn_first_hurts(rows, t, min_runs):
    """Claim 5 (tf-wgan README): WGAN conv-bn-first FID >= fid_margin x WGAN conv FID."""
    first, full = _pick(rows, "wgan", "conv-bn-first"), _pick(rows, "wgan", "conv")
    first_fid, full_fid = _effective(first, "fid", math.inf), _effective(full, "fid", math.inf)
    few = _too_few({"wgan conv-bn-first": first_fid, "wgan conv": full_fid}, min_runs)
    if few:
        return few, INCONCLUSIVE
    b, c = _median(first_fid), _median(full_fid)
    evidence = (f"FID: {_group('conv-bn-first', first_fid, first)}; "
                f"{_group('conv', full_fid, full)}; hurts means >= {t['fid_margin']} x conv")
    if not math.isfinite(c):
        return evidence + "; the conv reference diverged", INCONCLUSIVE
    return evidence, REPRODUCED if b >= t["fid_margin"] * c else NOT_REPRODUCED


def _dcgan_faster(rows, t, min_runs):
    """Claim 6: DCGAN conv reaches FID <= good_fid in fewer generator iterations than WGAN conv."""
    def evaluated(model):  # a completed run without an evaluation says nothing about speed
        return [r for r in _pick(rows, model, "conv")
                if _diverged(r) or not math.isnan(as_float(r.get("fid")))]

    def iterations(group):  # never reaching it (or diverging) counts as infinitely slow
        values = [as_float(r.get("iterations_to_threshold")) for r in group]
        return [math.inf if math.isnan(v) else v for v in values]

    dcgan, wgan = evaluated("dcgan"), evaluated("wgan")
    few = _too_few({"dcgan conv": dcgan, "wgan conv": wgan}, min_runs)
    if few:
        return few, INCONCLUSIVE
    used = sorted({as_float(r.get("fid_threshold")) for r in dcgan + wgan})
    if used != [float(t["good_fid"])]:
        return (f"iterations_to_threshold was computed for FID <= {used}, "
                f"not good_fid = {t['good_fid']}"), INCONCLUSIVE
    d_its, w_its = iterations(dcgan), iterations(wgan)
    d, w = _median(d_its), _median(w_its)
    evidence = (f"generator iterations to FID <= {t['good_fid']}: "
                f"{_group('dcgan', d_its, dcgan, 'never')}; "
                f"{_group('wgan', w_its, wgan, 'never')}")
    if math.isinf(d) and math.isinf(w):
        return evidence + "; neither reached it", INCONCLUSIVE
    return evidence, REPRODUCED if d < w else NOT_REPRODUCED


CLAIMS = (
    ("The critic's EM estimate tracks sample quality (Fig. 3)", _em_tracks_quality),
    ("The standard GAN's JS estimate does not track sample quality (Fig. 4)",
     _js_does_not_track),
    ("Without batch norm (conv-nobn) WGAN trains where the standard GAN fails (Fig. 6)",
     _nobn_wgan_trains),
    ("With an MLP generator the standard GAN collapses and WGAN does not (Fig. 7)",
     _mlp_dcgan_collapses),
    ("Batch norm only in the generator's first layer (conv-bn-first) hurts WGAN",
     _bn_first_hurts),
    ("The standard GAN reaches good samples in fewer generator iterations than WGAN (conv)",
     _dcgan_faster),
)


def evaluate_claims(rows: Sequence[Mapping], thresholds: Mapping) -> list[dict]:
    """Verdicts on the paper's claims: [{claim, dataset, evidence, verdict}], per dataset."""
    missing = [key for key in REQUIRED_THRESHOLDS if key not in thresholds]
    if missing:
        raise KeyError(f"thresholds lack {missing}; see wganlib.claims' docstring")
    min_runs = int(thresholds.get("min_runs", 1))
    result = []
    for dataset in list(dict.fromkeys(r.get("dataset") for r in rows)) or [None]:
        subset = [r for r in rows if r.get("dataset") == dataset]
        for claim, judge in CLAIMS:
            evidence, verdict = judge(subset, thresholds, min_runs)
            result.append({"claim": claim, "dataset": dataset, "evidence": evidence,
                           "verdict": verdict})
    return result


# ---------------------------------------------------------------- the Markdown report

def _md_cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _md_table(header: Sequence[str], body: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in body]
    return lines


def _floors(real_floor: Mapping | None, datasets: Sequence[Any]) -> dict:
    """Accept one floor dict (with metric keys) or a mapping dataset -> floor dict."""
    if not real_floor:
        return {}
    if any(key in real_floor for key in METRIC_KEYS):
        return {dataset: real_floor for dataset in datasets}
    return dict(real_floor)


def write_summary_markdown(rows: Sequence[Mapping], claims: Sequence[Mapping],
                           real_floor: Mapping | None, path: PathLike, *,
                           thresholds: Mapping | None = None) -> None:
    """A Markdown page: the runs, the real-data floor and the claims with their verdicts."""
    datasets = list(dict.fromkeys(r.get("dataset") for r in rows))
    several = len(datasets) > 1
    lines = [f"# WGAN reproduction: {', '.join(str(d) for d in datasets) or 'no runs'}", "",
             "## Runs", ""]
    thresholds_used = {v for v in map(as_float, (r.get("fid_threshold") for r in rows))
                       if not math.isnan(v)}
    reach = (f"iters to FID <= {_fmt(next(iter(thresholds_used)))}"
             if len(thresholds_used) == 1 else "iters to good FID")
    header = ["experiment", "status", "gen. iters", "FID", "KID", "modes", "class. score",
              "rho(est., FID)", reach, "wall time (min)"]

    def body():
        for r in rows:
            rho = r.get("spearman_js_fid" if r.get("model") == "dcgan" else "spearman_em_fid")
            status = r.get("status") or "n/a"
            if _diverged(r) and not math.isnan(as_float(r.get("diverged_at"))):
                status = f"diverged at {int(as_float(r['diverged_at'])):,}"
            kid = f"{_fmt(r.get('kid'))} ± {_fmt(r.get('kid_std'))}"
            its = as_float(r.get("iterations_to_threshold"))
            reached = "n/a" if math.isnan(as_float(r.get("fid_threshold"))) else (
                "never" if math.isnan(its) else f"{int(its):,}")
            cells = [r.get("experiment"), status, _fmt(r.get("generator_iterations")),
                     _fmt(r.get("fid")), kid, _fmt(r.get("modes_covered")),
                     _fmt(r.get("classifier_score")),
                     "n/a" if math.isnan(as_float(rho)) else f"{as_float(rho):.2f}",
                     reached, _fmt(as_float(r.get("wall_time_s")) / 60)]
            yield ([r.get("dataset")] if several else []) + cells

    lines += _md_table((["dataset"] if several else []) + header, body())
    lines += ["", "rho(est., FID): Spearman correlation over training between FID and the critic's "
              "EM estimate (wgan, wgan-gp) or the discriminator's JS estimate (dcgan).", ""]
    for dataset, floor in _floors(real_floor, datasets).items():
        lines += [f"**Real-data floor** ({dataset}, train vs test): FID {_fmt(floor.get('fid'))}, "
                  f"KID {_fmt(floor.get('kid'))}, "
                  f"modes covered {_fmt(floor.get('modes_covered'))}, "
                  f"classifier score {_fmt(floor.get('classifier_score'))}, "
                  f"class KL {_fmt(floor.get('class_kl'))}.", ""]
    lines += ["## Claims", ""]
    lines += _md_table((["dataset"] if several else []) + ["claim", "evidence", "verdict"],
                       (([c.get("dataset")] if several else [])
                        + [c["claim"], c["evidence"], f"**{c['verdict']}**"] for c in claims))
    used = ""
    if thresholds:
        used = " (" + ", ".join(f"{key} = {value}" for key, value in thresholds.items()) + ")"
    lines += ["", f"Verdicts are computed only from the numbers above, as medians over seeds, "
              f"against the configured thresholds{used}; a diverged run counts as failed; "
              f"'inconclusive' means the runs a claim needs are missing from the grid or too few.",
              ""]
    write_text(path, "\n".join(lines))

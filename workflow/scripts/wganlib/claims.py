"""Verdicts on the claims of the WGAN paper, judged on ``runs.summary_rows``' rows.

Verdicts come only from the measured numbers and from the thresholds passed to
``evaluate_claims`` (a dict, normally the config's); nothing here hard-codes a cut-off.
Threshold keys:

- ``min_correlation``: the Spearman correlation between an estimate and FID over training
  that counts as "tracks quality" (claims 1 and 2).
- ``good_fid``: the FID at or below which samples count as good; must equal the ``good_fid``
  given to ``runs.summary_rows``, which computes ``iterations_to_threshold`` from it (claim 6).
- ``fid_margin``: the factor (> 1) by which one FID must exceed another to count as worse
  (claims 3 and 5).
- ``min_modes``: the number of classes covered below which a generator counts as collapsed
  (claim 4).
- ``min_runs`` (optional, default 1): the fewest runs per compared group; fewer gives
  'inconclusive'.

Medians over seeds are compared. A diverged run counts as failed: FID infinite, no modes,
never reaching ``good_fid``. "not reproduced" is a finding only when every run it rests on had
converged (``runs.convergence``); otherwise the verdict is "inconclusive: still improving" with
the runs named. No TensorFlow.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from .report import fmt
from .runs import CONVERGED, PLATEAUED, WGAN_MODELS, as_float, diverged

REQUIRED_THRESHOLDS = ("min_correlation", "good_fid", "fid_margin", "min_modes")
REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE = "reproduced", "not reproduced", "inconclusive"


def _pick(rows: Sequence[Mapping], model: str | Sequence[str], architecture: str | None = None):
    models = (model,) if isinstance(model, str) else tuple(model)
    return [
        r for r in rows if r.get("model") in models and (architecture is None or r.get("architecture") == architecture)
    ]


def _effective(rows: Sequence[Mapping], key: str, if_diverged: float) -> list[float]:
    """The key's values, ``if_diverged`` for diverged runs, dropping runs without a value."""
    values = [if_diverged if diverged(r) else as_float(r.get(key)) for r in rows]
    return [v for v in values if not math.isnan(v)]


def _median(values: Sequence[float]) -> float:
    return float(np.median(values)) if values else math.nan


def _group(label: str, values: Sequence[float], rows: Sequence[Mapping], infinite: str = "inf") -> str:
    n_diverged = sum(diverged(r) for r in rows)
    return f"{label} median {fmt(_median(values), infinite)} (n={len(values)}, {n_diverged} diverged)"


def _too_few(groups: Mapping[str, Sequence], min_runs: int) -> str | None:
    """Evidence for 'inconclusive' if a compared group has fewer than ``min_runs`` runs."""
    if min(len(values) for values in groups.values()) >= min_runs:
        return None
    counts = ", ".join(f"{name} {len(values)}" for name, values in groups.items())
    return f"runs with a value: {counts} (need {min_runs} each)"


def _tracks_quality(rows, t, min_runs, *, models, column, label, expect_tracking):
    """Claims 1 and 2: does the median per-run Spearman reach ``min_correlation``?"""
    picked = [r for r in _pick(rows, models) if not math.isnan(as_float(r.get(column)))]
    values = [as_float(r.get(column)) for r in picked]
    few = _too_few({"/".join(models): values}, min_runs)
    if few:
        return few, INCONCLUSIVE, []
    median = _median(values)
    evidence = (
        f"median Spearman rho({label}, FID) = {median:.2f} over {len(values)} "
        f"{'/'.join(models)} runs (range {min(values):.2f} to {max(values):.2f}); "
        f"tracking means rho >= {t['min_correlation']}"
    )
    tracks = median >= t["min_correlation"]
    return evidence, REPRODUCED if tracks == expect_tracking else NOT_REPRODUCED, picked


def _em_tracks_quality(rows, t, min_runs):
    return _tracks_quality(
        rows, t, min_runs, models=WGAN_MODELS, column="spearman_em_fid", label="EM", expect_tracking=True
    )


def _js_does_not_track(rows, t, min_runs):
    return _tracks_quality(
        rows, t, min_runs, models=("dcgan",), column="spearman_js_fid", label="JS", expect_tracking=False
    )


def _nobn_wgan_trains(rows, t, min_runs):
    """Claim 3 (Fig. 6): with conv-nobn the DCGAN's FID is fid_margin times WGAN's, or worse."""
    wgan, dcgan = _pick(rows, "wgan", "conv-nobn"), _pick(rows, "dcgan", "conv-nobn")
    wgan_fid, dcgan_fid = _effective(wgan, "fid", math.inf), _effective(dcgan, "fid", math.inf)
    few = _too_few({"wgan conv-nobn": wgan_fid, "dcgan conv-nobn": dcgan_fid}, min_runs)
    if few:
        return few, INCONCLUSIVE, []
    w, d = _median(wgan_fid), _median(dcgan_fid)
    evidence = (
        f"FID: {_group('wgan', wgan_fid, wgan)}; {_group('dcgan', dcgan_fid, dcgan)}; "
        f"needs dcgan >= {t['fid_margin']} x wgan (diverged = failed, FID inf)"
    )
    return evidence, REPRODUCED if math.isfinite(w) and d >= t["fid_margin"] * w else NOT_REPRODUCED, wgan + dcgan


def _mlp_dcgan_collapses(rows, t, min_runs):
    """Claim 4 (Fig. 7): with the MLP generator DCGAN covers < min_modes classes, WGAN not."""
    wgan, dcgan = _pick(rows, "wgan", "mlp"), _pick(rows, "dcgan", "mlp")
    wgan_modes = _effective(wgan, "modes_covered", 0.0)
    dcgan_modes = _effective(dcgan, "modes_covered", 0.0)
    few = _too_few({"wgan mlp": wgan_modes, "dcgan mlp": dcgan_modes}, min_runs)
    if few:
        return few, INCONCLUSIVE, []
    w, d = _median(wgan_modes), _median(dcgan_modes)
    evidence = (
        f"modes covered: {_group('dcgan', dcgan_modes, dcgan)}; "
        f"{_group('wgan', wgan_modes, wgan)}; collapse means < {t['min_modes']} "
        f"(diverged = 0)"
    )
    return evidence, REPRODUCED if d < t["min_modes"] <= w else NOT_REPRODUCED, wgan + dcgan


def _bn_first_hurts(rows, t, min_runs):
    """Claim 5 (tf-wgan README): WGAN conv-bn-first FID >= fid_margin x WGAN conv FID."""
    first, full = _pick(rows, "wgan", "conv-bn-first"), _pick(rows, "wgan", "conv")
    first_fid, full_fid = _effective(first, "fid", math.inf), _effective(full, "fid", math.inf)
    few = _too_few({"wgan conv-bn-first": first_fid, "wgan conv": full_fid}, min_runs)
    if few:
        return few, INCONCLUSIVE, []
    b, c = _median(first_fid), _median(full_fid)
    evidence = (
        f"FID: {_group('conv-bn-first', first_fid, first)}; "
        f"{_group('conv', full_fid, full)}; hurts means >= {t['fid_margin']} x conv"
    )
    if not math.isfinite(c):
        return evidence + "; the conv reference diverged", INCONCLUSIVE, []
    return evidence, REPRODUCED if b >= t["fid_margin"] * c else NOT_REPRODUCED, first + full


def _dcgan_faster(rows, t, min_runs, *, column="iterations_to_threshold", unit="generator iterations"):
    """Claim 6: DCGAN conv reaches FID <= good_fid sooner than WGAN conv, in ``unit`` (the
    paper's axis is generator iterations; wall-clock time counts WGAN's extra critic updates)."""

    def evaluated(model):  # a completed run without an evaluation says nothing about speed
        return [r for r in _pick(rows, model, "conv") if diverged(r) or not math.isnan(as_float(r.get("fid")))]

    def cost(group):  # never reaching it (or diverging) counts as infinitely slow
        values = [as_float(r.get(column)) for r in group]
        return [math.inf if math.isnan(v) else v for v in values]

    dcgan, wgan = evaluated("dcgan"), evaluated("wgan")
    few = _too_few({"dcgan conv": dcgan, "wgan conv": wgan}, min_runs)
    if few:
        return few, INCONCLUSIVE, []
    used = sorted({as_float(r.get("fid_threshold")) for r in dcgan + wgan})
    if used != [float(t["good_fid"])]:
        return (f"{column} was computed for FID <= {used}, not good_fid = {t['good_fid']}"), INCONCLUSIVE, []
    d_cost, w_cost = cost(dcgan), cost(wgan)
    d, w = _median(d_cost), _median(w_cost)
    evidence = (
        f"{unit} to FID <= {t['good_fid']}: "
        f"{_group('dcgan', d_cost, dcgan, 'never')}; "
        f"{_group('wgan', w_cost, wgan, 'never')}"
    )
    if math.isinf(d) and math.isinf(w):
        return evidence + "; neither reached it", INCONCLUSIVE, []
    return evidence, REPRODUCED if d < w else NOT_REPRODUCED, dcgan + wgan


def _dcgan_faster_in_seconds(rows, t, min_runs):
    return _dcgan_faster(rows, t, min_runs, column="seconds_to_threshold", unit="wall-clock seconds")


CLAIMS = (
    ("The critic's EM estimate tracks sample quality (Fig. 3)", _em_tracks_quality),
    ("The standard GAN's JS estimate does not track sample quality (Fig. 4)", _js_does_not_track),
    ("Without batch norm (conv-nobn) WGAN trains where the standard GAN fails (Fig. 6)", _nobn_wgan_trains),
    ("With an MLP generator the standard GAN collapses and WGAN does not (Fig. 7)", _mlp_dcgan_collapses),
    ("Batch norm only in the generator's first layer (conv-bn-first) hurts WGAN", _bn_first_hurts),
    ("The standard GAN reaches good samples in fewer generator iterations than WGAN (conv)", _dcgan_faster),
    ("The standard GAN reaches good samples in less wall-clock time than WGAN (conv)", _dcgan_faster_in_seconds),
)


def _unless_unconverged(used: Sequence[Mapping]) -> str:
    """ "not reproduced", or "inconclusive: still improving (runs)" when a run it rests on had not
    converged (a row without a convergence judgement counts as converged)."""
    reasons: dict[str, list[str]] = {}
    for r in used:
        state = r.get("convergence")
        state = state if isinstance(state, str) else PLATEAUED  # no judgement (NaN read back from a CSV)
        if state not in CONVERGED:
            reasons.setdefault(state, []).append(str(r.get("experiment")))
    if not reasons:
        return NOT_REPRODUCED
    return f"{INCONCLUSIVE}: " + "; ".join(f"{state} ({', '.join(names)})" for state, names in reasons.items())


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
            evidence, verdict, used = judge(subset, thresholds, min_runs)
            if verdict == NOT_REPRODUCED:
                verdict = _unless_unconverged(used)
            result.append({"claim": claim, "dataset": dataset, "evidence": evidence, "verdict": verdict})
    return result

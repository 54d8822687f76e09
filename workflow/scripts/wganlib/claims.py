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

- ``confidence`` (optional, default 0.95) and ``resamples`` (default 2000): the bootstrap.

Each claim compares one quantity per seed (a median Spearman rho, an FID ratio, a margin in
modes covered) with a threshold. The verdict says how many seeds agree with the claim on their
own, and rests on a percentile bootstrap interval over seeds for the median of that quantity:
"reproduced" or "not reproduced" only when the interval lies on one side of the threshold, else
"inconclusive: seeds disagree"; a comparison with one seed is "inconclusive: one seed". The two
tracking claims are a property of each run, so with one seed their interval is over its runs. A
diverged run counts as failed: FID infinite, no modes, never reaching ``good_fid``. "not
reproduced" is a finding only when every run it rests on had converged (``runs.convergence``);
otherwise the verdict is "inconclusive: still improving" (or "not started") with the runs named.
With random architectures in the grid (``robustness``), one more claim pairs the GAN and WGAN
per architecture and tests them with a sign test (``_robustness``). No TensorFlow.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import robustness
from .report import fmt
from .runs import CONVERGED, PLATEAUED, WGAN_MODELS, as_float, diverged

REQUIRED_THRESHOLDS = ("min_correlation", "good_fid", "fid_margin", "min_modes")
REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE = "reproduced", "not reproduced", "inconclusive"
ONE_SEED, SEEDS_DISAGREE = f"{INCONCLUSIVE}: one seed", f"{INCONCLUSIVE}: seeds disagree"


# ---------------------------------------------------------------- statistics over seeds


def bootstrap_interval(
    values: Sequence[float], level: float = 0.95, resamples: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval for the median of ``values`` (seeds drawn with replacement);
    infinite values (a diverged run's FID ratio) are kept as such. Deterministic for a seed."""
    data = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    medians = np.median(data[rng.integers(0, len(data), size=(resamples, len(data)))], axis=1)
    tail = (1 - level) / 2
    return float(np.quantile(medians, tail, method="lower")), float(np.quantile(medians, 1 - tail, method="higher"))


@dataclass
class Comparison:
    """What a claim compares: one value per seed, and on which side of ``threshold`` the claim
    holds (``holds(value)``, monotone in the value)."""

    evidence: str
    per_seed: dict = field(default_factory=dict)  # seed (or run, see ``over``) -> value; NaN: none
    holds: Callable[[float], bool] = lambda value: False
    unit: str = ""
    used: list = field(default_factory=list)
    missing: str | None = None  # why there is nothing to compare
    over: str = "seed"  # what per_seed's keys are: "seed", or "run" for a one-seed tracking claim


def _judge(c: Comparison, level: float, resamples: int) -> tuple[str, str, dict]:
    """Verdict, evidence and the numbers behind them, from a Comparison."""
    if c.missing:
        return INCONCLUSIVE, c.missing, {"seeds": 0}
    values = [v for v in c.per_seed.values() if not math.isnan(v)]
    agree = sum(bool(c.holds(v)) for v in values)
    seeds = len({r.get("seed") for r in c.used}) if c.over == "run" else len(values)
    stats = {"seeds": seeds, "agreeing": agree, "out_of": len(values), "over": c.over, "median": _median(values)}
    evidence = f"{c.evidence}; {agree} of {len(values)} {c.over}{'s' if len(values) != 1 else ''} agree"
    if len(values) == 1:  # against the claim on unconverged runs: the verdict names them too
        unconverged = _unless_unconverged(c.used) if not agree else NOT_REPRODUCED
        verdict = ONE_SEED + (
            "" if unconverged == NOT_REPRODUCED else ", " + unconverged.removeprefix(INCONCLUSIVE + ": ")
        )
        return verdict, evidence + f" ({c.unit} {fmt(values[0])})", stats
    low, high = bootstrap_interval(values, level, resamples)
    stats.update(low=low, high=high)
    evidence += f"; median {c.unit} {fmt(stats['median'])}, {level:.0%} bootstrap interval over {c.over}s [{fmt(low)}, {fmt(high)}]"
    if c.holds(low) and c.holds(high):
        return REPRODUCED, evidence, stats
    if not c.holds(low) and not c.holds(high):
        return _unless_unconverged(c.used), evidence, stats
    return SEEDS_DISAGREE if c.over == "seed" else f"{INCONCLUSIVE}: runs disagree", evidence, stats


# ---------------------------------------------------------------- the claims


def _pick(rows: Sequence[Mapping], model: str | Sequence[str], architecture: str | None = None):
    models = (model,) if isinstance(model, str) else tuple(model)
    return [
        r for r in rows if r.get("model") in models and (architecture is None or r.get("architecture") == architecture)
    ]


def _value(row: Mapping, key: str, if_diverged: float) -> float:
    return if_diverged if diverged(row) else as_float(row.get(key))


def _by_seed(rows: Sequence[Mapping]) -> dict:
    grouped: dict = {}
    for r in rows:
        grouped.setdefault(r.get("seed"), []).append(r)
    return grouped


def _median(values: Sequence[float]) -> float:
    return float(np.median(values)) if len(values) else math.nan


def _paired(a: Sequence[Mapping], b: Sequence[Mapping], combine, key: str, if_diverged: float) -> dict:
    """seed -> combine(a's value, b's value), for the seeds both groups ran."""
    a_seed, b_seed = _by_seed(a), _by_seed(b)
    return {
        seed: combine(_value(a_seed[seed][0], key, if_diverged), _value(b_seed[seed][0], key, if_diverged))
        for seed in sorted(set(a_seed) & set(b_seed), key=str)
    }


def _group(label: str, rows: Sequence[Mapping], key: str, if_diverged: float, never: str = "") -> str:
    """A group's median of ``key``; with ``never``, a missing value counts as infinite and prints so."""
    values = [_value(r, key, if_diverged) for r in rows]
    values = [math.inf if never and math.isnan(v) else v for v in values]
    values = [v for v in values if not math.isnan(v)]
    n_diverged = sum(diverged(r) for r in rows)
    return f"{label} median {fmt(_median(values), never or 'inf')} (n={len(values)}, {n_diverged} diverged)"


def _ratio(top: float, bottom: float) -> float:
    if math.isnan(top) or math.isnan(bottom) or (math.isinf(top) and math.isinf(bottom)):
        return math.nan
    if bottom == 0:
        return math.inf if top > 0 else math.nan
    return top / bottom


def _tracks_quality(rows, t, *, models, column, label, expect_tracking):
    """Claims 1 and 2: per seed, the median Spearman rho of its runs; tracking means >= min_correlation."""
    picked = [r for r in _pick(rows, models) if not math.isnan(as_float(r.get(column)))]
    if not picked:
        return Comparison("", missing=f"no {'/'.join(models)} run with a correlation")
    values = [as_float(r.get(column)) for r in picked]
    by_seed = _by_seed(picked)
    evidence = (
        f"Spearman rho({label}, FID) over {len(values)} {'/'.join(models)} runs (range {min(values):.2f} to "
        f"{max(values):.2f}), per seed the median of its runs; tracking means rho >= {t['min_correlation']}"
    )
    tracks = (lambda v: v >= t["min_correlation"]) if expect_tracking else (lambda v: v < t["min_correlation"])
    if len(by_seed) == 1:  # tracking is a property of each run: one seed's runs are independent trainings
        per_run = {r.get("experiment"): as_float(r.get(column)) for r in picked}
        evidence = evidence.replace("per seed the median of its runs", "one seed, so per run")
        return Comparison(evidence, per_run, tracks, "rho", picked, over="run")
    per_seed = {s: _median([as_float(r.get(column)) for r in g]) for s, g in by_seed.items()}
    return Comparison(evidence, per_seed, tracks, "rho", picked)


def _em_tracks_quality(rows, t):
    return _tracks_quality(rows, t, models=WGAN_MODELS, column="spearman_em_fid", label="EM", expect_tracking=True)


def _js_does_not_track(rows, t):
    return _tracks_quality(rows, t, models=("dcgan",), column="spearman_js_fid", label="JS", expect_tracking=False)


def _fid_ratio(rows, t, worse: tuple[str, str], better: tuple[str, str], meaning: str):
    """FID of ``worse`` over FID of ``better`` per seed; the claim holds from fid_margin on."""
    w_rows, b_rows = _pick(rows, *worse), _pick(rows, *better)
    per_seed = _paired(w_rows, b_rows, _ratio, "fid", math.inf)
    if not per_seed:
        return Comparison(
            "",
            missing=f"runs: {' '.join(worse)} {len(w_rows)}, {' '.join(better)} {len(b_rows)} (need both, same seed)",
        )
    evidence = (
        f"FID: {_group(' '.join(worse), w_rows, 'fid', math.inf)}; {_group(' '.join(better), b_rows, 'fid', math.inf)}; "
        f"{meaning} {t['fid_margin']} (diverged = failed, FID inf)"
    )
    return Comparison(evidence, per_seed, lambda v: v >= t["fid_margin"], "FID ratio", w_rows + b_rows)


def _nobn_wgan_trains(rows, t):
    """Claim 3 (Fig. 6): with conv-nobn the GAN's FID is fid_margin times WGAN's, or worse."""
    return _fid_ratio(rows, t, ("dcgan", "conv-nobn"), ("wgan", "conv-nobn"), "ratio dcgan / wgan; holds from")


def _bn_first_hurts(rows, t):
    """Claim 5 (tf-wgan README): WGAN conv-bn-first FID >= fid_margin x WGAN conv FID."""
    return _fid_ratio(rows, t, ("wgan", "conv-bn-first"), ("wgan", "conv"), "ratio conv-bn-first / conv; hurts from")


def _mlp_dcgan_collapses(rows, t):
    """Claim 4 (Fig. 7): with the MLP generator the GAN covers < min_modes classes and WGAN not.
    Per seed, the margin min(wgan modes - min_modes, min_modes - 1 - dcgan modes) in classes:
    the claim holds at a margin >= 0."""
    wgan, dcgan = _pick(rows, "wgan", "mlp"), _pick(rows, "dcgan", "mlp")
    k = t["min_modes"]
    per_seed = _paired(wgan, dcgan, lambda w, d: min(w - k, k - 1 - d), "modes_covered", 0.0)
    if not per_seed:
        return Comparison("", missing=f"runs: wgan mlp {len(wgan)}, dcgan mlp {len(dcgan)} (need both, same seed)")
    evidence = (
        f"modes covered: {_group('dcgan', dcgan, 'modes_covered', 0.0)}; {_group('wgan', wgan, 'modes_covered', 0.0)}; "
        f"collapse means < {k} (diverged = 0); margin min(wgan - {k}, {k - 1} - dcgan) >= 0 holds"
    )
    return Comparison(evidence, per_seed, lambda v: v >= 0, "margin", wgan + dcgan)


def _dcgan_faster(rows, t, *, column="iterations_to_threshold", unit="generator iterations"):
    """Claim 6: the GAN (conv) reaches FID <= good_fid sooner than WGAN (conv), in ``unit`` (the
    paper's axis is generator iterations; wall-clock time counts WGAN's extra critic updates).
    Per seed, WGAN's cost over the GAN's: the claim holds above 1."""

    def evaluated(model):  # a completed run without an evaluation says nothing about speed
        return [r for r in _pick(rows, model, "conv") if diverged(r) or not math.isnan(as_float(r.get("fid")))]

    dcgan, wgan = evaluated("dcgan"), evaluated("wgan")
    if not dcgan or not wgan:
        return Comparison("", missing=f"runs: dcgan conv {len(dcgan)}, wgan conv {len(wgan)} (need both)")
    used = sorted({as_float(r.get("fid_threshold")) for r in dcgan + wgan})
    if used != [float(t["good_fid"])]:
        return Comparison("", missing=f"{column} was computed for FID <= {used}, not good_fid = {t['good_fid']}")

    def cost(value):  # never reaching it (or diverging) counts as infinitely slow
        return math.inf if math.isnan(value) else value

    per_seed = _paired(wgan, dcgan, lambda w, d: _ratio(cost(w), cost(d)), column, math.nan)
    evidence = (
        f"{unit} to FID <= {t['good_fid']}: {_group('dcgan', dcgan, column, math.inf, 'never')}; "
        f"{_group('wgan', wgan, column, math.inf, 'never')}; ratio wgan / dcgan > 1 holds"
    )
    if all(math.isnan(v) for v in per_seed.values()):
        return Comparison("", missing=evidence + "; neither reached it")
    return Comparison(evidence, per_seed, lambda v: v > 1, "ratio", dcgan + wgan)


def _dcgan_faster_in_seconds(rows, t):
    return _dcgan_faster(rows, t, column="seconds_to_threshold", unit="wall-clock seconds")


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


ROBUSTNESS_CLAIM = "WGAN succeeds on at least as many random architectures as the GAN (Gulrajani et al., Table 2)"


def _robustness(rows: Sequence[Mapping], t: Mapping, level: float) -> tuple[str, str, dict]:
    """The GAN against WGAN on the random architectures, paired per architecture and seed: a run
    succeeds with FID <= good_fid and at least min_modes classes. A one-sided sign test on the
    architectures where exactly one of them succeeded: "reproduced" when WGAN's are significantly
    more (p < 1 - confidence), "not reproduced" when the GAN's are, else inconclusive."""
    pairs = robustness.outcomes(rows, t["good_fid"], t["min_modes"], models=("dcgan", "wgan"))
    if not pairs:
        return INCONCLUSIVE, "no random architecture with a judged GAN and WGAN run of the same seed", {"seeds": 0}
    wins = sum(c["wgan"] and not c["dcgan"] for c in pairs.values())
    losses = sum(c["dcgan"] and not c["wgan"] for c in pairs.values())
    both = sum(c["wgan"] and c["dcgan"] for c in pairs.values())
    p_wgan, p_gan = robustness.sign_test(wins, losses), robustness.sign_test(losses, wins)
    alpha = 1 - level
    seeds = len({seed for _, seed, _ in pairs})
    stats = {"seeds": seeds, "agreeing": len(pairs) - losses, "out_of": len(pairs), "over": "architecture"}
    stats |= {"median": math.nan, "p_value": min(p_wgan, p_gan)}
    evidence = (
        f"success = FID <= {t['good_fid']} and >= {t['min_modes']} classes, on {len(pairs)} architecture-seed "
        f"pairs: only WGAN {wins}, only the GAN {losses}, both {both}, neither {len(pairs) - wins - losses - both}; "
        f"one-sided sign test on the {wins + losses} split: p = {p_wgan:.3g} for WGAN, {p_gan:.3g} for the GAN"
    )
    if p_gan < alpha:
        used = [r for r in rows if robustness.is_random(r.get("architecture")) and r.get("model") in ("dcgan", "wgan")]
        return _unless_unconverged(used), evidence, stats
    if p_wgan < alpha:
        return REPRODUCED, evidence, stats
    return f"{INCONCLUSIVE}: no significant difference", evidence, stats


def evaluate_claims(rows: Sequence[Mapping], thresholds: Mapping) -> list[dict]:
    """Verdicts on the paper's claims, per dataset: [{claim, dataset, evidence, verdict, seeds,
    agreeing, out_of, over, median, low, high}]: ``agreeing`` of ``out_of`` seeds (``over`` "seed")
    or runs ("run") hold the claim on their own; the interval only with two or more."""
    missing = [key for key in REQUIRED_THRESHOLDS if key not in thresholds]
    if missing:
        raise KeyError(f"thresholds lack {missing}; see wganlib.claims' docstring")
    level, resamples = float(thresholds.get("confidence", 0.95)), int(thresholds.get("resamples", 2000))
    result = []
    for dataset in list(dict.fromkeys(r.get("dataset") for r in rows)) or [None]:
        subset = [r for r in rows if r.get("dataset") == dataset]
        for claim, judge in CLAIMS:
            verdict, evidence, stats = _judge(judge(subset, thresholds), level, resamples)
            result.append({"claim": claim, "dataset": dataset, "evidence": evidence, "verdict": verdict, **stats})
        if any(robustness.is_random(r.get("architecture")) for r in subset):
            verdict, evidence, stats = _robustness(subset, thresholds, level)
            result.append(
                {"claim": ROBUSTNESS_CLAIM, "dataset": dataset, "evidence": evidence, "verdict": verdict, **stats}
            )
    return result

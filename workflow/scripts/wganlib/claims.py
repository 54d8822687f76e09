"""Verdicts on the claims of the WGAN paper, judged on ``runs.summary_rows``' rows.

Verdicts come only from the measured numbers and from the thresholds passed to
``evaluate_claims`` (a dict, normally the config's); nothing here hard-codes a cut-off.
Threshold keys:

- ``min_correlation``: the Spearman correlation between an estimate's changes and FID's over
  training that counts as "tracks quality" (claims 1 and 2, ``tracking``).
- ``good_fid``: the FID at or below which samples count as good; must equal the ``good_fid``
  given to ``runs.summary_rows``, which computes ``iterations_to_threshold`` from it (claim 6).
- ``fid_margin``: the factor (> 1) by which one FID must exceed another to count as worse
  (claims 3 and 5).
- ``min_modes``: the number of classes covered below which a generator counts as collapsed
  (claim 4).
- ``min_recall`` (optional, default 0): the recall under which, in every run, a recall claim
  cannot compare diversity (``mode_claims``).
- ``confidence`` (optional, default 0.95): the level a verdict aims at; with fewer seeds than it
  needs (6 for 95 %, 5 for 90 %), the verdict states the lower level it has.

Each claim compares one quantity per seed (a median correlation, an FID ratio, a margin in modes
covered, a ratio of costs) with a threshold; ``verdicts.judge`` turns the seeds into a verdict on
the order-statistic interval for their median at its exact level ("reproduced (75 % interval)"
with 3 seeds), "inconclusive: seeds disagree" when it straddles the threshold, "inconclusive: one
seed" with one. A diverged run counts as failed: FID infinite, no modes, never reaching
``good_fid``; two failed runs compared are equally bad (ratio 1), a rule rather than NaN.
"not reproduced" is a finding only when every run it rests on is final: converged
(``runs.convergence``), or, for the speed claims, past its crossing of ``good_fid``, which a
longer budget cannot move; otherwise "inconclusive: still improving" (or "not started") with the
runs named. With random architectures in the grid (``robustness``), one more claim pairs the GAN
and WGAN per architecture and tests them with a sign test (``_robustness``). The mode-collapse
claims on Stacked MNIST's 1,000 modes and on recall (``mode_claims``) join the table where runs
have those measures. No TensorFlow.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from . import mode_claims, robustness
from .runs import as_float, diverged
from .tracking import em_tracks_quality, js_does_not_track
from .verdicts import (
    INCONCLUSIVE,
    REPRODUCED,
    Comparison,
    converged,
    group,
    judge,
    paired,
    pick,
    unless_unsettled,
)

REQUIRED_THRESHOLDS = ("min_correlation", "good_fid", "fid_margin", "min_modes")


# ---------------------------------------------------------------- the claims


def _ratio(top: float, bottom: float) -> float:
    if math.isnan(top) or math.isnan(bottom):
        return math.nan
    if math.isinf(top) and math.isinf(bottom):  # both failed (diverged, or never got there): equally bad
        return 1.0
    if bottom == 0:
        return math.inf if top > 0 else math.nan
    return top / bottom


def _fid_ratio(rows, t, worse: tuple[str, str], better: tuple[str, str], meaning: str):
    """FID of ``worse`` over FID of ``better`` per seed; the claim holds from fid_margin on."""
    w_rows, b_rows = pick(rows, *worse), pick(rows, *better)
    per_seed = paired(w_rows, b_rows, _ratio, "fid", math.inf)
    if not per_seed:
        return Comparison(
            "",
            missing=f"runs: {' '.join(worse)} {len(w_rows)}, {' '.join(better)} {len(b_rows)} (need both, same seed)",
        )
    evidence = (
        f"FID: {group(' '.join(worse), w_rows, 'fid', math.inf)}; {group(' '.join(better), b_rows, 'fid', math.inf)}; "
        f"{meaning} {t['fid_margin']} (diverged = failed, FID inf; both diverged = equally failed, ratio 1)"
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
    the claim holds at a margin >= 0. Not on Stacked MNIST (None): its 1,000 modes judge this claim
    there (``mode_claims``), and its judge's classes are no ten digits that min_modes counts."""
    wgan, dcgan = pick(rows, "wgan", "mlp"), pick(rows, "dcgan", "mlp")
    if any(math.isfinite(as_float(r.get("stacked_modes"))) for r in wgan + dcgan):
        return None
    k = t["min_modes"]
    per_seed = paired(wgan, dcgan, lambda w, d: min(w - k, k - 1 - d), "modes_covered", 0.0)
    if not per_seed:
        return Comparison("", missing=f"runs: wgan mlp {len(wgan)}, dcgan mlp {len(dcgan)} (need both, same seed)")
    evidence = (
        f"modes covered: {group('dcgan', dcgan, 'modes_covered', 0.0)}; {group('wgan', wgan, 'modes_covered', 0.0)}; "
        f"collapse means < {k} (diverged = 0); margin min(wgan - {k}, {k - 1} - dcgan) >= 0 holds"
    )
    return Comparison(evidence, per_seed, lambda v: v >= 0, "margin", wgan + dcgan)


def _dcgan_faster(rows, t, *, column="iterations_to_threshold", unit="generator iterations"):
    """Claim 6: the GAN (conv) reaches FID <= good_fid sooner than WGAN (conv), in ``unit`` (the
    paper's axis is generator iterations; wall-clock time counts WGAN's extra critic updates).
    Per seed, WGAN's cost over the GAN's: the claim holds above 1."""

    def evaluated(model):  # a completed run without an evaluation says nothing about speed
        return [r for r in pick(rows, model, "conv") if diverged(r) or not math.isnan(as_float(r.get("fid")))]

    dcgan, wgan = evaluated("dcgan"), evaluated("wgan")
    if not dcgan or not wgan:
        return Comparison("", missing=f"runs: dcgan conv {len(dcgan)}, wgan conv {len(wgan)} (need both)")
    used = sorted({as_float(r.get("fid_threshold")) for r in dcgan + wgan})
    if used != [float(t["good_fid"])]:
        return Comparison("", missing=f"{column} was computed for FID <= {used}, not good_fid = {t['good_fid']}")

    def cost(value):  # never reaching it (or diverging) counts as infinitely slow
        return math.inf if math.isnan(value) else value

    costs = paired(wgan, dcgan, lambda w, d: (cost(w), cost(d)), column, math.nan)
    evidence = (
        f"{unit} to FID <= {t['good_fid']} (crossings confirmed by the next snapshot): "
        f"{group('dcgan', dcgan, column, math.inf, 'never')}; {group('wgan', wgan, column, math.inf, 'never')}; "
        f"ratio wgan / dcgan > 1 holds (neither reaching it: a tie, 1)"
    )
    if all(math.isinf(w) and math.isinf(d) for w, d in costs.values()):
        return Comparison("", missing=evidence + "; neither reached it")
    per_seed = {seed: _ratio(w, d) for seed, (w, d) in costs.items()}
    return Comparison(evidence, per_seed, lambda v: v > 1, "ratio", dcgan + wgan, settled=_crossed_or_converged)


def _crossed_or_converged(row: Mapping) -> bool:
    """A run's cost to good_fid is final once it crossed, however it went on improving."""
    return converged(row) or not math.isnan(as_float(row.get("iterations_to_threshold")))


def _dcgan_faster_in_seconds(rows, t):
    return _dcgan_faster(rows, t, column="seconds_to_threshold", unit="wall-clock seconds")


CLAIMS = (
    ("The critic's EM estimate tracks sample quality (Fig. 3)", em_tracks_quality),
    ("The standard GAN's JS estimate does not track sample quality (Fig. 4)", js_does_not_track),
    ("Without batch norm (conv-nobn) WGAN trains where the standard GAN fails (Fig. 6)", _nobn_wgan_trains),
    ("With an MLP generator the standard GAN collapses and WGAN does not (Fig. 7)", _mlp_dcgan_collapses),
    ("Batch norm only in the generator's first layer (conv-bn-first) hurts WGAN", _bn_first_hurts),
    ("The standard GAN reaches good samples in fewer generator iterations than WGAN (conv)", _dcgan_faster),
    ("The standard GAN reaches good samples in less wall-clock time than WGAN (conv)", _dcgan_faster_in_seconds),
)


ROBUSTNESS_CLAIM = "WGAN succeeds on at least as many random architectures as the GAN (Gulrajani et al., Table 2)"


def _robustness(rows: Sequence[Mapping], t: Mapping, level: float) -> tuple[str, str, dict]:
    """The GAN against WGAN on the random architectures, paired per architecture: a run succeeds
    when its snapshot FIDs crossed good_fid (``runs.fid_reached``, the speed claims' crossing) and
    it covers at least min_modes classes at the end; a model succeeds on an architecture when more
    than half its seeds did (``robustness.by_architecture``), so an architecture is one pair
    however many seeds trained on it. The claim is "at least as many" (Gulrajani et al. found
    more): "not reproduced" when the GAN succeeds on significantly more architectures (one-sided
    sign test, p < 1 - confidence) and the failing runs are final; "reproduced" when WGAN succeeds
    on significantly more, and "reproduced: at least as many, not significantly more" when it
    succeeds on as many or more without significance (the claim holds in the counts and the GAN's
    side has no evidence); "inconclusive: the GAN on more, not significantly" otherwise, and
    "inconclusive: nothing succeeded" when neither trained anywhere."""
    pairs = robustness.by_architecture(rows, t["good_fid"], t["min_modes"], models=("dcgan", "wgan"))
    if not pairs:
        return INCONCLUSIVE, "no random architecture with a judged GAN and WGAN run of the same seed", {"seeds": 0}
    wins = sum(c["wgan"] and not c["dcgan"] for c in pairs.values())
    losses = sum(c["dcgan"] and not c["wgan"] for c in pairs.values())
    both = sum(c["wgan"] and c["dcgan"] for c in pairs.values())
    p_wgan, p_gan = robustness.sign_test(wins, losses), robustness.sign_test(losses, wins)
    alpha = 1 - level
    used = [r for r in rows if robustness.is_random(r.get("architecture")) and r.get("model") in ("dcgan", "wgan")]
    seeds = len({r.get("seed") for r in used})
    stats = {"seeds": seeds, "agreeing": len(pairs) - losses, "out_of": len(pairs), "over": "architecture"}
    stats |= {"median": math.nan, "p_value": min(p_wgan, p_gan)}
    evidence = (
        f"success = snapshot FID <= {t['good_fid']} (confirmed by the next snapshot) and >= {t['min_modes']} "
        f"classes at the end, per architecture by the majority of its {seeds} seed{'s' if seeds != 1 else ''}; "
        f"{len(pairs)} architectures: only WGAN {wins}, only the GAN {losses}, both {both}, "
        f"neither {len(pairs) - wins - losses - both}; one-sided sign test on the {wins + losses} split: "
        f"p = {p_wgan:.3g} for WGAN, {p_gan:.3g} for the GAN"
    )
    if p_gan < alpha:
        return unless_unsettled(used, _succeeded_or_converged(t)), evidence, stats
    if p_wgan < alpha:
        return REPRODUCED, evidence, stats
    if wins + losses + both == 0:
        return f"{INCONCLUSIVE}: nothing succeeded", evidence, stats
    if wins >= losses:
        return f"{REPRODUCED}: at least as many, not significantly more", evidence, stats
    return f"{INCONCLUSIVE}: the GAN on more, not significantly", evidence, stats


def _succeeded_or_converged(t: Mapping):
    """A run that succeeded stays a success (its crossing is final); a failed one, once converged."""
    return lambda row: converged(row) or bool(robustness.succeeded(row, t["good_fid"], t["min_modes"]))


def evaluate_claims(rows: Sequence[Mapping], thresholds: Mapping) -> list[dict]:
    """Verdicts on the paper's claims, per dataset: [{claim, dataset, evidence, verdict, seeds,
    agreeing, out_of, over, median, low, high}]: ``agreeing`` of ``out_of`` seeds (``over`` "seed")
    or runs ("run") hold the claim on their own; the interval (``low``, ``high`` and its exact
    ``level``) only with two or more seeds."""
    missing = [key for key in REQUIRED_THRESHOLDS if key not in thresholds]
    if missing:
        raise KeyError(f"thresholds lack {missing}; see wganlib.claims' docstring")
    level = float(thresholds.get("confidence", 0.95))
    result = []
    for dataset in list(dict.fromkeys(r.get("dataset") for r in rows)) or [None]:
        subset = [r for r in rows if r.get("dataset") == dataset]
        for claim, compare in CLAIMS:
            comparison = compare(subset, thresholds)
            if comparison is None:  # not a claim about this dataset's measures
                continue
            verdict, evidence, stats = judge(comparison, level)
            result.append({"claim": claim, "dataset": dataset, "evidence": evidence, "verdict": verdict, **stats})
        for mode_claim in mode_claims.MODE_CLAIMS:  # only those whose measure a run has (mode_claims)
            comparison = mode_claims.compare(subset, mode_claim, thresholds)
            if comparison is not None:
                verdict, evidence, stats = judge(comparison, level)
                result.append(
                    {"claim": mode_claim.claim, "dataset": dataset, "evidence": evidence, "verdict": verdict, **stats}
                )
        if any(robustness.is_random(r.get("architecture")) for r in subset):
            verdict, evidence, stats = _robustness(subset, thresholds, level)
            result.append(
                {"claim": ROBUSTNESS_CLAIM, "dataset": dataset, "evidence": evidence, "verdict": verdict, **stats}
            )
    return result

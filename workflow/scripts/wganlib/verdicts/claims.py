"""Verdicts on the claims of the WGAN paper, judged on ``runs.summary_rows``' rows.

Verdicts come only from the measured numbers and from the thresholds passed to
``evaluate_claims`` (a dict, normally the config's); nothing here hard-codes a cut-off. Each
claim's test is written down before it is applied (docs/metrics.md, one block per claim: the
question, the statistic, the null, the rule and the minimum data). Threshold keys:

- ``tracking_margin``: the between-seed correlation too small to count as tracking, and the
  margin by which the JS estimate must track less than the EM estimate (claims 1 and 2,
  ``tracking``).
- ``good_fid``: the FID at or below which samples count as good; must equal the ``good_fid``
  given to ``runs.summary_rows``, which computes the crossings from it (claims 6 and 7).
- ``fid_margin``: the factor (> 1) by which one FID must exceed another to count as worse
  (claims 3 and 5).
- ``min_modes``: the classes a run must cover for a success on a random architecture.
- ``success_margin``, ``mode_margin``, ``recall_margin`` (optional; 0.2, 50, 0.05): the deficit of
  WGAN's success rate, Stacked MNIST modes and recall that "at least as many" tolerates
  (non-inferiority, ``robustness``, ``mode_claims``).
- ``min_recall`` (optional, default 0): the recall under which, in every run, a recall claim
  cannot compare diversity (``mode_claims``).
- ``confidence`` (optional, default 0.9): the level of every interval; one-sided tests run at
  (1 - confidence) / 2, the side of such an interval. With fewer seeds than it needs (5 for 90 %),
  a verdict states the lower level it has.

Claims 3 to 7 compare one quantity per seed (an FID ratio, a difference of modes covered, a ratio
of costs) with a threshold; ``verdicts.judge`` turns the seeds into a verdict on the
order-statistic interval for their median at its exact level. The tracking claims test whether an
estimate ranks the seeds' runs by FID (``tracking``). A diverged run counts as failed: FID
infinite, no modes; a crossing of ``good_fid`` before it diverged stays a crossing. "not
reproduced" on runs that a longer budget could change is inconclusive here; the verdicts over
budgets (``budgets``) decide whether it is stable. With random architectures in the grid
(``robustness``), one more claim pairs the GAN and WGAN per architecture (non-inferiority of the
success rate, ``_robustness``). The mode-collapse claims (``mode_claims``) join the table where
runs have those measures. No TensorFlow.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from wganlib.common.tables import fmt
from wganlib.plan.objectives import GAN, WGAN  # the paper's models, which its claims pair

from . import mode_claims, robustness
from .intervals import items_needed, non_inferiority_power, paired_difference_interval, percent
from .runs import as_float, diverged
from .tracking import em_tracks_quality, js_does_not_track
from .verdicts import (
    INCONCLUSIVE,
    REPRODUCED,
    Comparison,
    by_seed,
    converged,
    group,
    judge,
    median,
    paired,
    pick,
    unless_unsettled,
)

REQUIRED_THRESHOLDS = ("tracking_margin", "good_fid", "fid_margin", "min_modes")
# The non-inferiority margins a threshold dict may leave out (the schema's defaults).
MARGINS = {"success_margin": 0.2, "mode_margin": 50, "recall_margin": 0.05}


def margin(t: Mapping, key: str) -> float:
    return float(t.get(key, MARGINS[key]))


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
    return _fid_ratio(rows, t, (GAN, "conv-nobn"), (WGAN, "conv-nobn"), "ratio dcgan / wgan; holds from")


def _bn_first_hurts(rows, t):
    """Claim 5 (tf-wgan README): WGAN conv-bn-first FID >= fid_margin x WGAN conv FID."""
    return _fid_ratio(rows, t, (WGAN, "conv-bn-first"), (WGAN, "conv"), "ratio conv-bn-first / conv; hurts from")


def _mlp_wgan_covers_more(rows, t):
    """Claim 4 (Fig. 7): with the MLP generator WGAN covers more classes than the GAN. Per seed,
    WGAN's classes minus the GAN's (a comparison, as the figure's: one bar for both sides would
    test WGAN's convergence, not the GAN's collapse); the claim holds above 0, so a tie does not
    hold. Not on Stacked MNIST (None): its 1,000 modes judge this claim there (``mode_claims``)."""
    wgan, dcgan = pick(rows, WGAN, "mlp"), pick(rows, GAN, "mlp")
    if any(math.isfinite(as_float(r.get("stacked_modes"))) for r in wgan + dcgan):
        return None
    per_seed = paired(wgan, dcgan, lambda w, d: w - d, "modes_covered", 0.0)
    if not per_seed:
        return Comparison("", missing=f"runs: wgan mlp {len(wgan)}, dcgan mlp {len(dcgan)} (need both, same seed)")
    evidence = (
        f"modes covered: {group(GAN, dcgan, 'modes_covered', 0.0)}; {group(WGAN, wgan, 'modes_covered', 0.0)} "
        f"(diverged = 0); difference wgan - dcgan > 0 holds"
    )
    return Comparison(evidence, per_seed, lambda v: v > 0, "difference", wgan + dcgan)


def _dcgan_faster(rows, t, *, column="iterations_to_threshold", unit="generator iterations"):
    """Claims 6 and 7: the GAN (conv) reaches FID <= good_fid sooner than WGAN (conv), in ``unit``
    (the paper's axis is generator iterations; critic updates count WGAN's five, and bursts of 100,
    per iteration: the compute, which wall-clock seconds measure too but with the machine's load
    in them). Per seed, WGAN's cost over the GAN's: the claim holds above 1."""

    def evaluated(model):  # a completed run without an evaluation says nothing about speed
        return [r for r in pick(rows, model, "conv") if diverged(r) or not math.isnan(as_float(r.get("fid")))]

    dcgan, wgan = evaluated(GAN), evaluated(WGAN)
    if not dcgan or not wgan:
        return Comparison("", missing=f"runs: dcgan conv {len(dcgan)}, wgan conv {len(wgan)} (need both)")
    used = sorted({as_float(r.get("fid_threshold")) for r in dcgan + wgan})
    if used != [float(t["good_fid"])]:
        return Comparison("", missing=f"{column} was computed for FID <= {used}, not good_fid = {t['good_fid']}")

    def cost(row):  # a crossing is final, diverged after it or not; never reaching it: infinitely slow
        value = as_float(row.get(column))
        return math.inf if math.isnan(value) else value

    w_seed, d_seed = by_seed(wgan), by_seed(dcgan)
    costs = {s: (cost(w_seed[s][0]), cost(d_seed[s][0])) for s in sorted(set(w_seed) & set(d_seed), key=str)}

    def spent(rows):
        values = sorted(cost(r) for r in rows)
        return f"median {fmt(median(values), 'never')} (n={len(values)}, {sum(diverged(r) for r in rows)} diverged)"

    evidence = (
        f"{unit} to FID <= {t['good_fid']} (crossings confirmed by the next snapshot): "
        f"dcgan {spent(dcgan)}; wgan {spent(wgan)}; ratio wgan / dcgan > 1 holds (neither reaching it: a tie, 1)"
    )
    if column == "critic_updates_to_threshold":
        evidence += f"; wall-clock seconds, measured under the machine's load: dcgan {spent_seconds(dcgan)}, "
        evidence += f"wgan {spent_seconds(wgan)}"
    if all(math.isinf(w) and math.isinf(d) for w, d in costs.values()):
        return Comparison("", missing=evidence + "; neither reached it")
    per_seed = {seed: _ratio(w, d) for seed, (w, d) in costs.items()}
    return Comparison(evidence, per_seed, lambda v: v > 1, "ratio", dcgan + wgan, settled=_crossed_or_converged)


def spent_seconds(rows) -> str:
    values = [as_float(r.get("seconds_to_threshold")) for r in rows]
    return fmt(median([math.inf if math.isnan(v) else v for v in values]), "never")


def _crossed_or_converged(row: Mapping) -> bool:
    """A run's cost to good_fid is final once it crossed, however it went on improving."""
    return converged(row) or not math.isnan(as_float(row.get("iterations_to_threshold")))


def _dcgan_faster_in_compute(rows, t):
    return _dcgan_faster(rows, t, column="critic_updates_to_threshold", unit="critic updates")


ROBUSTNESS_CLAIM = "WGAN succeeds on at least as many random architectures as the GAN (Gulrajani et al., Table 2)"


def _robustness(rows: Sequence[Mapping], t: Mapping, level: float) -> tuple[str, str, dict]:
    """The GAN against WGAN on the random architectures, paired per architecture: a run succeeds
    when its snapshot FIDs crossed good_fid (``runs.fid_reached``, the speed claims' crossing) and
    it covers at least min_modes classes at the end; a model succeeds on an architecture when more
    than half its seeds did (``robustness.by_architecture``), so an architecture is one pair
    however many seeds trained on it. "At least as many" is non-inferiority: WGAN's success rate
    minus the GAN's, with Tango's score interval at ``confidence`` over the architectures
    (``intervals.paired_difference_interval``), "reproduced: non-inferior" when its lower end is
    above -success_margin ("reproduced: more" when above 0), "not reproduced" when its upper end
    is under -success_margin and the failing runs are final, otherwise "inconclusive: too few
    architectures" with the counts, the interval and how many architectures the margin needs."""
    pairs = robustness.by_architecture(rows, t["good_fid"], t["min_modes"], models=(GAN, WGAN))
    if not pairs:
        return INCONCLUSIVE, "no random architecture with a judged GAN and WGAN run of the same seed", {"seeds": 0}
    n = len(pairs)
    wins = sum(c[WGAN] and not c[GAN] for c in pairs.values())
    losses = sum(c[GAN] and not c[WGAN] for c in pairs.values())
    both = sum(c[WGAN] and c[GAN] for c in pairs.values())
    low, high = paired_difference_interval(wins, losses, n, level)
    delta = margin(t, "success_margin")
    split = max(wins + losses, 1) / n  # the design's discordance, at least one architecture's worth
    power, needed = non_inferiority_power(n, delta, split, level), items_needed(delta, split, level)
    used = [r for r in rows if robustness.is_random(r.get("architecture")) and r.get("model") in (GAN, WGAN)]
    seeds = len({r.get("seed") for r in used})
    stats = {"seeds": seeds, "agreeing": n - losses, "out_of": n, "over": "architecture"}
    stats |= {"median": (wins - losses) / n, "low": low, "high": high, "level": level}
    evidence = (
        f"success = snapshot FID <= {t['good_fid']} (confirmed by the next snapshot) and >= {t['min_modes']} "
        f"classes at the end, per architecture by the majority of its {seeds} seed{'s' if seeds != 1 else ''}; "
        f"{n} architectures: only WGAN {wins}, only the GAN {losses}, both {both}, neither {n - wins - losses - both}; "
        f"success rate wgan - dcgan {(wins - losses) / n:+.3f}, {percent(level)} score interval [{low:.3f}, {high:.3f}]; "
        f"non-inferior when its lower end > -{delta}; with {wins + losses} of {n} split, this design has "
        f"{100 * power:.0f} % power at that margin, which needs {needed} architectures for 80 %"
    )
    if wins + losses + both == 0:  # both fail everywhere: no success rate to compare
        return f"{INCONCLUSIVE}: nothing succeeded", evidence, stats
    if low > 0:
        return f"{REPRODUCED}: more", evidence, stats
    if low > -delta:
        return f"{REPRODUCED}: non-inferior, WGAN at most {delta} behind", evidence, stats
    if high < -delta:
        return unless_unsettled(used, _succeeded_or_converged(t)), evidence, stats
    return (
        f"{INCONCLUSIVE}: too few architectures ({wins + losses} discordant; difference in [{low:.2f}, {high:.2f}])",
        evidence,
        stats,
    )


def _succeeded_or_converged(t: Mapping):
    """A run that succeeded stays a success (its crossing is final); a failed one, once converged."""
    return lambda row: converged(row) or bool(robustness.succeeded(row, t["good_fid"], t["min_modes"]))


# ---------------------------------------------------------------- the claim table


@dataclass(frozen=True)
class Claim:
    """One row of the claim table: what the summary says (``claim``), who claimed it
    (``source``), what is measured (``quantity``), the test written down for it in docs/metrics.md
    (``test``, its block's title there), the thresholds it reads, and ``decide``: (rows of one
    dataset, thresholds, confidence) -> (verdict, evidence, stats), or None where the rows hold
    nothing the claim is about."""

    claim: str
    source: str
    quantity: str
    test: str
    thresholds: tuple[str, ...]
    decide: Callable[[Sequence[Mapping], Mapping, float], tuple[str, str, dict] | None]


def per_seed(compare: Callable[[Sequence[Mapping], Mapping], Comparison | None]):
    """A claim compared per seed (``compare``), judged on the order-statistic interval for the
    median (``verdicts.judge``)."""

    def decide(rows, t, level):
        comparison = compare(rows, t)
        return None if comparison is None else judge(comparison, level)

    return decide


def _mode_claim(c: mode_claims.ModeClaim) -> Claim:
    margin_key = () if c.strictly_more else (mode_claims.MARGINS[c.measure][0],)
    floor = ("min_recall",) if c.measure == "recall" else ()
    return Claim(
        c.claim,
        "Metz et al. 2017, PacGAN Table 3 (Stacked MNIST); Arjovsky et al. 2017, Fig. 7",
        f"{mode_claims.MEASURES[c.measure]}, WGAN minus the GAN per seed, {c.architecture}",
        "Claim 4" if c.strictly_more else '"At least as many": non-inferiority',
        ("confidence", *margin_key, *floor),
        per_seed(lambda rows, t: mode_claims.compare(rows, c, t)),
    )


def _random_architectures(rows, t, level):
    if not any(robustness.is_random(r.get("architecture")) for r in rows):
        return None
    return _robustness(rows, t, level)


PAPER = "Arjovsky et al. 2017"
FID_RATIO = ("fid_margin", "confidence")
TO_GOOD_FID = ("good_fid", "confidence")
# Every claim the summary judges, in the order of its table; docs/metrics.md writes down each test.
CLAIMS = (
    Claim(
        "The critic's EM estimate tracks sample quality (Fig. 3)",
        f"{PAPER}, Fig. 3",
        "between-seed Spearman rho of the EM estimate against FID at shared snapshots",
        "Claim 1",
        ("tracking_margin", "confidence"),
        em_tracks_quality,
    ),
    Claim(
        "The standard GAN's JS estimate does not track sample quality (Fig. 4)",
        f"{PAPER}, Fig. 4",
        "the EM estimate's between-seed rho minus the JS estimate's",
        "Claim 2",
        ("tracking_margin", "confidence"),
        js_does_not_track,
    ),
    Claim(
        "Without batch norm (conv-nobn) WGAN trains where the standard GAN fails (Fig. 6)",
        f"{PAPER}, Fig. 6",
        "final FID of the GAN over WGAN's per seed, conv-nobn",
        "Claims 3 and 5",
        FID_RATIO,
        per_seed(_nobn_wgan_trains),
    ),
    Claim(
        "With an MLP generator WGAN covers more classes than the standard GAN (Fig. 7)",
        f"{PAPER}, Fig. 7",
        "classes covered, WGAN minus the GAN per seed, mlp",
        "Claim 4",
        ("confidence",),
        per_seed(_mlp_wgan_covers_more),
    ),
    Claim(
        "Batch norm only in the generator's first layer (conv-bn-first) hurts WGAN",
        "the tf-wgan README (../shared/seeds)",
        "WGAN's final FID with conv-bn-first over conv's per seed",
        "Claims 3 and 5",
        FID_RATIO,
        per_seed(_bn_first_hurts),
    ),
    Claim(
        "The standard GAN reaches good samples in fewer generator iterations than WGAN (conv)",
        "the tf-wgan README (../shared/seeds): the DCGAN converges much faster",
        "generator iterations to FID <= good_fid, WGAN over the GAN per seed, conv",
        "Claims 6 and 7",
        TO_GOOD_FID,
        per_seed(_dcgan_faster),
    ),
    Claim(
        "The standard GAN reaches good samples with fewer critic updates (compute) than WGAN (conv)",
        "the tf-wgan README (../shared/seeds): the DCGAN converges much faster",
        "critic updates to FID <= good_fid, WGAN over the GAN per seed, conv",
        "Claims 6 and 7",
        TO_GOOD_FID,
        per_seed(_dcgan_faster_in_compute),
    ),
    *(_mode_claim(c) for c in mode_claims.MODE_CLAIMS),
    Claim(
        ROBUSTNESS_CLAIM,
        "Gulrajani et al. 2017, Table 2; the wasserstein-gans-notebook README (../shared/seeds)",
        "success rate over random architectures, WGAN minus the GAN",
        '"At least as many": non-inferiority',
        ("good_fid", "min_modes", "success_margin", "confidence"),
        _random_architectures,
    ),
)


def evaluate_claims(rows: Sequence[Mapping], thresholds: Mapping) -> list[dict]:
    """Verdicts on the paper's claims, per dataset, one row per claim of ``CLAIMS`` whose runs are
    there: [{claim, dataset, evidence, verdict, seeds, agreeing, out_of, over, median, low, high}]:
    ``agreeing`` of ``out_of`` seeds (``over`` "seed") or runs ("run") hold the claim on their
    own; the interval (``low``, ``high`` and its exact ``level``) only with two or more seeds."""
    missing = [key for key in REQUIRED_THRESHOLDS if key not in thresholds]
    if missing:
        raise KeyError(f"thresholds lack {missing}; see wganlib.verdicts.claims' docstring")
    level = float(thresholds.get("confidence", 0.9))
    result = []
    for dataset in list(dict.fromkeys(r.get("dataset") for r in rows)) or [None]:
        subset = [r for r in rows if r.get("dataset") == dataset]
        for claim in CLAIMS:
            decided = claim.decide(subset, thresholds, level)
            if decided is not None:
                verdict, evidence, stats = decided
                result.append(
                    {"claim": claim.claim, "dataset": dataset, "evidence": evidence, "verdict": verdict, **stats}
                )
    return result

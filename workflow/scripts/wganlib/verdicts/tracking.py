"""Claims 1 and 2 (Figs. 3 and 4): whether an estimate of the distance tracks sample quality.

Any estimate that falls as training goes on correlates with FID over training, and so do the
changes of any convex falling curve: a quality-blind clock scores 0.72 to 0.80 on those
statistics (docs/evidence/tracking.md). What only a tracker can do is tell runs apart at the same
point of training. So the test (pre-registered in docs/metrics.md) asks, within each model and
architecture, at every snapshot iteration all its seeds share: does the estimate rank the seeds'
runs as FID ranks them?

- Statistic: per group (model, architecture), the Spearman correlation across seeds of the
  estimate against FID at each matched snapshot iteration (after iteration 0), averaged over those
  iterations; then averaged over the groups. Only runs whose FID moved enter (not "not started",
  not diverged), and only groups of at least 3 such seeds.
- Null: the estimate carries nothing about which seed's run is better: whole estimate curves are
  exchangeable among a group's seeds. Its distribution: every permutation of each group's curves
  (exact when there are few, else 20,000 draws from a fixed generator), independently per group.
- Rule, one-sided at ``(1 - confidence) / 2`` (the side of a two-sided ``confidence`` interval):
  the EM estimate tracks ("reproduced") when the permutation p-value is under it; "not
  reproduced" when the statistic's upper bound (statistic + z times the null's s.d.) is under
  ``tracking_margin``. The JS estimate "does not track" when the EM estimate's statistic exceeds
  the JS estimate's by more than ``tracking_margin`` at that level (a stated margin below the EM
  estimate, not a failure to reject); "not reproduced" when the JS estimate tracks (its p under the
  level) and comes within the margin of the EM estimate.
- Minimum data: the exact permutation distribution must be able to reach the level (two groups
  of 3 seeds, or one of 4); one seed cannot be judged at all.

A clock has the same value in every seed at a matched iteration: it ranks nothing. Another seed's
curve of the same architecture carries the architecture's course but not the seed's luck: it is
one draw of the null. rho over training and rho of changes stay in the summary as descriptions.
No TensorFlow.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np
import pandas as pd

from wganlib.measures.convergence import DIVERGED, NOT_STARTED
from wganlib.plan.objectives import with_estimate

from .runs import as_float
from .verdicts import INCONCLUSIVE, NOT_REPRODUCED, ONE_SEED, REPRODUCED, pick

# The paper's models whose critic gives each estimate (the model table): wgan and wgan-gp, dcgan.
EM_MODELS, JS_MODELS = with_estimate("em"), with_estimate("js")
DRAWS = 20_000  # Monte Carlo draws of the null when the exact distribution is larger than this
MIN_SEEDS = 3  # a rank correlation across fewer seeds is no ranking


@dataclass(frozen=True)
class Tracking:
    """The between-seed test of one estimate over its groups."""

    statistic: float  # mean over groups of the mean between-seed Spearman rho at matched iterations
    p_value: float  # one-sided: the null's chance of a statistic at least as high
    null_sd: float
    smallest_p: float  # the least p-value the null's distribution allows (minimum data)
    groups: dict = field(default_factory=dict)  # (model, architecture) -> (seeds, iterations, rho)
    left_out: list = field(default_factory=list)  # runs whose FID did not move

    def upper(self, z: float) -> float:
        return self.statistic + z * self.null_sd

    def lower(self, z: float) -> float:
        return self.statistic - z * self.null_sd


def _ranks(values: np.ndarray) -> np.ndarray:
    """Average ranks down each column, standardised to mean 0 and norm 1."""
    ranks = pd.DataFrame(values).rank(axis=0).to_numpy(float, copy=True)
    ranks -= ranks.mean(axis=0)
    return ranks / np.linalg.norm(ranks, axis=0)


def _matched(curves: Sequence[Mapping]) -> tuple[np.ndarray, np.ndarray]:
    """(estimates, FIDs), seeds by matched snapshot iterations after 0 where every value is finite
    and neither the estimates nor the FIDs are all equal (no ranking to compare)."""
    shared = sorted(set.intersection(*(set(c["iteration"]) for c in curves)) - {0.0})
    at = [dict(zip(c["iteration"], zip(c["estimate"], c["fid"], strict=True), strict=True)) for c in curves]
    estimate = np.array([[a[i][0] for i in shared] for a in at], float).reshape(len(curves), len(shared))
    fid = np.array([[a[i][1] for i in shared] for a in at], float).reshape(len(curves), len(shared))
    keep = np.isfinite(estimate).all(axis=0) & np.isfinite(fid).all(axis=0)
    keep &= (np.ptp(estimate, axis=0) > 0) & (np.ptp(fid, axis=0) > 0) if len(shared) else keep
    return estimate[:, keep], fid[:, keep]


def _group_null(estimate: np.ndarray, fid: np.ndarray) -> np.ndarray:
    """The group's statistic under every permutation of its seeds' estimate curves (the identity
    first): the mean over iterations of rho(estimate[perm], fid) is (1/T) sum_i M[perm_i, i] with
    M = ranks(estimate) ranks(fid)^T."""
    n, t = estimate.shape
    m = _ranks(estimate) @ _ranks(fid).T / t
    if n <= 8:
        perms = np.array(list(itertools.permutations(range(n))))
    else:  # 9! and more: the identity and 5,000 draws
        rng = np.random.default_rng(n)
        perms = np.vstack([np.arange(n), [rng.permutation(n) for _ in range(5000)]])
    return m[perms, np.arange(n)].sum(axis=1)


def curve_of(row: Mapping) -> Mapping | None:
    """The row's estimate and FID at its snapshots (``runs.summary_rows``' ``curves``)."""
    curves = row.get("curves")
    return curves if isinstance(curves, Mapping) and len(curves.get("iteration", ())) else None


def between_seeds(rows: Sequence[Mapping], models: Sequence[str], draws: int = DRAWS) -> Tracking | None:
    """The test over ``models``' runs; None without a group of MIN_SEEDS runs that moved."""
    groups, left_out, nulls = {}, [], []
    for key in sorted({(r.get("model"), r.get("architecture")) for r in pick(rows, models)}, key=str):
        runs = [r for r in pick(rows, key[0], key[1]) if curve_of(r)]
        moved = [
            r for r in runs if r.get("convergence") not in (NOT_STARTED, DIVERGED) and r.get("status") != "diverged"
        ]
        left_out += [str(r.get("experiment")) for r in runs if r not in moved]
        if len(moved) < MIN_SEEDS:
            continue
        estimate, fid = _matched([curve_of(r) for r in sorted(moved, key=lambda r: str(r.get("seed")))])
        if estimate.shape[1] == 0:
            continue
        null = _group_null(estimate, fid)
        groups[key] = (len(moved), estimate.shape[1], float(null[0]))
        nulls.append(null)
    if not groups:
        return None
    observed = float(np.mean([rho for _, _, rho in groups.values()]))
    sizes = [len(null) for null in nulls]
    if math.prod(sizes) <= draws:  # exact: every combination of the groups' permutations
        combined = np.mean(np.array(list(itertools.product(*nulls))), axis=1)
        p_value = float(np.mean(combined >= observed - 1e-12))
    else:
        rng = np.random.default_rng(0)
        combined = np.mean([null[rng.integers(len(null), size=draws)] for null in nulls], axis=0)
        p_value = float((1 + np.sum(combined >= observed - 1e-12)) / (1 + draws))
    smallest = 1.0 / math.prod(sizes)
    return Tracking(observed, p_value, float(np.std(combined)), smallest, groups, left_out)


def _describe(name: str, test: Tracking) -> str:
    groups = ", ".join(f"{m} {a} {rho:+.2f} ({n} seeds, {t} iterations)" for (m, a), (n, t, rho) in test.groups.items())
    left = f"; left out, FID did not move: {', '.join(test.left_out)}" if test.left_out else ""
    return (
        f"{name}: between-seed rho(estimate, FID) at matched snapshot iterations, per group {groups}; "
        f"mean {test.statistic:.3f}, permutation p = {test.p_value:.3g} (null s.d. {test.null_sd:.3f}){left}"
    )


def _trend_note(rows: Sequence[Mapping], models: Sequence[str], name: str) -> str:
    """rho over training and of changes, kept as descriptions (both also follow a clock)."""
    trend = [as_float(r.get(f"spearman_{name}_fid")) for r in pick(rows, models)]
    changes = [as_float(r.get(f"spearman_{name}_fid_changes")) for r in pick(rows, models)]
    trend, changes = [v for v in trend if not math.isnan(v)], [v for v in changes if not math.isnan(v)]
    if not trend:
        return ""
    return (
        f" (described, not judged: rho over training median {np.median(trend):.2f}, of changes "
        f"{np.median(changes) if changes else math.nan:.2f}: a clock scores as high)"
    )


def _one_seed(rows: Sequence[Mapping], models: Sequence[str]) -> bool:
    return len({r.get("seed") for r in pick(rows, models)}) == 1


def _stats(test: Tracking | None, seeds: int, agreeing: int, low: float, high: float, level: float) -> dict:
    if test is None:
        return {"seeds": seeds}
    return {
        "seeds": seeds,
        "agreeing": agreeing,
        "out_of": len(test.groups),
        "over": "architecture",
        "median": test.statistic,
        "low": low,
        "high": high,
        "level": level,
        "p_value": test.p_value,
    }


def _z(level: float) -> tuple[float, float]:
    """The one-sided alpha of a two-sided ``level`` interval, and its normal quantile."""
    alpha = (1 - level) / 2
    return alpha, NormalDist().inv_cdf(1 - alpha)


def _seeds(rows: Sequence[Mapping], models: Sequence[str]) -> int:
    return len({r.get("seed") for r in pick(rows, models)})


def em_tracks_quality(rows: Sequence[Mapping], t: Mapping, level: float) -> tuple[str, str, dict]:
    """Claim 1 (Fig. 3): the critic's EM estimate ranks the seeds' runs by FID."""
    margin = t["tracking_margin"]
    alpha, z = _z(level)
    test = between_seeds(rows, EM_MODELS)
    seeds = _seeds(rows, EM_MODELS)
    if test is None:
        verdict = ONE_SEED if _one_seed(rows, EM_MODELS) else INCONCLUSIVE
        return verdict, f"no {'/'.join(EM_MODELS)} group of {MIN_SEEDS} seeds whose FID moved", {"seeds": seeds}
    low, high = test.lower(z), test.upper(z)
    evidence = _describe(f"EM estimate ({', '.join(EM_MODELS)})", test) + (
        f"; tracks when p < {alpha:.3g}; does not when the upper bound {high:.3f} < {margin}"
        + _trend_note(rows, EM_MODELS, "em")
    )
    agreeing = sum(rho > 0 for _, _, rho in test.groups.values())
    stats = _stats(test, seeds, agreeing, low, high, level)
    if test.smallest_p >= alpha:
        return f"{INCONCLUSIVE}: too few seeds (the least p-value is {test.smallest_p:.3g})", evidence, stats
    if test.p_value < alpha:
        return REPRODUCED, evidence, stats
    if high < margin:
        return NOT_REPRODUCED, evidence, stats
    return f"{INCONCLUSIVE}: neither shown nor ruled out", evidence, stats


def js_does_not_track(rows: Sequence[Mapping], t: Mapping, level: float) -> tuple[str, str, dict]:
    """Claim 2 (Fig. 4): the GAN's JS estimate tracks FID less than the EM estimate by the margin."""
    margin = t["tracking_margin"]
    alpha, z = _z(level)
    js, em = between_seeds(rows, JS_MODELS), between_seeds(rows, EM_MODELS)
    seeds = _seeds(rows, JS_MODELS)
    if js is None or em is None:
        verdict = ONE_SEED if _one_seed(rows, JS_MODELS) else INCONCLUSIVE
        return (
            verdict,
            f"no {'/'.join(JS_MODELS)} group, or no {'/'.join(EM_MODELS)} group, of {MIN_SEEDS} seeds whose FID moved",
            {"seeds": seeds},
        )
    gap = em.statistic - js.statistic
    spread = z * math.hypot(em.null_sd, js.null_sd)
    low, high = gap - spread, gap + spread
    evidence = (
        _describe(f"JS estimate ({', '.join(JS_MODELS)})", js)
        + f"; EM estimate's mean {em.statistic:.3f} (s.d. {em.null_sd:.3f}); EM minus JS {gap:.3f}, "
        f"{100 * level:.3g} % interval [{low:.3f}, {high:.3f}]; does not track when the interval's lower end "
        f"> {margin}" + _trend_note(rows, JS_MODELS, "js")
    )
    agreeing = sum(rho < em.statistic - margin for _, _, rho in js.groups.values())
    stats = _stats(js, seeds, agreeing, low, high, level) | {"median": gap}
    if js.smallest_p >= alpha:
        return f"{INCONCLUSIVE}: too few seeds (the least p-value is {js.smallest_p:.3g})", evidence, stats
    if low > margin:
        return REPRODUCED, evidence, stats
    if js.p_value < alpha and high < margin:
        return NOT_REPRODUCED, evidence, stats
    return f"{INCONCLUSIVE}: the gap to the EM estimate not shown", evidence, stats

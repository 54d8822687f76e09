"""Claims 1 and 2 (Figs. 3 and 4): whether an estimate of the distance tracks sample quality.

The Spearman correlation of an estimate with FID over training is mostly the trend both share:
each falls as training goes on, the GAN's JS estimate too (docs/evidence/tracking.md). What the
two figures tell apart is whether the estimate moves when quality moves, so the claims are judged
on the correlation of the changes, snapshot to snapshot (``runs.estimate_fid_change_correlation``),
per seed the median of its runs, against ``min_correlation``:

- EM tracks: "reproduced" when the changes correlate (the interval over seeds at or above the
  bar); "not reproduced" when not even the correlation over training reaches the bar; when it
  does but the changes do not, "inconclusive: the common trend only".
- JS does not track: "not reproduced" when its changes correlate; "reproduced" when they do not
  and either it does not even share the trend or the EM estimate's changes, measured the same way
  on the same snapshots, do correlate (so the measurement can see tracking); otherwise
  "inconclusive: EM's changes fall short too": noisy 500-sample FIDs hide both alike.

With one seed the runs (different architectures and models) are counted, not pooled as replicates.
No TensorFlow.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from .runs import WGAN_MODELS, as_float
from .verdicts import (
    INCONCLUSIVE,
    NOT_REPRODUCED,
    REPRODUCED,
    SEEDS_DISAGREE,
    Comparison,
    by_seed,
    median,
    pick,
    side,
)

CHANGES = "changes"  # the column suffix of the change correlations (runs.summary_rows)


def _per_seed(rows: Sequence[Mapping], column: str) -> dict:
    """seed -> the median of ``column`` over the seed's runs that have one."""
    return {
        seed: median([v for v in (as_float(r.get(column)) for r in group) if not math.isnan(v)])
        for seed, group in by_seed(rows).items()
    }


def _trend_and_changes(rows: Sequence[Mapping], models: Sequence[str], name: str) -> tuple[list, str, str, str]:
    """The runs with a change correlation, its column, the over-training column, and the evidence."""
    trend, changes = f"spearman_{name}_fid", f"spearman_{name}_fid_{CHANGES}"
    picked = [r for r in pick(rows, models) if not math.isnan(as_float(r.get(changes)))]
    if not picked:
        return [], changes, trend, ""
    values = [as_float(r.get(trend)) for r in picked]
    medians = ", ".join(f"{v:.2f}" for v in _per_seed(picked, trend).values())
    evidence = (
        f"{len(picked)} {'/'.join(models)} runs: Spearman rho({name.upper()}, FID) over training "
        f"{min(values):.2f} to {max(values):.2f} (per seed median {medians}: mostly the trend both share); "
        f"judged on rho of their changes snapshot to snapshot, per seed the median of its runs"
    )
    return picked, changes, trend, evidence


def _comparison(rows, t, models, name, tracks: bool) -> Comparison:
    picked, changes, trend, evidence = _trend_and_changes(rows, models, name)
    if not picked:
        return Comparison("", missing=f"no {'/'.join(models)} run with a correlation")
    bar = t["min_correlation"]
    holds = (lambda v: v >= bar) if tracks else (lambda v: v < bar)
    evidence += f"; tracking means rho >= {bar}"
    if len(by_seed(picked)) == 1:  # per run: a count over different architectures
        per_run = {r.get("experiment"): as_float(r.get(changes)) for r in picked}
        evidence = evidence.replace(", per seed the median of its runs", ", per run")
        return Comparison(evidence, per_run, holds, "rho", picked, over="run")
    return Comparison(evidence, _per_seed(picked, changes), holds, "rho of changes", picked)


def em_tracks_quality(rows: Sequence[Mapping], t: Mapping) -> Comparison:
    c = _comparison(rows, t, WGAN_MODELS, "em", tracks=True)
    shares_trend = list(_per_seed(c.used, "spearman_em_fid").values())

    def refine(verdict: str, level: float) -> str:
        if verdict != NOT_REPRODUCED:
            return verdict
        trend = side(shares_trend, lambda v: v >= t["min_correlation"], level)
        return {True: f"{INCONCLUSIVE}: the common trend only", None: SEEDS_DISAGREE, False: NOT_REPRODUCED}[trend]

    c.refine = refine
    return c


def js_does_not_track(rows: Sequence[Mapping], t: Mapping) -> Comparison:
    c = _comparison(rows, t, ("dcgan",), "js", tracks=False)
    bar = t["min_correlation"]
    js_trend = list(_per_seed(c.used, "spearman_js_fid").values())
    em_rows = [r for r in pick(rows, WGAN_MODELS) if not math.isnan(as_float(r.get(f"spearman_em_fid_{CHANGES}")))]
    em_changes = list(_per_seed(em_rows, f"spearman_em_fid_{CHANGES}").values())

    def refine(verdict: str, level: float) -> str:
        if verdict != REPRODUCED:
            return verdict
        if side(js_trend, lambda v: v < bar, level) or side(em_changes, lambda v: v >= bar, level):
            return verdict
        return f"{INCONCLUSIVE}: EM's changes fall short too"

    c.refine = refine
    return c

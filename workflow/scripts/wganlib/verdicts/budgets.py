"""Verdicts at budget checkpoints: every run cut at B generator iterations and judged as if it had
stopped there, so that a verdict on runs that are still improving says whether it depends on
the budget (docs/metrics.md, "Verdicts on runs that have not converged").

- Checkpoints: the tenths of the longest run's budget, each at the last snapshot at or before
  it. A cut run keeps its snapshots and metrics up to B; its final numbers are those of its last
  snapshot there (``evaluation.over_training``, so every checkpoint is judged on the same kind of
  evaluation); a run that stopped before B is itself.
- A verdict is *stable* when the claim gets the same verdict at every checkpoint of the last
  doubling of the budget (from half the longest budget on) and, for the claims compared per seed,
  each seed's value carried one doubling further along its trend over log B (least squares over
  those checkpoints) still gives it.
- A stable verdict on runs that a longer budget could change names the budget and the
  assumption: "not reproduced within 2,500 to 5,000 generator iterations (stable; runs still
  improving)". A verdict that changes over the last doubling is "inconclusive: changes with the
  budget", with the verdict at each budget; one stable at the checkpoints whose trend would cross
  the threshold within a doubling is "inconclusive: ... moving toward the threshold".

Plain numpy and pandas, no TensorFlow.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .claims import evaluate_claims
from .intervals import percent
from .runs import fid_over_training, metrics_frame, summary_rows
from .verdicts import INCONCLUSIVE, NOT_REPRODUCED, ONE_SEED, REPRODUCED, side

STEPS = 10  # checkpoints at the tenths of the longest budget


def checkpoints(runs: Sequence[Mapping]) -> list[int]:
    """The budgets at which the runs are judged: the last snapshot at or before each tenth of the
    longest run's last snapshot."""
    snapshots = sorted({float(i) for run in runs for i in fid_over_training(run)[0]})
    if not snapshots or snapshots[-1] <= 0:
        return []
    longest = snapshots[-1]
    chosen = []
    for k in range(1, STEPS + 1):
        at = [s for s in snapshots if 0 < s <= longest * k / STEPS + 1e-9]
        if at and int(at[-1]) not in chosen:
            chosen.append(int(at[-1]))
    return chosen


def cut(run: Mapping, budget: int) -> dict:
    """The run as if it had stopped at ``budget`` generator iterations (its last snapshot there)."""
    evaluation = run.get("evaluation") or {}
    points = [p for p in evaluation.get("over_training") or [] if float(p["generator_iteration"]) <= budget]
    cut_run = dict(run)
    if not points:
        cut_run["evaluation"] = None
        return cut_run
    last = points[-1]
    cut_run["evaluation"] = {
        "final": {k: v for k, v in last.items() if k != "generator_iteration"},
        "over_training": points,
    }
    frame = metrics_frame(run)
    if "generator_iteration" in frame:
        frame = frame[frame["generator_iteration"] <= budget]
        cut_run["metrics"] = frame
        if "wall_time_s" in frame and len(frame):
            cut_run["wall_time_s"] = float(pd.to_numeric(frame["wall_time_s"], errors="coerce").iloc[-1])
    diverged_at = _float(run.get("diverged_at"))
    if run.get("status") == "diverged" and not diverged_at <= budget:
        cut_run["status"] = "completed"
    cut_run["generator_iterations"] = min(_float(run.get("generator_iterations")), float(last["generator_iteration"]))
    return cut_run


def _float(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def core(result: Mapping) -> str:
    """The verdict's kind, without its level, wording or the runs it names: reproduced, not
    reproduced, or the inconclusive reason."""
    verdict = str(result.get("decided") or result["verdict"])
    if verdict.startswith(f"{INCONCLUSIVE}: {NOT_REPRODUCED} within"):
        return NOT_REPRODUCED
    verdict = verdict.split(" (")[0]
    return REPRODUCED if verdict.startswith(REPRODUCED) else verdict


def _extrapolated(series: Sequence[tuple[int, Mapping]]) -> dict:
    """Each seed's value one doubling past the last checkpoint, along its least-squares trend over
    log2 of the budget; an infinite or lone value stays as it is."""
    last = series[-1][1].get("per_seed") or {}
    out = {}
    for seed, value in last.items():
        points = [(math.log2(b), r["per_seed"].get(seed, math.nan)) for b, r in series if r.get("per_seed")]
        points = [(x, y) for x, y in points if math.isfinite(y)]
        if not math.isfinite(value) or len(points) < 2 or len({x for x, _ in points}) < 2:
            out[seed] = value
            continue
        slope = np.polyfit(*zip(*points, strict=True), 1)[0]
        out[seed] = value + slope
    return out


def _spans(series: Sequence[tuple[int, str]]) -> str:
    """'reproduced at 2,500 to 3,000; seeds disagree at 3,500 to 5,000'."""
    parts: list[list] = []
    for budget, kind in series:
        if parts and parts[-1][0] == kind:
            parts[-1][2] = budget
        else:
            parts.append([kind, budget, budget])
    return "; ".join(f"{k.removeprefix(INCONCLUSIVE + ': ')} at {_range(lo, hi)}" for k, lo, hi in parts)


def _range(low: int, high: int) -> str:
    return f"{low:,}" if low == high else f"{low:,} to {high:,}"


def _level(result: Mapping, level: float) -> str:
    """' (75 % interval)' where the claim's interval falls short of the configured level."""
    has = _float(result.get("level"))
    return f" ({percent(has)} interval)" if has < level else ""


def settle(result: Mapping, series: Sequence[tuple[int, Mapping]], level: float) -> dict:
    """The claim's verdict at the full budget, reworded by its verdicts at the checkpoints."""
    settled = dict(result)
    settled["by_budget"] = [(budget, core(r)) for budget, r in series]
    if len(series) < 2 or str(result["verdict"]).startswith(ONE_SEED):  # one seed decides at no budget
        return settled
    longest = series[-1][0]
    last = [(b, r) for b, r in series if b >= longest / 2]
    kinds = [core(r) for _, r in last] + [core(result)]
    lo, hi = last[0][0], longest
    if len(set(kinds)) > 1:
        settled["verdict"] = f"{INCONCLUSIVE}: changes with the budget ({_spans([(b, core(r)) for b, r in last])})"
        return settled
    kind = kinds[0]
    if kind not in (REPRODUCED, NOT_REPRODUCED):
        return settled
    holds = result.get("holds")
    if holds is not None and result.get("per_seed"):
        ahead = side(list(_extrapolated(last).values()), holds, level)
        now = side(list(result["per_seed"].values()), holds, level)
        if ahead != now:
            settled["verdict"] = (
                f"{INCONCLUSIVE}: {kind} within {_range(lo, hi)} generator iterations, moving toward the "
                f"threshold (one doubling more along each seed's trend: {_word(ahead)})"
            )
            return settled
    if result.get("unsettled"):
        suffix = _level(result, level)
        named = result["verdict"].removesuffix(suffix) if kind == REPRODUCED else kind
        settled["verdict"] = (
            f"{named} within {_range(lo, hi)} generator iterations (stable; runs still improving){suffix}"
        )
    return settled


def _word(holds: bool | None) -> str:
    return {True: REPRODUCED, False: NOT_REPRODUCED, None: "seeds disagree"}[holds]


def judged_over_budgets(
    runs: Sequence[Mapping],
    real_floor: Mapping | None,
    thresholds: Mapping,
    median_window: int | None,
) -> tuple[list[dict], list[dict]]:
    """(summary rows of the full runs, their claims settled over the checkpoints of each dataset)."""
    options = {
        "good_fid": thresholds["good_fid"],
        "median_window": median_window,
        "still_improving": thresholds["still_improving"],
        "min_progress": thresholds["min_progress"],
    }
    level = float(thresholds.get("confidence", 0.9))
    rows = summary_rows(runs, real_floor, **options)
    final = evaluate_claims(rows, thresholds)
    series: dict[tuple, list] = {}
    for dataset in dict.fromkeys(r.get("dataset") for r in runs):
        subset = [r for r in runs if r.get("dataset") == dataset]
        for budget in checkpoints(subset):
            at = evaluate_claims(summary_rows([cut(r, budget) for r in subset], real_floor, **options), thresholds)
            for r in at:
                series.setdefault((r["dataset"], r["claim"]), []).append((budget, r))
    return rows, [settle(r, series.get((r["dataset"], r["claim"]), []), level) for r in final]


def budget_lines(claims: Sequence[Mapping]) -> list[str]:
    """The summary's table of each claim's verdict at every checkpoint."""
    budgets = sorted({b for c in claims for b, _ in c.get("by_budget", ())})
    if len(budgets) < 2:
        return []
    several = len({c.get("dataset") for c in claims}) > 1
    lines = [
        "## Verdicts by budget",
        "",
        "Each claim judged on every run cut at B generator iterations (its last snapshot there), "
        "before any wording for the budget; a verdict is stable when it is the same at every "
        "checkpoint of the last doubling and each seed's trend over log B keeps it one doubling on.",
        "",
        "| " + ("dataset | " if several else "") + "claim | " + " | ".join(f"{b:,}" for b in budgets) + " |",
        "|" + "---|" * (len(budgets) + 1 + several),
    ]
    for c in claims:
        at = dict(c.get("by_budget", ()))
        cells = [at.get(b, "–").removeprefix(INCONCLUSIVE + ": ") for b in budgets]
        lines.append(
            "| " + (f"{c.get('dataset')} | " if several else "") + f"{c['claim']} | " + " | ".join(cells) + " |"
        )
    return [*lines, ""]

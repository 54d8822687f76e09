"""Verdicts at budget checkpoints (wganlib.verdicts.budgets): runs cut at B, a verdict stable over the last
doubling named with its budget, one that changes or drifts toward its threshold said so."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from wganlib.measures.convergence import STILL_IMPROVING, convergence
from wganlib.verdicts import budgets, claims

SNAPSHOTS = range(0, 5001, 100)
THRESHOLDS = {"tracking_margin": 0.2, "good_fid": 20.0, "fid_margin": 1.5, "min_modes": 8}
THRESHOLDS |= {"still_improving": 0.05, "min_progress": 0.25}
BN_FIRST = "Batch norm only in the generator's first layer (conv-bn-first) hurts WGAN"


def run(architecture, seed, fid_at, *, status="completed", diverged_at=None):
    """A WGAN run whose snapshot FID is fid_at(t), and its metrics (no estimate: no tracking)."""
    over = [{"generator_iteration": t, "fid": fid_at(t), "modes_covered": 10} for t in SNAPSHOTS]
    metrics = pd.DataFrame({"generator_iteration": list(SNAPSHOTS), "critic_iterations": 5, "wall_time_s": 0.1})
    metrics["wall_time_s"] = metrics["wall_time_s"].cumsum()
    return {
        "experiment": f"wgan-{architecture}-s{seed}",
        "dataset": "mnist-5k",
        "model": "wgan",
        "architecture": architecture,
        "seed": seed,
        "status": status,
        "diverged_at": diverged_at,
        "generator_iterations": 5000,
        "wall_time_s": 500.0,
        "metrics": metrics,
        "evaluation": {
            "final": {k: v for k, v in over[-1].items() if k != "generator_iteration"},
            "over_training": over,
        },
    }


def power_law(level):
    """The course of the clipped WGAN's FID in the study: ~ t^-0.4, still improving at any budget."""
    return lambda t: level * (t / 100 + 1) ** -0.4 + 5


def bn_first_verdict(ratio_at):
    """The batch-norm-first claim over five seeds whose FID ratio (bn-first / conv) is ratio_at(t)."""
    grid = []
    for seed in range(5):
        conv = power_law(200 * (1 + 0.05 * seed))
        grid += [run("conv", seed, conv), run("conv-bn-first", seed, lambda t, c=conv: c(t) * ratio_at(t))]
    _, judged = budgets.judged_over_budgets(grid, None, THRESHOLDS, None)
    return next(c for c in judged if c["claim"] == BN_FIRST)


def test_checkpoints_are_the_tenths_of_the_longest_budget_at_snapshots():
    runs = [run("conv", 0, power_law(100)), {**run("mlp", 0, power_law(100)), "evaluation": None}]
    assert budgets.checkpoints(runs) == list(range(500, 5001, 500))
    short = run("conv", 1, power_law(100))
    short["evaluation"]["over_training"] = short["evaluation"]["over_training"][:8]  # 0 to 700
    assert budgets.checkpoints([short]) == [100, 200, 300, 400, 500, 600, 700]  # a tenth of 700 has none


def test_a_cut_run_ends_at_its_last_snapshot_there():
    diverged = run("conv", 0, power_law(100), status="diverged", diverged_at=3000)
    cut = budgets.cut(diverged, 2000)
    assert cut["evaluation"]["final"]["fid"] == pytest.approx(power_law(100)(2000))
    assert cut["evaluation"]["over_training"][-1]["generator_iteration"] == 2000
    assert cut["metrics"]["generator_iteration"].max() == 2000 and cut["wall_time_s"] == pytest.approx(2.1)
    assert (cut["status"], cut["generator_iterations"]) == ("completed", 2000)
    assert budgets.cut(diverged, 4000)["status"] == "diverged"
    assert diverged["evaluation"]["final"]["fid"] == pytest.approx(power_law(100)(5000))  # the run is untouched


def test_the_convergence_gate_cannot_close_on_a_power_law():
    """FID ~ t^-0.4 is still improving at every budget: "not reproduced" could never stand on the
    convergence rule alone. The ratio stays at 1.1 at every checkpoint: stable, with its budget."""
    assert convergence(run("conv", 0, power_law(200)), 0.05) == STILL_IMPROVING
    claim = bn_first_verdict(lambda t: 1.1)
    assert (
        claim["verdict"] == "not reproduced within 2,500 to 5,000 generator iterations (stable; runs still improving)"
    )
    assert [kind for _, kind in claim["by_budget"]] == ["not reproduced"] * 10
    rows, _ = budgets.judged_over_budgets(
        [run(a, s, power_law(200)) for a in ("conv", "conv-bn-first") for s in range(5)], None, THRESHOLDS, None
    )
    single = next(c for c in claims.evaluate_claims(rows, THRESHOLDS) if c["claim"] == BN_FIRST)
    assert single["verdict"].startswith(
        "inconclusive: not reproduced within 5,000 generator iterations; still improving"
    )


def test_a_verdict_that_changes_over_the_last_doubling_says_so():
    claim = bn_first_verdict(lambda t: 1.3 + 0.4 * max(t - 2500, 0) / 2500)  # crosses 1.5 at 3,750
    assert claim["verdict"] == (
        "inconclusive: changes with the budget (not reproduced at 2,500 to 3,500; reproduced at 4,000 to 5,000)"
    )


def test_a_verdict_drifting_toward_its_threshold_is_not_called_stable():
    """Below 1.5 at every checkpoint, but rising by 0.12 a doubling from 1.4: one more doubling
    crosses the threshold."""
    claim = bn_first_verdict(lambda t: 1.4 + 0.12 * math.log2(max(t, 100) / 5000))
    assert claim["verdict"] == (
        "inconclusive: not reproduced within 2,500 to 5,000 generator iterations, moving toward the "
        "threshold (one doubling more along each seed's trend: reproduced)"
    )


def test_a_final_verdict_keeps_its_words():
    """Runs that have plateaued: nothing a longer budget could change, so no budget in the words."""
    grid = []
    for seed in range(5):  # a fall by 1,000 iterations, flat after it
        grid += [run("conv", seed, lambda t: 30.0 if t >= 1000 else 200.0)]
        grid += [run("conv-bn-first", seed, lambda t, s=seed: 60.0 + s if t >= 1000 else 200.0)]
    _, judged = budgets.judged_over_budgets(grid, None, THRESHOLDS, None)
    assert next(c for c in judged if c["claim"] == BN_FIRST)["verdict"] == "reproduced"


def test_not_started_reads_held_lows():
    """One lucky snapshot under the bar, not confirmed by the next, does not make a start."""
    fid = [460.0] * 51
    fid[30] = 300.0  # a single draw; the next snapshot is back at 460
    lucky = run("mlp", 0, lambda t: fid[int(t) // 100])
    assert convergence(lucky, 0.05) == "not started"
    fid[31] = 300.0  # confirmed: it left its start
    assert convergence(run("mlp", 0, lambda t: fid[int(t) // 100]), 0.05) == "plateaued"


def test_the_budget_table_in_the_summary():
    claim = bn_first_verdict(lambda t: 1.1)
    lines = budgets.budget_lines([claim])
    assert lines[0] == "## Verdicts by budget"
    header = next(line for line in lines if line.startswith("| claim"))
    assert header.endswith("| 4,500 | 5,000 |") and "| 500 |" in header
    assert f"| {BN_FIRST} | not reproduced |" in "\n".join(lines)
    assert np.isfinite(claim["high"])


def test_one_seed_gets_no_budget_words():
    """One seed decides nothing at any budget: its verdict stays "inconclusive: one seed" (with the
    runs it names), however its wording changes from checkpoint to checkpoint."""
    grid = [run("conv", 0, power_law(200)), run("conv-bn-first", 0, lambda t: power_law(200)(t) * (1.0 + t / 5000))]
    _, judged = budgets.judged_over_budgets(grid, None, THRESHOLDS, None)
    claim = next(c for c in judged if c["claim"] == BN_FIRST)
    assert claim["verdict"].startswith("inconclusive: one seed") and "budget" not in claim["verdict"]

"""From one number per seed to a verdict: the vocabulary, what a claim compares, and the rule.

A claim compares one quantity per seed with a threshold (``Comparison``). The verdict rests on the
order-statistic interval for the median over seeds (``intervals.median_interval``) at the level it
actually has: "reproduced" or "not reproduced" when the interval lies on one side of the threshold,
"inconclusive: seeds disagree" when it straddles it. When the seeds are too few for the configured
level, the verdict carries the level it has, "reproduced (75 % interval)" with 3 seeds, and the
evidence says how many seeds the configured level needs. One seed: "inconclusive: one seed".
"not reproduced" stands only on runs whose number is final (``Comparison.settled``). No TensorFlow.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from wganlib.common.tables import fmt

from .intervals import median_interval, percent, seeds_needed
from .runs import CONVERGED, PLATEAUED, as_float, diverged

REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE = "reproduced", "not reproduced", "inconclusive"
ONE_SEED, SEEDS_DISAGREE = f"{INCONCLUSIVE}: one seed", f"{INCONCLUSIVE}: seeds disagree"


def converged(row: Mapping) -> bool:
    """A run whose numbers a longer budget would not change (a row without a convergence
    judgement, NaN read back from a CSV, counts as converged)."""
    state = row.get("convergence")
    return (state if isinstance(state, str) else PLATEAUED) in CONVERGED


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
    # Whether a run's value is final: by default a converged run's; a crossing of a threshold is
    # final once crossed, whatever the run did after.
    settled: Callable[[Mapping], bool] = converged
    # The claim's own last word on a verdict that the interval gave (the recall floor's).
    refine: Callable[[str, float], str] | None = None
    # A non-inferiority claim's reproduced verdict says what it shows: "non-inferior: WGAN at
    # most 50 modes behind" (a tie within the margin, not "at least as many").
    within: str | None = None


def unless_unsettled(
    used: Sequence[Mapping], settled: Callable[[Mapping], bool] = converged, within_budget: bool = True
) -> str:
    """ "not reproduced", or, when a run it rests on could still change its number, what was
    learned within the budget those runs had: "inconclusive: not reproduced within 5,000 generator
    iterations; still improving (runs)" (named, by convergence state)."""
    reasons: dict[str, list[str]] = {}
    budgets = set()
    for r in used:
        if not settled(r):
            state = r.get("convergence") if isinstance(r.get("convergence"), str) else PLATEAUED
            reasons.setdefault(state, []).append(str(r.get("experiment")))
            budgets.add(as_float(r.get("generator_iterations")))
    if not reasons:
        return NOT_REPRODUCED
    budgets = sorted(b for b in budgets if not math.isnan(b))
    within = "-".join(dict.fromkeys(f"{b:,.0f}" for b in (budgets[0], budgets[-1]))) if budgets else ""
    learned = f"{NOT_REPRODUCED} within {within} generator iterations; " if within and within_budget else ""
    return f"{INCONCLUSIVE}: {learned}" + "; ".join(f"{state} ({', '.join(names)})" for state, names in reasons.items())


def _unsettled(used: Sequence[Mapping], settled: Callable[[Mapping], bool]) -> list[str]:
    return [str(r.get("experiment")) for r in used if not settled(r)]


def side(values: Sequence[float], holds: Callable[[float], bool], level: float) -> bool | None:
    """True when the median's interval over ``values`` lies where ``holds``, False where it does
    not, None when it straddles the threshold or there are fewer than two values."""
    values = [v for v in values if not math.isnan(v)]
    if len(values) < 2:
        return None
    interval = median_interval(values, level)
    low, high = bool(holds(interval.low)), bool(holds(interval.high))
    return low if low == high else None


def judge(c: Comparison, level: float) -> tuple[str, str, dict]:
    """Verdict, evidence and the numbers behind them, from a Comparison."""
    if c.missing:
        return INCONCLUSIVE, c.missing, {"seeds": 0}
    values = [v for v in c.per_seed.values() if not math.isnan(v)]
    agree = sum(bool(c.holds(v)) for v in values)
    seeds = len({r.get("seed") for r in c.used}) if c.over == "run" else len(values)
    stats = {"seeds": seeds, "agreeing": agree, "out_of": len(values), "over": c.over, "median": median(values)}
    # What the verdicts over budgets read (``budgets``): the values, their rule, the unsettled runs.
    stats |= {"per_seed": dict(c.per_seed), "holds": c.holds, "unsettled": _unsettled(c.used, c.settled)}
    evidence = f"{c.evidence}; {agree} of {len(values)} {c.over}{'s' if len(values) != 1 else ''} agree"
    if not values:
        return INCONCLUSIVE, evidence, stats
    if c.over == "run":  # one seed's runs differ in architecture and model: a count, not replicates
        return ONE_SEED, evidence + " (runs of different architectures and models, not replicates)", stats
    if len(values) == 1:  # against the claim on unsettled runs: the verdict names them too
        unsettled = unless_unsettled(c.used, c.settled, within_budget=False) if not agree else NOT_REPRODUCED
        verdict = ONE_SEED + ("" if unsettled == NOT_REPRODUCED else ", " + unsettled.removeprefix(INCONCLUSIVE + ": "))
        return verdict, evidence + f" ({c.unit} {fmt(values[0])})", stats
    interval = median_interval(values, level)
    stats.update(low=interval.low, high=interval.high, level=interval.level)
    evidence += (
        f"; median {c.unit} {fmt(stats['median'])}, {percent(interval.level)} order-statistic interval over seeds "
        f"[{fmt(interval.low)}, {fmt(interval.high)}]"
    )
    if interval.level < level:
        evidence += f" ({percent(level)} needs {seeds_needed(level)} seeds)"
    verdict = {True: REPRODUCED, False: NOT_REPRODUCED, None: SEEDS_DISAGREE}[side(values, c.holds, level)]
    if c.refine is not None:
        verdict = c.refine(verdict, level)
    stats["decided"] = verdict
    if verdict == REPRODUCED and c.within:
        verdict = f"{REPRODUCED}: non-inferior, {c.within}"
    if verdict == NOT_REPRODUCED:
        verdict = unless_unsettled(c.used, c.settled)
    if (
        stats["decided"] in (REPRODUCED, NOT_REPRODUCED)
        and not verdict.startswith(INCONCLUSIVE)
        and interval.level < level
    ):
        verdict += f" ({percent(interval.level)} interval)"
    return verdict, evidence, stats


# ---------------------------------------------------------------- rows


def pick(rows: Sequence[Mapping], model: str | Sequence[str], architecture: str | None = None) -> list[Mapping]:
    models = (model,) if isinstance(model, str) else tuple(model)
    return [
        r for r in rows if r.get("model") in models and (architecture is None or r.get("architecture") == architecture)
    ]


def value(row: Mapping, key: str, if_diverged: float) -> float:
    return if_diverged if diverged(row) else as_float(row.get(key))


def by_seed(rows: Sequence[Mapping]) -> dict:
    grouped: dict = {}
    for r in rows:
        grouped.setdefault(r.get("seed"), []).append(r)
    return grouped


def median(values: Sequence[float]) -> float:
    return float(np.median(values)) if len(values) else math.nan


def paired(a: Sequence[Mapping], b: Sequence[Mapping], combine, key: str, if_diverged: float) -> dict:
    """seed -> combine(a's value, b's value), for the seeds both groups ran."""
    a_seed, b_seed = by_seed(a), by_seed(b)
    return {
        seed: combine(value(a_seed[seed][0], key, if_diverged), value(b_seed[seed][0], key, if_diverged))
        for seed in sorted(set(a_seed) & set(b_seed), key=str)
    }


def group(label: str, rows: Sequence[Mapping], key: str, if_diverged: float, never: str = "") -> str:
    """A group's median of ``key``; with ``never``, a missing value counts as infinite and prints so."""
    values = [value(r, key, if_diverged) for r in rows]
    values = [math.inf if never and math.isnan(v) else v for v in values]
    values = [v for v in values if not math.isnan(v)]
    n_diverged = sum(diverged(r) for r in rows)
    return f"{label} median {fmt(median(values), never or 'inf')} (n={len(values)}, {n_diverged} diverged)"

"""A budget that ends at convergence: sample quality watched while a run trains.

At every snapshot the monitor measures the generator (FID of the evaluation's snapshot samples on
the dataset judge's features, drawn as ``evaluation.sampling`` says: ``evaluation.fid_measure``) and asks the summary's own convergence rule
(``convergence.convergence``, one rule in one place) whether the curve so far has plateaued. From
``min_iterations`` on, a plateau ends the run; a run still improving, or one that has not left its
start, trains on to ``generator_iterations``, its maximum. Its curve is part of the checkpoint, so
a resumed run decides exactly as an uninterrupted one. No TensorFlow: the measure is passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wganlib.judge import sampling
from wganlib.measures import convergence as rule

# Why a run stopped (status.json's stop_reason).
BUDGET = "budget"  # a fixed budget: generator_iterations
PLATEAUED = rule.PLATEAUED  # the monitor saw the run converge
MAXIMUM = "maximum"  # a monitored run reached its maximum without converging
DIVERGED = rule.DIVERGED  # losses not finite


@dataclass
class Monitor:
    """The quality curve of one run and the decision to stop it."""

    measure: Callable[[Any, int], float]  # (the generator now, its iteration) -> FID
    min_iterations: int
    still_improving: float
    min_progress: float
    good_fid: float | None = None
    curve: list[dict] = field(default_factory=list)

    def observe(self, iteration: int, generator: Any) -> bool:
        """Measure the generator at ``iteration``; True when the run has converged and may stop."""
        self.curve.append({"generator_iteration": iteration, "fid": float(self.measure(generator, iteration))})
        return iteration >= self.min_iterations and self.state() == PLATEAUED

    def state(self) -> str:
        """The convergence rule on the curve so far."""
        run = {"status": "running", "evaluation": {"over_training": self.curve}}
        return rule.convergence(run, self.still_improving, self.min_progress, self.good_fid)

    # -- the checkpoint's part ------------------------------------------------------------------
    def get_state(self) -> list[dict]:
        return [dict(point) for point in self.curve]

    def set_state(self, curve: list[Mapping]) -> None:
        self.curve = [{"generator_iteration": int(p["generator_iteration"]), "fid": float(p["fid"])} for p in curve]


def settings(exp: Any, claims: Mapping, evaluation: Mapping) -> dict | None:
    """What a monitored run's decisions depend on beyond its Experiment: the rule's thresholds (the
    config's ``claims``), the samples per FID and how they are drawn (the evaluate rule's
    ``snapshot_samples`` and ``sampling``, so that the monitor's FIDs are the ones the summary
    judges). None for a fixed budget. The train rule's ``monitor`` param: changing these reruns
    exactly the monitored runs."""
    if not exp.stop_at_convergence:
        return None
    thresholds = {key: claims[key] for key in ("still_improving", "min_progress", "good_fid")}
    drawn = sampling.settings(evaluation["sampling"], exp.batch_size)
    return {**thresholds, "samples": evaluation["snapshot_samples"], "sampling": drawn}


def monitor_of(exp, settings: Mapping, measure: Callable[[Any, int], float]) -> Monitor:
    """The train rule's monitor of ``exp`` (its ``settings``, as made above), watching ``measure``:
    the evaluation's snapshot FID (``evaluation.fid_measure``), passed in by the train script."""
    return Monitor(
        measure, exp.min_iterations, settings["still_improving"], settings["min_progress"], settings["good_fid"]
    )

"""A training run's progress as a person watches it: the time it has left, from its own pace, and
the one line per run that the terminal shows (and ``workflow/scripts/watch.py`` reads back from
``train_state/progress.json`` wherever the jobs run, SLURM included).

The time left is the work left at the pace of the work, not iterations left over the latest speed:
WGAN's first 25 generator iterations train the critic 100 times each (20 times the cost of a later
one), so a speed measured over them put the first ETA of a 90-s run at 6 minutes. The steps left
are counted from the schedule, bursts and ordinary steps apart, and each kind is timed by its own
recent steps per update (critic or generator): the bursts ran while the run's first jobs shared
the cores, and a pace mixed from both misjudged the rest. The pace leaves out each process's first
steps (TensorFlow traces and compiles the step there), and snapshots (a frame, the weights and,
for a monitored run, an FID) are timed apart and counted by how many are left.
No TensorFlow here.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean

from wganlib.common.io import write_json
from wganlib.common.jobs import TERMINAL
from wganlib.plan.config import Experiment
from wganlib.plan.objectives import critic_updates_before

STATUS_FILE = "progress.json"  # in the run's work folder (train_state/), where the watcher finds it
WARMUP_STEPS = 2  # a process's first steps trace and compile the training step
# Each kind of step is timed by its steps of the last WINDOW_S seconds (at least MIN_STEPS of them):
# the pace follows the machine's load (another job starting or ending).
WINDOW_S = 30.0
MIN_STEPS = 20
TERMINAL_EVERY_S = 60.0  # a terminal line at each tenth of a run, and at least this often

log = logging.getLogger(__name__)


def bursts_between(exp: Experiment, start: int, stop: int) -> int:
    """WGAN's critic bursts (iterations of more critic updates than n_critic) in iterations
    ``start`` to ``stop`` - 1."""
    burst = exp.critic_burst
    if not burst or burst["iterations"] <= exp.n_critic:
        return 0
    updates = critic_updates_before(stop, exp.n_critic, burst) - critic_updates_before(start, exp.n_critic, burst)
    return (updates - (stop - start) * exp.n_critic) // (burst["iterations"] - exp.n_critic)


def snapshots_after(exp: Experiment, iteration: int) -> int:
    """Snapshots still to come after ``iteration``: every snapshot_every-th, and the last iteration."""
    total, every = exp.generator_iterations, exp.snapshot_every
    if iteration >= total:
        return 0
    return total // every - iteration // every + (total % every != 0)


class Steps:
    """The recent training steps of one kind, as (updates, seconds): those of the last WINDOW_S
    seconds, at least MIN_STEPS of them."""

    def __init__(self) -> None:
        self.steps: deque = deque()
        self.seconds = 0.0

    def add(self, updates: int, seconds: float) -> None:
        self.steps.append((updates, seconds))
        self.seconds += seconds
        while len(self.steps) > MIN_STEPS and self.seconds - self.steps[0][1] >= WINDOW_S:
            self.seconds -= self.steps.popleft()[1]

    def per_update(self) -> float | None:
        """Seconds per update (a critic update, or the generator's), or None before any step."""
        return self.seconds / sum(u for u, _ in self.steps) if self.steps else None


@dataclass
class Pace:
    """Where a run's time goes, measured as it trains: the training steps, WGAN's critic bursts and
    the others each on their own (they may have met another job on the cores, or not), and the time
    between steps (the bookkeeping after an iteration: a snapshot after every snapshot_every-th,
    checkpoints and metrics after any)."""

    snapshot_every: int
    n_critic: int
    last_end: float = field(default_factory=time.perf_counter)
    steps: int = 0
    ordinary: Steps = field(default_factory=Steps)
    bursts: Steps = field(default_factory=Steps)
    snapshot_gaps: list = field(default_factory=list)
    other_gaps: deque = field(default_factory=lambda: deque(maxlen=1000))

    def step(self, iteration: int, critic_updates: int, started: float, ended: float) -> None:
        """Generator iteration ``iteration`` (1-based) trained from ``started`` to ``ended``
        (time.perf_counter), with ``critic_updates`` critic updates; the time since the previous
        step ended is the previous iteration's bookkeeping (the start's snapshot, for the first)."""
        gap = max(started - self.last_end, 0.0)
        (self.snapshot_gaps if (iteration - 1) % self.snapshot_every == 0 else self.other_gaps).append(gap)
        self.steps += 1
        if self.steps > WARMUP_STEPS:
            kind = self.bursts if critic_updates > self.n_critic else self.ordinary
            kind.add(critic_updates + 1, ended - started)  # the generator update counts as one
        self.last_end = ended

    def seconds_left(self, exp: Experiment, iteration: int) -> float | None:
        """The time the run needs from ``iteration`` to its last generator iteration; None until
        steps past the warm-up have been timed."""
        ordinary, burst = self.ordinary.per_update(), self.bursts.per_update()
        if ordinary is None and burst is None:
            return None
        iterations = exp.generator_iterations - iteration
        bursts = bursts_between(exp, iteration, exp.generator_iterations)
        burst_updates = exp.critic_burst["iterations"] + 1 if bursts else 0
        training = (iterations - bursts) * (exp.n_critic + 1) * (ordinary or burst) + bursts * burst_updates * (
            burst or ordinary
        )
        snapshots = snapshots_after(exp, iteration)
        # a process's first snapshot also traces the sampling (and the monitor's judge): left out once there are others
        snapshot = mean(self.snapshot_gaps[1:] or self.snapshot_gaps or [0.0])
        other = mean(self.other_gaps) if self.other_gaps else 0.0
        return training + snapshots * snapshot + (iterations - snapshots) * other


def duration(seconds: float | None) -> str:
    """``seconds`` as a person reads a time: 45 s, 3 min 20 s, 2 h 05 min, 3 d 4 h."""
    if seconds is None or not math.isfinite(seconds):
        return "unknown"
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def status(
    exp: Experiment, iteration: int, measure: str, seconds_left: float | None, state: str, elapsed: float
) -> dict:
    """What the watcher shows of a run: progress.json's content."""
    return {
        "dataset": exp.dataset,
        "experiment": exp.name,
        "iteration": iteration,
        "iterations": exp.generator_iterations,
        "measure": measure,
        "seconds_left": seconds_left,
        "at_most": exp.stop_at_convergence,  # a monitored run stops sooner once it has converged
        "state": state,
        "elapsed_s": elapsed,
        "updated": time.time(),
    }


def line(record: dict, now: float | None = None) -> str:
    """The one line a person reads of a run (the terminal's, and the watcher's)."""
    name = f"{record['dataset']}/{record['experiment']}"
    done, total = record["iteration"], record["iterations"]
    if record["state"] != "training":
        how = {"completed": "done", "plateaued": "converged", "diverged": "diverged"}.get(
            record["state"], record["state"]
        )
        return f"{name}: {how} at {done:,} of {total:,} iterations after {duration(record['elapsed_s'])}"
    left = record["seconds_left"]
    if left is not None and now is not None:
        left = max(left - (now - record["updated"]), 0.0)
    left_text = f"{'at most ' if record['at_most'] else ''}{duration(left)} left" if left is not None else "timing"
    percent = 100 * done // max(total, 1)
    return f"{name}: {done:,}/{total:,} iterations ({percent}%), {record['measure']}, {left_text}"


@dataclass
class Reporter:
    """Tells a person how a run goes: a line on the terminal at each tenth of the run (and at least
    every TERMINAL_EVERY_S seconds while it logs), and progress.json for the watcher."""

    exp: Experiment
    work_root: Path
    started: float = field(default_factory=time.perf_counter)
    shown_tenth: int = -1
    shown_at: float = 0.0

    def report(self, iteration: int, measure: str, seconds_left: float | None, state: str = "training") -> None:
        now = time.perf_counter()
        record = status(self.exp, iteration, measure, seconds_left, state, now - self.started)
        try:
            write_json(Path(self.work_root) / STATUS_FILE, record)
        except OSError as err:  # the watcher's view is a convenience: training goes on without it
            log.warning("progress not written: %s", err)
        tenth = 10 * iteration // max(self.exp.generator_iterations, 1)
        if iteration >= self.exp.generator_iterations and state == "training":
            return  # the end's own line follows
        if state != "training" or tenth > self.shown_tenth or now - self.shown_at >= TERMINAL_EVERY_S:
            logging.getLogger(TERMINAL).info("%s", line(record))
            self.shown_tenth, self.shown_at = tenth, now


def read_status(path: Path) -> dict | None:
    """A run's progress.json, or None where it is missing or being replaced."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None

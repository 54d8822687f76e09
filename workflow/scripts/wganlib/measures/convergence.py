"""When a run has converged, from its FID at the snapshots: the rule the summary judges runs by and
the training monitor stops them by (one rule, one place), with the threshold crossings it reads.

Plain numpy, no pandas and no TensorFlow: a training job imports it (its TensorFlow start keeps
pandas out, wganlib.common.jobs).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from wganlib.common.tables import as_float  # noqa: F401 (this module's API too: runs and the claims read it from here)


def diverged(run: Mapping) -> bool:
    """A run (or summary row) stopped because its losses blew up."""
    return run.get("status") == "diverged"


def fid_over_training(run: Mapping) -> tuple[np.ndarray, np.ndarray]:
    """(snapshot generator iterations, FID) from evaluation.json's over_training, sorted."""
    evaluation = run.get("evaluation") or {}
    points = sorted(
        (
            (as_float(p.get("generator_iteration")), as_float(p.get("fid")))
            for p in evaluation.get("over_training") or []
        ),
        key=lambda pair: pair[0],
    )
    if not points:
        return np.array([], float), np.array([], float)
    iterations, fid = map(np.asarray, zip(*points, strict=True))
    return iterations.astype(float), fid.astype(float)


def _held(fid: np.ndarray) -> np.ndarray:
    """Per snapshot, the FID it and the next snapshot both stay at or under: a crossing of a level
    counts once the next snapshot confirms it (a 500-sample FID moves by 1.5 to 2 between
    draws); the last snapshot has no next one and stands alone. Non-finite FIDs hold nothing."""
    fid = np.where(np.isfinite(fid), fid, math.inf)
    return np.maximum(fid, np.append(fid[1:], fid[-1:])) if len(fid) else fid


def iterations_to_threshold(run: Mapping, good_fid: float | None) -> int | None:
    """The run's crossing of ``good_fid``: the first snapshot with FID <= ``good_fid`` whose next
    snapshot is there too (or that is the last); None if never, or no threshold. Once crossed, it
    cannot change with a longer budget."""
    if good_fid is None:
        return None
    iterations, fid = fid_over_training(run)
    crossed = np.flatnonzero(_held(fid) <= good_fid)
    return int(iterations[crossed[0]]) if len(crossed) else None


def fid_reached(run: Mapping) -> float:
    """The lowest FID the run crossed in the sense of ``iterations_to_threshold``: it crossed a
    level exactly when this is at or under it (inf if no snapshot FID is finite, NaN without
    snapshots). The robustness sweep's success bar reads this, so it and the speed claims judge
    the same kind of FID (the snapshots')."""
    _, fid = fid_over_training(run)
    return float(_held(fid).min()) if len(fid) else math.nan


def _new_low(iterations: np.ndarray, fid: np.ndarray, min_gain: float) -> bool:
    """The last quarter of training reached an FID more than ``min_gain`` below the best before
    it: a run that has just started to fall (a long flat start, then a drop in the last snapshots),
    which the trend over the whole second half, flat in most of its points, would outvote.
    Lows are held lows (``_held``): one lucky draw of a noisy snapshot FID is not a new low unless
    it is the last snapshot."""
    recent = iterations >= iterations[-1] * 3 / 4
    if recent.all() or not recent.any():
        return False
    held = _held(fid)
    return bool(held[recent].min() < (1 - min_gain) * held[~recent].min())


# Whether a run's FID had stopped improving when training ended.
PLATEAUED, STILL_IMPROVING, TOO_SHORT, DIVERGED = "plateaued", "still improving", "too few snapshots", "diverged"
NOT_STARTED = "not started"
CONVERGED = (PLATEAUED, DIVERGED)  # a run whose result would not change with a longer budget
UNFINISHED = (STILL_IMPROVING, NOT_STARTED)  # a run a longer budget would change


def convergence(run: Mapping, min_gain: float, min_progress: float = 0.25, good_fid: float | None = None) -> str:
    """Whether FID was still falling at the end: the Theil-Sen slope of FID over the snapshots of
    the second half of training, extrapolated over the last quarter, is a fall of more than
    ``min_gain`` (a fraction of the median FID there), or the last quarter reached an FID more
    than ``min_gain`` below the best before it: "still improving"; else "plateaued".
    A flat curve that never fell below ``1 - min_progress`` times the untrained generator's FID
    has not left its starting point (an MLP generator's early collapse, say): "not started",
    which a longer budget may change as much as a falling one. Its lows are held lows
    (``_held``), as every other reading of a level here: one lucky snapshot does not make a start.
    The untrained generator is the snapshot at iteration 0 when there is one; without it (runs
    before that snapshot was taken) the first snapshot stands in, whose FID may lie above the
    untrained generator's (dcgan-mlp-s3 of the study: 568 at 1,000 against 460 at 0) or below it.
    A run that crossed ``good_fid`` (``iterations_to_threshold``) has left its start, wherever its
    first snapshot fell.
    Fewer than 3 snapshots in the second half: "too few snapshots". A diverged run: "diverged"."""
    if diverged(run):
        return DIVERGED
    iterations, fid = fid_over_training(run)
    keep = np.isfinite(fid)
    iterations, fid = iterations[keep], fid[keep]
    if len(fid) == 0:
        return TOO_SHORT
    late = iterations >= iterations[-1] / 2
    t, f = iterations[late], fid[late]
    if len(f) < 3:
        return TOO_SHORT
    slopes = [(f[j] - f[i]) / (t[j] - t[i]) for i in range(len(t)) for j in range(i + 1, len(t))]
    fall = -float(np.median(slopes)) * (iterations[-1] / 4) / float(np.median(f))
    if fall > min_gain or _new_low(iterations, fid, min_gain):
        return STILL_IMPROVING
    if iterations_to_threshold(run, good_fid) is not None:
        return PLATEAUED
    return NOT_STARTED if _held(fid).min() > (1 - min_progress) * fid[0] else PLATEAUED

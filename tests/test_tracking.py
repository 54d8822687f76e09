"""The tracking claims' test (wganlib.verdicts.tracking), checked by simulation: its level under the null,
its power for a tracker under the FID noise the reference runs show, and the cases built to fool
it (a clock, a clock with each run's own pace, another seed's curve of the same architecture)."""

from __future__ import annotations

import numpy as np
import pytest
from wganlib.verdicts import tracking

THRESHOLDS = {"tracking_margin": 0.2}
LEVEL = 0.9  # one-sided tests at 0.05
SNAPSHOTS = np.arange(0, 5001, 100.0)
# The study's numbers (docs/evidence/tracking.md): snapshot FID scatters by 3.3 (robust s.d.) about its
# course; the seeds of one architecture end 6.8 % apart (s.d. over mean, median over groups).
FID_NOISE, SEED_SPREAD = 3.3, 0.068


def true_fid(rng, groups, seeds):
    """groups x seeds power-law curves FID = level * (t / 100 + 1) ** -0.4 + 20, each seed's level
    its architecture's times 1 + N(0, SEED_SPREAD)."""
    levels = rng.uniform(100, 300, size=(groups, 1)) * (1 + SEED_SPREAD * rng.standard_normal((groups, seeds)))
    return levels[..., None] * (SNAPSHOTS / 100 + 1) ** -0.4 + 20


def rows(fid, estimate, model="wgan"):
    """Summary rows with the curves the test reads: FID measured with noise, the given estimate."""
    return [
        {
            "experiment": f"{model}-a{g}-s{s}",
            "model": model,
            "architecture": f"a{g}",
            "seed": s,
            "status": "completed",
            "convergence": "still improving",
            "curves": {"iteration": tuple(SNAPSHOTS), "estimate": tuple(estimate[g, s]), "fid": tuple(fid[g, s])},
        }
        for g in range(fid.shape[0])
        for s in range(fid.shape[1])
    ]


def measured(rng, truth):
    return truth + FID_NOISE * rng.standard_normal(truth.shape)


def em_verdict(fid, estimate):
    return tracking.em_tracks_quality(rows(fid, estimate), THRESHOLDS, LEVEL)[0]


def rate(make, trials=100, seed=0, groups=4, seeds=5):
    """How often the EM claim reads "reproduced" over simulated grids from make(rng, truth)."""
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(trials):
        truth = true_fid(rng, groups, seeds)
        fid, estimate = make(rng, truth)
        hits += em_verdict(fid, estimate) == "reproduced"
    return hits / trials


def test_a_tracker_passes_under_the_measured_fid_noise():
    """The estimate is the true quality (any increasing function of it); FID is measured with noise."""
    assert rate(lambda rng, truth: (measured(rng, truth), np.log(truth))) >= 0.95


def test_a_clock_passes_nothing():
    """Generator iterations rank no seed above another at a matched iteration: nothing to test."""
    truth = true_fid(np.random.default_rng(1), 4, 5)
    clock = np.broadcast_to(SNAPSHOTS, truth.shape)
    verdict, evidence, _ = tracking.em_tracks_quality(rows(truth, clock), THRESHOLDS, LEVEL)
    assert verdict == "inconclusive" and "no wgan/wgan-gp group" in evidence


def test_a_clock_with_each_runs_pace_passes_at_the_level():
    """Wall-clock time: each run its own pace, blind to quality. It passes as often as chance."""

    def wall_clock(rng, truth):
        pace = rng.uniform(0.8, 1.2, size=truth.shape[:2] + (1,))
        return measured(rng, truth), SNAPSHOTS * pace

    assert rate(wall_clock, trials=200, seed=2) <= 0.05 + 0.045


def test_another_seeds_curve_passes_at_the_level():
    """The true quality of the next seed of the same architecture: its course, not this run's luck."""

    def mismatched(rng, truth):
        return measured(rng, truth), np.roll(truth, 1, axis=1)

    assert rate(mismatched, trials=200, seed=3) <= 0.05 + 0.045


def test_the_level_under_the_null():
    """An estimate independent of the runs' quality is "reproduced" about 5 % of the time."""

    def unrelated(rng, truth):
        return measured(rng, truth), true_fid(rng, *truth.shape[:2])

    assert 0.01 <= rate(unrelated, trials=300, seed=4) <= 0.05 + 0.04


def test_runs_whose_fid_did_not_move_are_left_out():
    """A GAN stuck at its start (FID 470 throughout) has nothing to track: rho of about 0 there is
    no evidence that the estimate does not track."""
    rng = np.random.default_rng(5)
    truth = true_fid(rng, 2, 5)
    grid = rows(measured(rng, truth), truth, model="dcgan")
    for r in grid[:5]:
        r["convergence"] = "not started"
    test = tracking.between_seeds(grid, ("dcgan",))
    assert list(test.groups) == [("dcgan", "a1")] and test.left_out == [f"dcgan-a0-s{s}" for s in range(5)]


def test_too_few_seeds():
    """Two seeds rank nothing; one group of three cannot reach the level (least p 1/6)."""
    rng = np.random.default_rng(6)
    truth = true_fid(rng, 4, 2)
    assert tracking.between_seeds(rows(truth, truth), ("wgan",)) is None
    truth = true_fid(rng, 1, 3)
    verdict = em_verdict(truth, truth)
    assert verdict == "inconclusive: too few seeds (the least p-value is 0.167)"


def js_rows(rng, js_estimate):
    """EM runs that track, and GAN runs with the given estimate of their true quality."""
    em_truth, js_truth = true_fid(rng, 4, 5), true_fid(rng, 4, 5)
    return rows(measured(rng, em_truth), em_truth, "wgan") + rows(
        measured(rng, js_truth), js_estimate(rng, js_truth), "dcgan"
    )


@pytest.mark.parametrize(
    ("js_estimate", "verdicts", "at_least"),
    [
        (lambda rng, truth: true_fid(rng, *truth.shape[:2]), {"reproduced"}, 0.7),  # blind to quality
        (lambda rng, truth: truth, {"not reproduced", "inconclusive: the gap to the EM estimate not shown"}, 1.0),
    ],
    ids=["blind", "tracks-as-EM"],
)
def test_does_not_track_needs_a_margin_below_the_em_estimate(js_estimate, verdicts, at_least):
    """A JS estimate blind to quality is shown to track less than the EM estimate by the margin (with
    four architectures of five seeds each; the study's two moving GAN architectures give it about
    half that power); one that tracks as well never reads "does not track"."""
    rng = np.random.default_rng(7)
    got = [tracking.js_does_not_track(js_rows(rng, js_estimate), THRESHOLDS, LEVEL)[0] for _ in range(30)]
    assert sum(v in verdicts for v in got) >= at_least * len(got), got

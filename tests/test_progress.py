"""Progress a person can watch (wganlib.train.progress): the time left is right within a factor of 1.5
once a tenth of the run is done, on synthetic timings built like the real ones (a compiled first
step, WGAN's critic bursts, snapshots, checkpoints, noise); the estimate it replaces is shown to
fail on them; the terminal's line and the watcher's view."""

import dataclasses
import json
import logging
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wganlib.common.jobs import TERMINAL
from wganlib.plan import config as cfg
from wganlib.train import progress

ROOT = Path(__file__).resolve().parents[1]
GRID = cfg.experiments(cfg.load(ROOT / "config" / "config.yaml"))


def experiment(name: str, **changes) -> cfg.Experiment:
    return dataclasses.replace(GRID[("mnist-5k", name)], **changes)


def simulate(
    exp, *, critic_s, generator_s, snapshot_s, compile_s=15.0, checkpoint_s=0.3, noise=0.2, busy_s=0.0, seed=0
):
    """A run's timings as the training loop makes them, fed to a Pace: each log line's time left
    as estimated, as it turned out, and by the estimate it replaces (iterations left over the speed
    of the last log_every iterations, snapshots included). For its first ``busy_s`` seconds
    another job shares the cores: steps take twice as long."""
    rng = random.Random(seed)
    pace = progress.Pace(exp.snapshot_every, exp.n_critic, last_end=0.0)
    now = snapshot_s * 3  # the start's snapshot, which also traces the sampling
    ends, logged = [], []
    for i in range(exp.generator_iterations):
        critic = cfg.critic_iterations(i, exp.n_critic, exp.critic_burst)
        started = now
        shared = 2 if now < busy_s else 1
        now += (critic * critic_s + generator_s) * shared * rng.uniform(1 - noise, 1 + noise) + (
            compile_s if i == 0 else 0
        )
        pace.step(i + 1, critic, started, now)
        ends.append(now)
        if (i + 1) % exp.snapshot_every == 0 or i + 1 == exp.generator_iterations:
            now += snapshot_s * rng.uniform(0.8, 1.2)
        if (i + 1) % exp.checkpoint_every == 0:
            now += checkpoint_s
        now += 0.002  # metrics and TensorBoard
        if (i + 1) % exp.log_every == 0:
            window = ends[-exp.log_every :]
            speed = (len(window) - 1) / (window[-1] - window[0])
            logged.append((i + 1, pace.seconds_left(exp, i + 1), now, (exp.generator_iterations - i - 1) / speed))
    return [(i, estimate, now - at, old) for i, estimate, at, old in logged]


# the default run's WGAN, GAN and WGAN-GP on this laptop (seconds per critic update, per generator
# update, per snapshot), a monitored study run whose snapshots measure FID, and a GPU-sized run
CASES = {
    "wgan": (experiment("wgan-conv-s0"), dict(critic_s=0.012, generator_s=0.02, snapshot_s=0.5)),
    # the classifier trains beside the critic bursts, as in a default run (tmux capture in issue 37)
    "shared": (experiment("wgan-conv-s0"), dict(critic_s=0.012, generator_s=0.02, snapshot_s=0.5, busy_s=75.0)),
    "dcgan": (experiment("dcgan-conv-s0"), dict(critic_s=0.03, generator_s=0.03, snapshot_s=0.5)),
    "wgan-gp": (experiment("wgan-gp-conv-s0"), dict(critic_s=0.05, generator_s=0.02, snapshot_s=0.5)),
    "monitored": (
        experiment("wgan-mlp-s0", generator_iterations=5000, snapshot_every=100, stop_at_convergence=True),
        dict(critic_s=0.012, generator_s=0.02, snapshot_s=6.0),
    ),
    "long": (
        experiment("wgan-conv-s0", generator_iterations=20000, snapshot_every=1000, log_every=200),
        dict(critic_s=0.002, generator_s=0.004, snapshot_s=3.0, compile_s=40.0),
    ),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_the_time_left_is_right_within_a_factor_of_1_5_after_a_tenth(case, seed):
    exp, costs = CASES[case]
    for iteration, estimate, actual, _ in simulate(exp, seed=seed, **costs):
        if iteration >= exp.generator_iterations / 10 and actual > 5:
            assert actual / 1.5 <= estimate <= actual * 1.5, (iteration, estimate, actual)


def test_the_estimate_it_replaces_fails_on_the_same_timings():
    """At the first log line of a WGAN run the old estimate counted the critic bursts as the pace
    (the issue's 6 minutes for a run that ended 70 s later); the new one is within 1.5 there too."""
    exp, costs = CASES["wgan"]
    iteration, estimate, actual, old = simulate(exp, **costs)[0]
    assert old > 2 * actual
    assert actual / 1.5 <= estimate <= actual * 1.5


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 3000), start=st.integers(0, 3000), every=st.integers(1, 700))
def test_work_and_snapshots_left_count_the_schedule(n, start, every):
    exp = experiment("wgan-conv-s0", generator_iterations=n, snapshot_every=every)
    start = min(start, n)
    steps = range(start, n)
    assert progress.bursts_between(exp, start, n) == sum(
        cfg.critic_iterations(i, exp.n_critic, exp.critic_burst) > exp.n_critic for i in steps
    )
    assert progress.snapshots_after(exp, start) == sum(1 for i in steps if (i + 1) % every == 0 or i + 1 == n)


def test_durations_read_as_a_person_reads_them():
    assert [progress.duration(s) for s in (4.4, 80, 3725, 200000, None)] == [
        "4 s",
        "1 min 20 s",
        "1 h 02 min",
        "2 d 7 h",
        "unknown",
    ]


def test_the_terminal_shows_a_line_at_each_tenth_and_the_end(tmp_path, caplog):
    exp = experiment("wgan-conv-s0", generator_iterations=1000)
    reporter = progress.Reporter(exp, tmp_path)
    with caplog.at_level(logging.INFO, logger=TERMINAL):
        for iteration in range(50, 1001, 50):
            reporter.report(iteration, "EM 0.0460", 1000.0 - iteration)
        reporter.report(1000, "EM 0.0300", 0.0, "completed")
    shown = [r.getMessage() for r in caplog.records if r.name == TERMINAL]
    assert len(shown) == 10 + 1  # iterations 50 (the first), 100, 200, ..., 900, and the end
    assert shown[0] == "mnist-5k/wgan-conv-s0: 50/1,000 iterations (5%), EM 0.0460, 15 min 50 s left"
    assert shown[-1].startswith("mnist-5k/wgan-conv-s0: done at 1,000 of 1,000 iterations after ")
    record = json.loads((tmp_path / progress.STATUS_FILE).read_text())
    assert record["state"] == "completed" and record["iteration"] == 1000


def test_the_watcher_draws_one_line_per_run(tmp_path):
    """What `make watch` shows: the runs in training first, with their time left counted down."""
    for name, state, iteration in (("wgan-conv-s0", "training", 400), ("dcgan-conv-s0", "completed", 1000)):
        record = progress.status(experiment(name), iteration, "EM 0.05", 120.0, state, 30.0)
        progress.write_json(tmp_path / "mnist-5k" / name / "train_state" / progress.STATUS_FILE, record)
    run = subprocess.run(
        [sys.executable, str(ROOT / "workflow" / "scripts" / "watch.py"), "--once", "--results", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("mnist-5k/wgan-conv-s0: 400/1,000 iterations (40%), EM 0.05, ")
    assert lines[1].startswith("mnist-5k/dcgan-conv-s0: done at 1,000 of 1,000 iterations")
    assert "1 training, 1 finished" in lines[-1]

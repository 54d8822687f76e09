"""A budget that ends at convergence: runs stop at a plateau, at divergence, at their maximum and
never before their minimum, on a monitor whose quality curve is scripted; an interrupted
monitored run resumes to the same end as an uninterrupted one."""

import dataclasses
import json
import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
tf = pytest.importorskip("tensorflow")

from wganlib.plan import config as cfg  # noqa: E402
from wganlib.train import monitor as mon  # noqa: E402
from wganlib.train.training import Outputs, WorkFolder, train  # noqa: E402

MAX = 40


def tiny(model="wgan", **changes):
    config = cfg.validate(
        {
            "models": [model],
            "architectures": ["tiny"],
            "architecture_definitions": {
                "tiny": {"generator": {"type": "conv", "width": 4}, "critic": {"type": "conv", "width": 4}}
            },
            "training": {
                "generator_iterations": MAX,
                "batch_size": 16,
                "z_dim": 8,
                "snapshot_every": 2,
                "checkpoint_every": 4,
                "keep_checkpoints": 20,
                "precision": "float32",
                "stop_at_convergence": True,
                "min_iterations": 0,
            },
        }
    )
    exp = cfg.experiments(config)[("mnist-5k", f"{model}-tiny-s0")]
    return dataclasses.replace(exp, critic_burst=None, **changes)


def falls_then_flat(generator, iteration):  # FID 400 falling by 30 an iteration to 100, flat after
    return max(100.0, 400.0 - 30.0 * iteration)


def keeps_falling(generator, iteration):  # the same fraction over every last quarter: never flat
    return 400.0 / (1 + 0.5 * iteration)


def scripted(curve, min_iterations=0):
    return mon.Monitor(curve, min_iterations, still_improving=0.1, min_progress=0.25, good_fid=None)


def outputs(base):
    names = ("generator.keras", "metrics.csv", "status.json", "config.yaml", "frames", "snapshots", "tensorboard")
    return Outputs(*(base / name for name in names))


def images(n=128):
    return np.random.default_rng(0).integers(0, 256, (n, 28, 28), dtype=np.uint8)


def first_plateau(curve, min_iterations):
    """Where the summary's rule first calls the scripted curve plateaued, from min_iterations on."""
    monitor = scripted(curve, min_iterations)
    for iteration in range(0, MAX + 1, 2):
        if monitor.observe(iteration, None):
            return iteration
    return None


def status_of(tmp_path, exp, monitor):
    result = train(exp, images(), tmp_path / "work", outputs(tmp_path), monitor=monitor)
    status = json.loads((tmp_path / "status.json").read_text())
    assert status == json.loads(json.dumps(result))
    return status


def test_the_scripted_curve_plateaus_where_the_rule_says():
    assert first_plateau(falls_then_flat, 0) == 16  # FID flat at 100 from 10 on; Theil-Sen flat from 16
    assert first_plateau(keeps_falling, 0) is None


def test_a_run_stops_at_its_plateau(tmp_path):
    status = status_of(tmp_path, tiny(), scripted(falls_then_flat))
    assert (status["status"], status["stop_reason"], status["generator_iterations"]) == ("completed", "plateaued", 16)
    assert status["max_iterations"] == MAX
    assert [p["generator_iteration"] for p in status["monitor_fid"]] == list(range(0, 17, 2))
    assert len((tmp_path / "metrics.csv").read_text().splitlines()) == 1 + 16
    assert max(int(p.name[5:11]) for p in (tmp_path / "snapshots").iterdir()) == 16


def test_not_before_its_minimum(tmp_path):
    status = status_of(tmp_path, tiny(min_iterations=25), scripted(falls_then_flat, 25))
    assert (status["stop_reason"], status["generator_iterations"]) == ("plateaued", 26)  # the first snapshot >= 25


def test_a_run_still_improving_trains_to_its_maximum(tmp_path):
    status = status_of(tmp_path, tiny(), scripted(keeps_falling))
    assert (status["stop_reason"], status["generator_iterations"]) == ("maximum", MAX)


def test_a_diverging_run_stops_at_divergence(tmp_path):
    exp = tiny("dcgan", optimizer="rmsprop", rho=0.9, beta_1=None, beta_2=None, learning_rate=1e10)
    status = status_of(tmp_path, exp, scripted(keeps_falling))
    assert (status["status"], status["stop_reason"]) == ("diverged", "diverged")
    assert status["generator_iterations"] == status["diverged_at"] < MAX


def test_a_fixed_budget_says_so(tmp_path):
    status = status_of(tmp_path, tiny(stop_at_convergence=False, min_iterations=None, generator_iterations=6), None)
    assert (status["stop_reason"], status["generator_iterations"], status["monitor_fid"]) == ("budget", 6, None)


def test_an_interrupted_monitored_run_ends_as_an_uninterrupted_one(tmp_path):
    """The monitor's curve is part of the checkpoint: without it the resumed run would judge a
    curve that starts at its checkpoint, call it 'not started' and train on to its maximum.
    In a process of its own, configured as a training job is (one thread, deterministic ops)."""
    import subprocess
    import sys
    from pathlib import Path

    here = Path(__file__).resolve().parent
    code = (
        "from wganlib.train.runtime import configure_tensorflow\n"
        "configure_tensorflow(1, False)\n"
        "import test_monitor\n"
        f"test_monitor.interrupted_and_whole({str(tmp_path)!r})\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(here), str(here.parent / "workflow" / "scripts")])}
    run = subprocess.run([sys.executable, "-c", code], cwd=here, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]


def interrupted_and_whole(root: str) -> None:
    """Train one run whole, and one killed after its checkpoint at 8 and resumed with a fresh
    monitor, as a new job has: the same stop, curve, losses and final weights."""
    from pathlib import Path

    import keras

    root, exp = Path(root), tiny()
    whole = status_of(root / "whole", exp, scripted(falls_then_flat))
    save = WorkFolder.save_checkpoint

    def save_then_die(self, iteration, *args, **kwargs):
        save(self, iteration, *args, **kwargs)
        if iteration == 8:
            raise KeyboardInterrupt  # killed right after its second checkpoint

    WorkFolder.save_checkpoint = save_then_die
    try:
        train(exp, images(), root / "cut" / "work", outputs(root / "cut"), monitor=scripted(falls_then_flat))
    except KeyboardInterrupt:
        pass
    finally:
        WorkFolder.save_checkpoint = save
    resumed = status_of(root / "cut", exp, scripted(falls_then_flat))
    assert {k: v for k, v in resumed.items() if k != "wall_time_s"} == {
        k: v for k, v in whole.items() if k != "wall_time_s"
    }
    losses = [
        [line.split(",")[:9] for line in (folder / "metrics.csv").read_text().splitlines()]
        for folder in (root / "whole", root / "cut")
    ]
    assert losses[0] == losses[1]
    weights = [
        keras.models.load_model(folder / "generator.keras", compile=False).weights
        for folder in (root / "whole", root / "cut")
    ]
    assert all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(*weights, strict=True))


def test_settings_name_what_reruns_a_monitored_run():
    claims = {"still_improving": 0.1, "min_progress": 0.25, "good_fid": 80, "min_modes": 8}
    evaluation = {"snapshot_samples": 500, "sampling": "batch_statistics", "final_samples": 2000}
    assert mon.settings(tiny(), claims, evaluation) == {
        "still_improving": 0.1,
        "min_progress": 0.25,
        "good_fid": 80,
        "samples": 500,
        "sampling": {"mode": "batch_statistics", "batch_size": 16},  # batch statistics over the run's batches
    }
    assert mon.settings(tiny(stop_at_convergence=False), claims, evaluation) is None


def test_a_training_job_imports_the_monitor_without_what_it_keeps_out():
    """A TensorFlow job blocks pandas (wganlib.common.jobs): the monitor and its rule must not need it."""
    import subprocess
    import sys
    from pathlib import Path

    scripts = Path(__file__).resolve().parents[1] / "workflow" / "scripts"
    code = (
        "from wganlib.common.jobs import skip_unused_keras_imports\n"
        "skip_unused_keras_imports()\n"
        "import wganlib.train.training, wganlib.judge.evaluation, wganlib.train.monitor\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=scripts, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]

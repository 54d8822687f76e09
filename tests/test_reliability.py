"""Kill it, feed it garbage, let it diverge, fill its disk: nothing finished is lost and every
error says what to do. (Bad datasets on loopback mirrors: tests/test_datasets.py.)"""

import csv
import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import TINY, copy_workflow, snakemake
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wganlib.common import io as wio
from wganlib.plan import config as cfg

ROOT = Path(__file__).resolve().parents[1]
TRAIN_SCRIPT = ROOT / "workflow" / "scripts" / "train.py"
EXPERIMENT = "wgan-gp-tiny-s0"
BF16_EXPERIMENT = "wgan-gp-tiny-bf16-s0"  # the same network, trained in mixed bfloat16
LOSS_COLUMNS = ("critic_loss", "generator_loss", "em_estimate", "js_estimate", "gradient_penalty", "d_real", "d_fake")


# -- 1. kill a training job anywhere; it resumes and ends bit-identical ----------------------------


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """mnist-5k and a tiny config, laid out as the train script expects when run by hand."""
    from wganlib import datasets

    root = tmp_path_factory.mktemp("ws")
    datasets.materialise(
        "mnist-5k", root / "resources/datasets/mnist-5k.npz", root / "resources/datasets/mnist-5k.manifest.json"
    )
    config = {
        "models": ["wgan-gp"],
        "architectures": ["tiny", "tiny-bf16"],
        "architecture_definitions": {
            name: {"generator": {"type": "conv", "width": 4}, "critic": {"type": "conv", "width": 4}}
            for name in ("tiny", "tiny-bf16")
        },
        "overrides": {BF16_EXPERIMENT: {"precision": "mixed_bfloat16"}},
        "training": {
            "precision": "float32",  # the default, auto, is bfloat16 on some machines only
            "generator_iterations": 60,
            "batch_size": 16,
            "z_dim": 8,
            "snapshot_every": 10,
            "checkpoint_every": 5,
            "keep_checkpoints": 5,
            "log_every": 10,
        },
    }
    (root / "config.yaml").write_text(yaml.safe_dump(config))
    return root


def start_training(root: Path, out: str, experiment: str = EXPERIMENT) -> subprocess.Popen:
    cmd = [sys.executable, str(TRAIN_SCRIPT), "--config", "config.yaml", "--experiment", experiment, "--out-dir", out]
    return subprocess.Popen(cmd, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def final_state(folder: Path):
    import keras

    generator = keras.models.load_model(folder / "generator.keras", compile=False)
    rows = [[row[c] for c in LOSS_COLUMNS] for row in csv.DictReader(open(folder / "metrics.csv"))]
    return [w.numpy() for w in generator.weights], rows


@pytest.fixture(scope="module")
def uninterrupted(workspace):
    run = start_training(workspace, "uninterrupted")
    assert run.wait() == 0, run.stderr.read().decode()
    return final_state(workspace / "uninterrupted/mnist-5k" / EXPERIMENT)


def checkpoints(folder: Path) -> list[Path]:
    return sorted(folder.glob("train_state/*/checkpoints/ckpt_*.npz"))


@pytest.mark.slow
@pytest.mark.parametrize(
    "kill_after_checkpoints, torn_write",
    [(0, False), (1, False), (3, False), (2, True)],
    ids=["before-first-checkpoint", "after-first", "between-later-ones", "while-writing-a-checkpoint"],
)
def test_killed_training_resumes_bit_identical(workspace, uninterrupted, kill_after_checkpoints, torn_write):
    out = f"killed-{kill_after_checkpoints}-{torn_write}"
    folder = workspace / out / "mnist-5k" / EXPERIMENT
    job = start_training(workspace, out)
    deadline = time.time() + 180
    while time.time() < deadline and len(checkpoints(folder)) < kill_after_checkpoints:
        time.sleep(0.02)
    time.sleep(np.random.default_rng(kill_after_checkpoints).uniform(0, 0.3))  # somewhere in between
    job.send_signal(signal.SIGKILL)
    job.wait()
    assert not (folder / "status.json").exists(), "the job finished before it was killed"
    if torn_write:
        # What a write cut short leaves: a temporary file, and (on a damaged disk) a torn newest file.
        state = next(folder.glob("train_state/*/checkpoints"))
        (state / ".ckpt_00000055.npz.x1y2.tmp.npz").write_bytes(b"PK\x03\x04 half")
        (state / "ckpt_00000055.npz").write_bytes(b"PK\x03\x04 torn")
    had_checkpoint = any(p.stat().st_size > 100 for p in checkpoints(folder))
    resumed = start_training(workspace, out)
    assert resumed.wait() == 0, resumed.stderr.read().decode()
    log = resumed.stderr.read().decode()
    assert ("resuming" in log) == had_checkpoint, log[-2000:]
    weights, rows = final_state(folder)
    assert rows == uninterrupted[1]
    assert all(np.array_equal(a, b) for a, b in zip(weights, uninterrupted[0], strict=True))


@pytest.mark.slow
def test_killed_bfloat16_training_resumes_bit_identical(workspace):
    """Mixed precision keeps variables, optimizer state and the random state in float32, so a
    checkpoint holds all of it and resume is as exact as in float32."""
    whole = start_training(workspace, "bf16-whole", BF16_EXPERIMENT)
    assert whole.wait() == 0, whole.stderr.read().decode()
    assert "precision: mixed_bfloat16" in whole.stderr.read().decode()
    folder = workspace / "bf16-killed" / "mnist-5k" / BF16_EXPERIMENT
    job = start_training(workspace, "bf16-killed", BF16_EXPERIMENT)
    deadline = time.time() + 180
    while time.time() < deadline and len(checkpoints(folder)) < 2:
        time.sleep(0.02)
    job.send_signal(signal.SIGKILL)
    job.wait()
    assert not (folder / "status.json").exists(), "the job finished before it was killed"
    resumed = start_training(workspace, "bf16-killed", BF16_EXPERIMENT)
    assert resumed.wait() == 0
    assert "resuming" in resumed.stderr.read().decode()
    weights, rows = final_state(folder)
    expected_weights, expected_rows = final_state(workspace / "bf16-whole" / "mnist-5k" / BF16_EXPERIMENT)
    assert rows == expected_rows
    assert all(np.array_equal(a, b) for a, b in zip(weights, expected_weights, strict=True))


# -- 2. kill the whole workflow mid-grid -----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_killed_workflow_loses_nothing_and_ends_like_an_uninterrupted_run(tmp_path, tiny_run, sig):
    root = copy_workflow(tmp_path, TINY)
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "snakemake"), "--cores", "2"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )

    def finished() -> list[Path]:
        """Training runs Snakemake has recorded as done: a job after them has started."""
        started_after = {p.stem for p in root.glob("results/logs/evaluate/mnist-5k/*.log")}
        return sorted(p for p in root.glob("results/mnist-5k/*/status.json") if p.parent.name in started_after)

    deadline = time.time() + 300
    while time.time() < deadline and not finished():
        time.sleep(0.1)
    done_before = {p: p.stat().st_mtime_ns for p in finished()}
    assert done_before, "no experiment finished before the deadline"
    os.killpg(process.pid, sig)  # the whole process group, as a terminal or a scheduler does
    try:
        process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    snakemake("--unlock", cwd=root)
    snakemake("--cores", "2", cwd=root)  # the default profile sets rerun-incomplete
    for path, mtime in done_before.items():
        assert path.stat().st_mtime_ns == mtime, f"{path.parent.name} was trained again"
    for experiment in (p.parent.name for p in finished()):
        for name in ("metrics.csv", "evaluation.json"):
            here, there = (r / "results/mnist-5k" / experiment / name for r in (root, tiny_run))
            if name == "metrics.csv":
                here, there = (
                    [[row[c] for c in LOSS_COLUMNS] for row in csv.DictReader(open(p))] for p in (here, there)
                )
            else:
                here, there = (json.loads(p.read_text())["final"] for p in (here, there))
            assert here == there, f"{experiment}/{name} differs from an uninterrupted run"


# -- 3. bad configs: valid, or stopped with one message naming the key ----------------------------

VALID = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
GARBAGE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10),
    st.floats(allow_nan=True),
    st.text(max_size=8),
    st.lists(st.integers(-2, 3), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def key_paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from key_paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from key_paths(value, prefix + (i,))


PATHS = [p for p in key_paths(VALID) if p]


def mutate(config, path, action, value):
    config = json.loads(json.dumps(config))
    parent = config
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "typo" and isinstance(last, str):
        parent[last[:-1] + "x"] = parent.pop(last)
    elif action == "empty" and isinstance(parent[last], (list, dict)):
        parent[last] = type(parent[last])()
    elif action == "duplicate" and isinstance(parent[last], list) and parent[last]:
        parent[last] = parent[last] + parent[last][:1]
    else:
        parent[last] = value
    return config


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(PATHS),
    action=st.sampled_from(["replace", "delete", "typo", "empty", "duplicate"]),
    value=GARBAGE,
)
def test_mutated_config_is_valid_or_one_clear_message(path, action, value):
    config = mutate(VALID, path, action, value)
    try:
        cfg.experiments(cfg.validate(config, "config/config.yaml"))
    except cfg.ConfigError as err:
        message = str(err)
        assert message.startswith(("Invalid config", "config/config.yaml")), message
        key = next((str(p) for p in path if isinstance(p, str)), "")
        assert key in message or "(top level)" in message or "experiments" in message, (path, message)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet="[]{}:,-# \n\tab0'\"", max_size=40))
def test_malformed_yaml_is_one_message(text, tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    try:
        cfg.load(path)
    except cfg.ConfigError as err:  # nothing else may escape: no traceback for a user's typo
        assert str(path) in str(err) or "Invalid config" in str(err)


# -- 4. a corrupt dataset already in resources/ is detected, not trained on -----------------------


@pytest.mark.slow
def test_corrupt_dataset_in_resources_stops_training_with_a_clear_message(workspace, tmp_path):
    data = tmp_path / "resources/datasets"
    data.mkdir(parents=True)
    for name in ("mnist-5k.npz", "mnist-5k.manifest.json"):
        (data / name).write_bytes((workspace / "resources/datasets" / name).read_bytes())
    blob = bytearray((data / "mnist-5k.npz").read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    (data / "mnist-5k.npz").write_bytes(bytes(blob))
    (tmp_path / "config.yaml").write_text((workspace / "config.yaml").read_text())
    run = subprocess.run(
        [sys.executable, str(TRAIN_SCRIPT), "--config", "config.yaml", "--experiment", EXPERIMENT, "--out-dir", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1
    assert "mnist-5k.npz" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "out/mnist-5k" / EXPERIMENT / "metrics.csv").exists()


# -- 5. divergence: the grid, figures and summary complete and say so ------------------------------


@pytest.mark.slow
def test_diverged_run_is_shown_not_dropped(tiny_run):
    status = json.loads((tiny_run / "results/mnist-5k/dcgan-conv-s0/status.json").read_text())
    assert status["status"] == "diverged" and status["diverged_at"] >= 1
    assert list((tiny_run / "results/mnist-5k/dcgan-conv-s0/frames").glob("iter_*.png"))
    rows = list(csv.DictReader(open(tiny_run / "results/mnist-5k/summary.csv")))
    assert {r["experiment"]: r["status"] for r in rows}["dcgan-conv-s0"] == "diverged"
    assert "diverged" in (tiny_run / "results/mnist-5k/summary.md").read_text()


# -- 6. two jobs at once give what one after the other gives ---------------------------------------


@pytest.mark.slow
def test_parallel_jobs_match_sequential_ones(tmp_path, tiny_run):
    root = copy_workflow(tmp_path, TINY)
    targets = [f"results/mnist-5k/{e}/evaluation.json" for e in ("wgan-conv-s0", "wgan-gp-conv-s0")]
    snakemake("--cores", "1", *targets, cwd=root)  # one after the other; tiny_run used --cores 2
    for target in targets:
        for name in ("metrics.csv", "evaluation.json"):
            here, there = (r / Path(target).parent / name for r in (root, tiny_run))
            if name == "metrics.csv":
                here, there = (
                    [[row[c] for c in LOSS_COLUMNS] for row in csv.DictReader(open(p))] for p in (here, there)
                )
                assert here == there
            else:
                assert json.loads(here.read_text())["final"] == json.loads(there.read_text())["final"]


# -- 7. a full disk or a read-only folder: a clear error, no half file ----------------------------


def test_failed_write_leaves_no_file_and_says_what_to_do(tmp_path, monkeypatch):
    target = tmp_path / "ckpt_00000010.npz"
    target.write_bytes(b"the previous, complete file")
    with pytest.raises(
        wio.WriteError, match=r"cannot write .*ckpt_00000010.npz: No space left on device\. Free some disk space"
    ):
        with wio.atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert target.read_bytes() == b"the previous, complete file"
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt_00000010.npz"]


def test_read_only_folder_is_a_clear_error(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(wio.tempfile, "mkstemp", refuse)
    with pytest.raises(
        wio.WriteError, match=r"cannot write .*status.json: Permission denied\. .*make the folder writable"
    ):
        wio.write_json(tmp_path / "status.json", {"status": "completed"})
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_full_disk_during_training_keeps_the_last_checkpoint(workspace, tmp_path):
    """A training job whose checkpoint write fails (ENOSPC at the file layer) stops with one
    clear message and leaves the previous checkpoint whole; a rerun resumes from it."""
    script = tmp_path / "full_disk.py"
    script.write_text(
        "import errno, os, runpy, sys\n"
        "import numpy as np\n"
        "calls = {'n': 0}\n"
        "real = np.savez\n"
        "def savez(*a, **k):\n"
        "    calls['n'] += 1\n"
        "    if calls['n'] == 3:\n"
        "        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))\n"
        "    return real(*a, **k)\n"
        "np.savez = savez\n"
        f"sys.argv = ['train.py', '--config', 'config.yaml', '--experiment', '{EXPERIMENT}', '--out-dir', 'full']\n"
        f"sys.path.insert(0, {str(TRAIN_SCRIPT.parent)!r})  # as `python train.py` does\n"
        f"runpy.run_path({str(TRAIN_SCRIPT)!r}, run_name='__main__')\n"
    )
    run = subprocess.run([sys.executable, str(script)], cwd=workspace, capture_output=True, text=True)
    assert run.returncode == 1
    assert "No space left on device. Free some disk space" in run.stderr and "Traceback" not in run.stderr
    folder = workspace / "full/mnist-5k" / EXPERIMENT
    kept = checkpoints(folder)
    assert [p.name for p in kept] == ["ckpt_00000005.npz", "ckpt_00000010.npz"]
    assert not list(folder.glob("train_state/*/checkpoints/.*"))
    np.load(kept[-1])  # whole and readable
    resumed = start_training(workspace, "full")
    assert resumed.wait() == 0
    assert "resuming" in resumed.stderr.read().decode()

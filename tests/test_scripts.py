"""The scripts' one convention, ``job = Job.start(globals(), __doc__)``: a script finds its job under
Snakemake and, run by hand, on the command line docs/running.md shows (its own options for train.py and
download_dataset.py). The library calls are stubbed here, so no test trains or downloads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from snakemake.iocontainers import Namedlist
from wganlib.common.jobs import Job
from wganlib.plan.config import find_experiment, load

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "workflow" / "scripts"
CONFIG = ROOT / "config" / "config.yaml"

# Runs a script as Snakemake or `python script.py` would, with the named wganlib functions replaced
# by stubs that record their arguments; prints what they got. TensorFlow's modules are fakes.
DRIVER = """
import json, os, runpy, sys, types
sys.path.insert(0, {scripts!r})  # what `python workflow/scripts/x.py` and Snakemake's script: do
calls = {{}}
screen = os.fdopen(os.dup(1), "w")  # the driver's stdout: under Snakemake a job's own goes to its log

def record(name, result=None):
    def stub(*args, **kwargs):
        calls[name] = [str(a) for a in args] + [f"{{k}}={{v}}" for k, v in sorted(kwargs.items())]
        return result
    return stub

class Images(str):  # the training images, as train.py sees them: their number, and a name for them
    def __len__(self):
        return 4000

import wganlib.datasets, wganlib.common.jobs
wganlib.common.jobs.start_tensorflow_quietly = lambda: None  # it imports TensorFlow
wganlib.datasets.verify_existing = record("verify_existing")
wganlib.datasets.load = record("load", {{"x_train": Images("images")}})
wganlib.datasets.materialise = record("materialise")
runtime, training = types.ModuleType("wganlib.train.runtime"), types.ModuleType("wganlib.train.training")
runtime.configure_tensorflow = record("configure_tensorflow", "CPU")
training.Outputs = lambda **paths: sorted(f"{{k}}={{v}}" for k, v in paths.items())
training.train = record("train", {{"status": "completed", "generator_iterations": 0}})
sys.modules.update({{"wganlib.train.runtime": runtime, "wganlib.train.training": training}})
{smk}
sys.argv = [{script!r}, *{argv!r}]
runpy.run_path({script!r}, init_globals=init_globals, run_name="__main__")
assert not [m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras")]
print(json.dumps(calls), file=screen)
"""

SNAKEMAKE = """
from snakemake.iocontainers import Namedlist
smk = types.SimpleNamespace(threads={threads}, **{{k: Namedlist(fromdict=v) for k, v in {named!r}.items()}})
init_globals = {{"snakemake": smk}}
"""


def run_script(script: str, cwd: Path, argv=(), snakemake: dict | None = None):
    smk = "init_globals = {}"
    if snakemake is not None:
        named = {k: v for k, v in snakemake.items() if k != "threads"}
        smk = SNAKEMAKE.format(threads=snakemake.get("threads", 1), named=named)
    code = DRIVER.format(scripts=str(SCRIPTS), script=str(SCRIPTS / script), argv=list(argv), smk=smk)
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120)


def calls_of(result) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


@pytest.fixture
def debug_dir(tmp_path):
    """A folder laid out as train.py expects when run by hand (the dataset itself is stubbed)."""
    (tmp_path / "resources/datasets").mkdir(parents=True)
    (tmp_path / "resources/datasets/mnist-5k.npz").touch()
    return tmp_path


def test_train_by_hand_runs_the_job_the_rule_would(debug_dir):
    argv = ["--config", str(CONFIG), "--experiment", "wgan-conv-s0", "--threads", "2", "--out-dir", "dbg"]
    by_hand = calls_of(run_script("train.py", debug_dir, argv))
    base = "dbg/mnist-5k/wgan-conv-s0"
    assert by_hand["configure_tensorflow"] == ["2", "auto"]
    assert by_hand["verify_existing"] == [
        "resources/datasets/mnist-5k.npz",
        "resources/datasets/mnist-5k.manifest.json",
    ]
    exp, images, work_root, outputs, device, monitor, threads = by_hand["train"]
    assert monitor == "monitor=None"  # a fixed budget: no classifier watches it
    assert exp.startswith("Experiment(") and "wgan-conv-s0" in exp
    assert (
        images == "images" and work_root == f"{base}/train_state" and device == "device=CPU" and threads == "threads=2"
    )
    names = ("config.yaml", "frames", "generator.keras", "metrics.csv", "snapshots", "status.json", "tensorboard")
    assert outputs == str(sorted(f"{n.split('.')[0]}={base}/{n}" for n in names))

    # the same experiment run by the rule: the same calls
    settings = find_experiment(load(CONFIG), "wgan-conv-s0").to_json()
    out = {n.split(".")[0]: f"{base}/{n}" for n in names}
    rule = {
        "input": {
            "dataset": "resources/datasets/mnist-5k.npz",
            "manifest": "resources/datasets/mnist-5k.manifest.json",
        },
        "output": out,
        "params": {"settings": settings, "work_dir": f"{base}/train_state", "gpu": "auto", "threads": 2},
        "log": {"log": str(debug_dir / "train.log")},
        "wildcards": {"dataset": "mnist-5k"},
        "threads": 2,
    }
    assert calls_of(run_script("train.py", debug_dir, snakemake=rule)) == by_hand
    assert "wgan-conv-s0: completed" in (debug_dir / "train.log").read_text()
    # --cores 1 lowers the job's threads, not TensorFlow's pools: the run's numbers stay those of 2
    rule |= {"threads": 1, "log": {"log": str(debug_dir / "one_core.log")}}
    assert calls_of(run_script("train.py", debug_dir, snakemake=rule)) == by_hand
    assert "2 TensorFlow threads (resources.train_threads) on the 1 core(s)" in (debug_dir / "one_core.log").read_text()


def test_train_by_hand_user_errors_are_one_line(debug_dir):
    unknown = run_script("train.py", debug_dir, ["--config", str(CONFIG), "--experiment", "wgan-conv-s9"])
    assert unknown.returncode == 1 and unknown.stderr.startswith("error: No experiment 'wgan-conv-s9'")
    (debug_dir / "resources/datasets/mnist-5k.npz").unlink()
    missing = run_script("train.py", debug_dir, ["--config", str(CONFIG), "--experiment", "wgan-conv-s0"])
    assert missing.returncode == 1 and "mnist-5k.npz is missing; make it first with: snakemake" in missing.stderr
    assert "Traceback" not in unknown.stderr + missing.stderr
    usage = run_script("train.py", debug_dir, [])
    assert usage.returncode == 2 and "--experiment" in usage.stderr


def test_download_dataset_by_hand_passes_every_option(tmp_path):
    argv = [
        "--dataset",
        "mnist",
        "--out-dir",
        "d",
        "--mirror",
        "http://a/",
        "--mirror",
        "file:///b/",
        "--local-path",
        "idx",
        "--timeout",
        "5",
        "--cache-dir",
        "cache",
    ]
    got = calls_of(run_script("download_dataset.py", tmp_path, argv))["materialise"]
    assert got == [
        "mnist",
        "d/mnist.npz",
        "d/mnist.manifest.json",
        "cache_dir=cache",
        "inputs={}",
        "local_path=idx",
        "mirrors=['http://a/', 'file:///b/']",
        "settings=None",
        "timeout=5.0",
    ]
    defaults = calls_of(run_script("download_dataset.py", tmp_path, ["--dataset", "mnist-5k"]))["materialise"]
    assert defaults == [
        "mnist-5k",
        "resources/datasets/mnist-5k.npz",
        "resources/datasets/mnist-5k.manifest.json",
        "cache_dir=None",
        "inputs={}",
        "local_path=None",
        "mirrors=None",
        "settings=None",
        "timeout=60.0",
    ]


def test_download_dataset_by_hand_passes_settings_and_the_datasets_it_is_built_from(tmp_path):
    argv = [
        "--dataset",
        "stacked-mnist",
        "--out-dir",
        "d",
        "--setting",
        "train_images=1000",
        "--setting",
        "test_images=50",
    ]
    got = calls_of(run_script("download_dataset.py", tmp_path, argv))["materialise"]
    assert "inputs={'mnist': PosixPath('d/mnist.npz')}" in got
    assert "settings={'train_images': 1000, 'test_images': 50}" in got
    argv += ["--setting", "digits=mnist-5k"]  # offline: stacked from mnist-5k's digits
    got = calls_of(run_script("download_dataset.py", tmp_path, argv))["materialise"]
    assert "inputs={'mnist-5k': PosixPath('d/mnist-5k.npz')}" in got


def test_download_dataset_under_snakemake_reads_the_wildcard(tmp_path):
    rule = {
        "input": {},
        "output": {"npz": "r/fashion-mnist.npz", "manifest": "r/fashion-mnist.manifest.json"},
        "params": {"mirrors": None, "local_path": "/p", "timeout": 60, "code": "abc"},
        "wildcards": {"dataset": "fashion-mnist"},
        "log": {"log": str(tmp_path / "log.txt")},
    }
    got = calls_of(run_script("download_dataset.py", tmp_path, snakemake=rule))["materialise"]
    assert got == [
        "fashion-mnist",
        "r/fashion-mnist.npz",
        "r/fashion-mnist.manifest.json",
        "cache_dir=None",
        "inputs={}",
        "local_path=/p",
        "mirrors=None",
        "settings=None",
        "timeout=60.0",
    ]
    assert (tmp_path / "log.txt").exists()


def test_generic_command_line():
    job = Job.from_command_line(
        "doc",
        [
            "--input",
            "frames=f",
            "--output",
            "gif=g.gif",
            "--param",
            "frame_duration=0.4",
            "--param",
            "name=wgan",
            "--threads",
            "3",
        ],
    )
    assert job == Job({"frames": "f"}, {"gif": "g.gif"}, {"frame_duration": 0.4, "name": "wgan"}, 3)
    with pytest.raises(SystemExit):
        Job.from_command_line("doc", ["--input", "no-equals-sign"])


def test_job_from_snakemake():
    smk = type(
        "Snakemake",
        (),
        {
            "input": Namedlist(fromdict={"a": "in.txt"}),
            "output": Namedlist(fromdict={"b": "out.txt"}),
            "params": Namedlist(fromdict={"n": 3}),
            "wildcards": Namedlist(fromdict={"dataset": "mnist"}),
            "log": Namedlist(["logs/x.log"]),
            "threads": 2,
        },
    )
    assert Job.from_snakemake(smk) == Job(
        {"a": "in.txt"}, {"b": "out.txt"}, {"n": 3}, 2, "logs/x.log", {"dataset": "mnist"}
    )


def test_a_script_by_hand_with_the_generic_command_line(tmp_path):
    """make_gif.py run by hand as docs/running.md shows it."""
    from wganlib.common.images import save_png

    for iteration in (1, 2):
        save_png(tmp_path / f"iter_{iteration:06d}.png", np.full((30, 30), 80 * iteration, np.uint8))
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPTS / "make_gif.py"),
            "--input",
            f"frames={tmp_path}",
            "--output",
            f"gif={tmp_path}/w.gif",
            "--output",
            f"sheet={tmp_path}/w.png",
            "--param",
            "frame_duration=0.4",
            "--param",
            "last_frame_hold=2",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "w.gif").stat().st_size > 0 and (tmp_path / "w.png").stat().st_size > 0


# The modules of the package that import TensorFlow (wganlib/__init__.py lists them).
TENSORFLOW_MODULES = {
    "tensorflow",
    "keras",
    *(f"wganlib.train.{m}" for m in ("models", "training", "losses", "runtime")),
    *(f"wganlib.judge.{m}" for m in ("evaluation", "inception")),
    "wganlib.bench",
}


def _imports(path: Path) -> set[str]:
    import ast

    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_scripts_that_import_tensorflow_skip_keras_unused_imports_and_only_they():
    for script in sorted(SCRIPTS.glob("*.py")):
        uses_tensorflow = bool(_imports(script) & TENSORFLOW_MODULES)
        asks = "tensorflow=True" in script.read_text()
        assert asks == uses_tensorflow, f"{script.name}: imports TensorFlow {uses_tensorflow}, asks {asks}"


def test_a_tensorflow_job_skips_keras_unused_imports_and_keras_still_trains(tmp_path):
    code = f"""
import sys
sys.path.insert(0, {str(SCRIPTS)!r})
from wganlib.common.jobs import Job, KERAS_UNUSED_IMPORTS
job = Job.start({{}}, "doc", by_hand=lambda d: Job({{}}, {{}}, {{}}, log={str(tmp_path / "job.log")!r}), tensorflow=True)
import keras, numpy as np
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
model.compile("sgd", "mse")
model.fit(np.zeros((8, 3)), np.zeros((8, 2)), epochs=1, verbose=0)
assert all(sys.modules[name] is None for name in KERAS_UNUSED_IMPORTS), [sys.modules[n] for n in KERAS_UNUSED_IMPORTS]
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    log = (tmp_path / "job.log").read_text()
    assert result.returncode == 0, result.stderr + log
    assert result.stdout.strip() == "ok"
    # the log starts with the job's own lines: TensorFlow's start-up noise is left out
    for noise in ("absl::InitializeLog", "oneDNN custom operations", "cuInit", "Could not find cuda drivers"):
        assert noise not in log + result.stderr, log


def test_under_snakemake_stdout_goes_to_the_log_and_the_terminal_lines_to_the_terminal(tmp_path):
    """Keras prints its epochs to stdout: the job's log, not Snakemake's screen; progress lines
    (the logger TERMINAL) go to the screen only."""
    code = f"""
import logging, sys
sys.path.insert(0, {str(SCRIPTS)!r})
from wganlib.common.jobs import Job, TERMINAL
smk = type("Snakemake", (), {{"input": {{}}, "output": {{}}, "params": {{}}, "wildcards": {{}}, "threads": 1,
                             "log": [{str(tmp_path / "job.log")!r}]}})
Job.start({{"snakemake": smk}}, "doc")
print("Epoch 1/8")
logging.getLogger(TERMINAL).info("mnist-5k/wgan-conv-s0: 100/1,000 iterations")
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    log = (tmp_path / "job.log").read_text()
    assert result.returncode == 0, result.stderr + log
    assert "Epoch 1/8" in log and "Epoch" not in result.stdout + result.stderr
    assert result.stderr.strip() == "mnist-5k/wgan-conv-s0: 100/1,000 iterations" and "100/1,000" not in log


def test_other_jobs_keep_pandas():
    code = f"""
import sys
sys.path.insert(0, {str(SCRIPTS)!r})
from wganlib.common.jobs import Job
Job.start({{}}, "doc", by_hand=lambda d: Job({{}}, {{}}, {{}}))
import pandas
print(pandas.__name__)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == "pandas", result.stderr

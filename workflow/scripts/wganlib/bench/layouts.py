"""Thread layouts: N single-thread training processes at once against one N-thread process.

Each process is a fresh interpreter (`python -c`), so that its TensorFlow thread count holds.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from wganlib.plan.config import Experiment
from wganlib.train.gan import GAN, BatchOrder

from .settings import BenchSettings
from .timing import spread

log = logging.getLogger(__name__)

WORKER = (
    "import sys; from wganlib.bench.layouts import layout_worker; layout_worker(*__import__('json').loads(sys.argv[1]))"
)
SCRIPTS = Path(__file__).resolve().parents[2]  # where wganlib lives: the workers import it from there


def layout_worker(exp_json: str, threads: int, n_images: int, seconds: float) -> None:
    """One training process of a layout: warm up, print "ready", wait for "go" on stdin, train for
    `seconds`, print the rate."""
    from wganlib.train.runtime import configure_tensorflow

    configure_tensorflow(threads, gpu=False)
    exp = Experiment.from_json(exp_json)
    images = np.random.default_rng(0).integers(0, 256, (n_images, 28, 28), dtype=np.uint8)
    gan = GAN(exp, images)
    indices = BatchOrder(n_images, exp.batch_size, seed=0).next(exp.n_critic)
    for _ in range(3):
        float(gan.train_iteration(indices)["generator_loss"])
    print("ready", flush=True)
    sys.stdin.readline()
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        float(gan.train_iteration(indices)["generator_loss"])
        done += 1
    print(json.dumps({"generator_iterations_per_s": done / (time.perf_counter() - start)}), flush=True)


def run_layout(exp: Experiment, thread_counts: list[int], settings: BenchSettings) -> list[float]:
    """Start one process per entry of `thread_counts`, let them all warm up, time them together."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(SCRIPTS), os.environ.get("PYTHONPATH")]))}
    processes, logs = [], []
    try:
        for threads in thread_counts:
            logs.append(tempfile.TemporaryFile("w+"))  # TensorFlow's start-up lines: shown only on failure
            processes.append(subprocess.Popen(
                [sys.executable, "-c", WORKER, json.dumps([exp.to_json(), threads, settings.n_images, settings.layout_seconds])],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=logs[-1], text=True, env=env,
            ))  # fmt: skip
        for process, stderr in zip(processes, logs, strict=True):
            if process.stdout.readline().strip() != "ready":
                process.wait()
                stderr.seek(0)
                raise RuntimeError(
                    f"a benchmark worker failed (exit code {process.returncode}):\n{stderr.read()[-2000:]}"
                )
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        return [json.loads(process.stdout.readline())["generator_iterations_per_s"] for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait()
        for stderr in logs:
            stderr.close()


def thread_layouts(settings: BenchSettings, cores: int) -> dict | None:
    """Aggregate generator iterations/s of one `cores`-thread process and of `cores` single-thread
    processes side by side, alternating, for the layout models; None on a single core."""
    if cores < 2 or settings.use_gpu:
        return None
    rows = []
    for exp in settings.experiments(settings.layout_models, [settings.layout_architecture], settings.layout_width):
        one, many = [], []
        for _ in range(settings.layout_repetitions):
            one.append(sum(run_layout(exp, [cores], settings)))
            many.append(sum(run_layout(exp, [1] * cores, settings)))
        rows.append({
            "experiment": exp.name, "model": exp.model, "architecture": exp.architecture, "width": settings.layout_width,
            "one_process_all_threads": spread(one),
            "single_thread_processes": spread(many),
            "single_over_one": spread([b / a for a, b in zip(one, many, strict=True)]),
        })  # fmt: skip
        log.info(
            "%s: %d x 1 thread / 1 x %d threads = %.2f", exp.name, cores, cores, rows[-1]["single_over_one"]["median"]
        )
    return {
        "cores": cores,
        "seconds": settings.layout_seconds,
        "repetitions": settings.layout_repetitions,
        "results": rows,
    }

"""The training benchmark: how fast `GAN.train_iteration` runs in each precision (float32,
mixed_bfloat16), how close it gets to the machine's dense-matmul peak, and how it compares with
the same work driven by Keras' `fit()`.

The table is measured in one process, configuration after configuration, with our loop in each
precision and `fit()` timed in interleaved repetitions (`timing`), so that their ratios hold on a
shared, noisy machine; FLOPs per step come from the graph (`flops`). Then, in the same process,
TensorFlow's profiler says where a float32 step's time goes (`profiling`); last, training
subprocesses compare one process on all cores with one single-thread process per core (`layouts`).
`settings` holds every default; `report` writes the Markdown.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict

import numpy as np

from wganlib.plan.config import Experiment

from .flops import FLOP_METHOD
from .layouts import thread_layouts
from .profiling import where_time_goes
from .report import markdown
from .settings import QUICK, BenchSettings
from .timing import auto_precision, machine_info, matmul_peak, measure

__all__ = ["QUICK", "BenchSettings", "markdown", "run"]

log = logging.getLogger(__name__)


def run(settings: BenchSettings, threads: int, cores: int | None = None, configure: bool = True) -> dict:
    """The whole benchmark: the matmul peaks and every (image, width, architecture, model, precision)
    at `threads` (a training job's threads), then the thread layouts over `cores` (the benchmark job's)."""
    from wganlib.train.runtime import configure_tensorflow

    started = time.perf_counter()
    cores = cores or threads
    device = configure_tensorflow(threads, settings.use_gpu) if configure else "CPU"
    machine = machine_info(threads, device)
    log.info("benchmark on %s (%s threads, %s)", machine["cpu_model"], threads, device)
    auto = auto_precision(device)
    log.info("precision auto on this machine: %s (%s)", auto["policy"], auto["reason"])
    policies = list(dict.fromkeys(auto["policy"] if p == "auto" else p for p in settings.precisions))
    peak = matmul_peak(settings.matmul_size, settings.matmul_repetitions)
    log.info("matmul %d^3 float32: %.1f GFLOP/s (median)", settings.matmul_size, peak["gflops"]["median"])
    peak_bf16 = None
    if "mixed_bfloat16" in policies:
        peak_bf16 = matmul_peak(settings.matmul_size, settings.matmul_repetitions, "bfloat16")
        log.info("matmul %d^3 bfloat16: %.1f GFLOP/s (median)", settings.matmul_size, peak_bf16["gflops"]["median"])
    peaks = {"float32": peak["gflops"]["median"], **({"bfloat16": peak_bf16["gflops"]["median"]} if peak_bf16 else {})}
    results, ratios = [], []
    for exp, with_fit in settings.plan():
        rows, exp_ratios = measure(exp, synthetic_images(exp, settings.n_images), settings, peaks, policies, with_fit)
        for row in rows:
            log.info(
                "%s %s width %d %s: %.2f it/s, %.1f GFLOP/s%s",
                exp.name,
                row["image"],
                row["width"],
                row["precision"],
                row["generator_iterations_per_s"]["median"],
                row["gflops_per_s"]["median"],
                f", ours/fit() {row['fit']['ours_over_fit']['median']:.2f}" if row["fit"] else "",
            )
        for ratio in exp_ratios:
            log.info("%s %s width %d: %s / float32 critic steps/s %.2f", exp.name, ratio["image"], ratio["width"],
                     ratio["precision"], ratio["critic_steps_per_s_ratio"]["median"])  # fmt: skip
        results += rows
        ratios += exp_ratios
    images = np.random.default_rng(0).integers(0, 256, (settings.n_images, 28, 28), dtype=np.uint8)
    profile = where_time_goes(settings, images, peak["gflops"]["median"])
    peak_after = matmul_peak(settings.matmul_size, settings.matmul_repetitions)  # drift check
    return {
        "machine": {**machine, "cores": cores},
        "settings": asdict(settings),
        "flops_method": FLOP_METHOD,
        "data": f"{settings.n_images} synthetic uint8 images of each shape (speed does not depend on content)",
        "auto_precision": auto,
        "precisions": policies,
        "matmul_peak": peak,
        "matmul_peak_bfloat16": peak_bf16,
        "matmul_peak_after": peak_after,
        "results": results,
        "precision_ratios": ratios,
        "where_time_goes": profile,
        "thread_layouts": thread_layouts(settings, cores),
        "wall_time_s": time.perf_counter() - started,
    }


def synthetic_images(exp: Experiment, n: int) -> np.ndarray:
    """``n`` random uint8 images of the experiment's shape, as its dataset stores them."""
    shape = (exp.image_size, exp.image_size) + ((exp.channels,) if exp.channels > 1 else ())
    return np.random.default_rng(0).integers(0, 256, (n, *shape), dtype=np.uint8)

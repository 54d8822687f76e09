"""How fast: the machine's dense-matmul peak, and one configuration's steady-state speed with our
loop and with `fit()`, timed in alternating repetitions so that their ratio holds on a shared,
noisy machine."""

from __future__ import annotations

import gc
import math
import os
import platform
import statistics
import time

import keras
import numpy as np
import tensorflow as tf

from wganlib.config import Experiment
from wganlib.training import GAN, BatchOrder, software_versions

from .fit_baseline import EpochTimer, keras_example_model
from .flops import step_flops
from .settings import BenchSettings


def spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "values": values}


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as stream:
            return next((line.split(":", 1)[1].strip() for line in stream if line.startswith("model name")), "")
    except OSError:
        return ""


def machine_info(threads: int, device: str) -> dict:
    return {
        "cpu_model": _cpu_model() or platform.processor() or "unknown",
        "nproc": os.cpu_count(),
        "threads": threads,
        "device": device,
        "gpu_used": device == "GPU",
        **software_versions(),
    }


def matmul_peak(size: int, repetitions: int) -> dict:
    """Dense float32 matmul GFLOP/s: the roofline every configuration is compared with."""
    rng = np.random.default_rng(0)
    a = tf.constant(rng.standard_normal((size, size), dtype=np.float32))
    b = tf.constant(rng.standard_normal((size, size), dtype=np.float32))
    matmul = tf.function(lambda a, b: tf.linalg.matmul(a, b)[0, 0])
    float(matmul(a, b))  # trace and warm up
    rates = []
    for _ in range(repetitions):
        start = time.perf_counter()
        float(matmul(a, b))
        rates.append(2.0 * size**3 / (time.perf_counter() - start) / 1e9)
    return {"size": size, "repetitions": repetitions, "gflops": spread(rates)}


def _iterations(critic_steps: int, n_critic: int) -> int:
    return max(1, math.ceil(critic_steps / n_critic))


def measure(exp: Experiment, images: np.ndarray, settings: BenchSettings, peak_gflops: float, with_fit: bool) -> dict:
    """Steady-state speed of `GAN.train_iteration` (and of `fit()` when `with_fit`), alternating."""
    gan = GAN(exp, images)
    indices = BatchOrder(len(images), exp.batch_size, seed=0).next(exp.n_critic)
    flops = step_flops(gan)
    warmup, timed = (_iterations(s, exp.n_critic) for s in (settings.warmup_critic_steps, settings.timed_critic_steps))

    def run_ours(n: int) -> float:
        start = time.perf_counter()
        for _ in range(n):
            float(gan.train_iteration(indices)["generator_loss"])  # sync once per call
        return time.perf_counter() - start

    first_call_s = run_ours(1)  # the trace and graph optimisation
    run_ours(warmup)

    fit_model = timer = dataset = None
    if with_fit:
        fit_model, timer = keras_example_model(exp), EpochTimer()
        real = images.astype(np.float32)[..., None] / 127.5 - 1.0
        dataset = tf.data.Dataset.from_tensor_slices(real).repeat().batch(exp.batch_size, drop_remainder=True)
        dataset = dataset.prefetch(tf.data.AUTOTUNE)

        def run_fit(n: int) -> float:
            fit_model.fit(dataset, epochs=1, steps_per_epoch=n, shuffle=False, verbose=0, callbacks=[timer])
            return timer.seconds

        fit_first_call_s = run_fit(1)
        run_fit(warmup)

    ours, fitted = [], []
    for _ in range(settings.repetitions):
        ours.append(timed / run_ours(timed))
        if with_fit:
            fitted.append(timed / run_fit(timed))

    iteration_flops = exp.n_critic * flops["critic_step"] + flops["generator_step"]
    gflops = [rate * iteration_flops / 1e9 for rate in ours]
    result = {
        "experiment": exp.name,
        "model": exp.model,
        "architecture": exp.architecture,
        "width": exp.critic["width"],
        "generator_width": exp.generator["width"],
        "n_critic": exp.n_critic,
        "batch_size": exp.batch_size,
        "timed_generator_iterations": timed,
        "first_call_s": first_call_s,
        "generator_iterations_per_s": spread(ours),
        "critic_steps_per_s": spread([exp.n_critic * r for r in ours]),
        "images_per_s": spread([exp.n_critic * exp.batch_size * r for r in ours]),
        "flops_method": flops["method"],
        "flops_per_critic_step": flops["critic_step"],
        "flops_per_generator_step": flops["generator_step"],
        "flops_per_generator_iteration": iteration_flops,
        "flops_analytic": flops["analytic"],
        "flops_counted": flops["counted"],
        "gflops_per_s": spread(gflops),
        "fraction_of_matmul_peak": statistics.median(gflops) / peak_gflops,
        "fit": None,
    }
    if with_fit:
        ratios = [a / b for a, b in zip(ours, fitted)]
        result["fit"] = {
            "jit_compile": bool(fit_model.jit_compile),
            "first_call_s": fit_first_call_s,
            "generator_iterations_per_s": spread(fitted),
            "ours_over_fit": spread(ratios),
        }
    del gan, fit_model, dataset
    keras.backend.clear_session()
    gc.collect()
    return result

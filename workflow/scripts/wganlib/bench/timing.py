"""How fast: the machine's dense-matmul peaks, and one configuration's steady-state speed in each
precision with our loop, and in float32 with `fit()`, timed in interleaved repetitions so that
their ratios hold on a shared, noisy machine."""

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

from wganlib.plan.config import Experiment
from wganlib.train.gan import GAN, BatchOrder
from wganlib.train.models import image_shape_of
from wganlib.train.runtime import BF16_CPU_FLAGS, choose_precision, cpu_flags, gpu_capability
from wganlib.train.training import software_versions

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


def auto_precision(device: str) -> dict:
    """What `training.precision: auto` picks on this machine, why, and the facts that decide it."""
    flags, capability = cpu_flags(), gpu_capability(device)
    policy, reason = choose_precision("auto", device, flags, capability)
    return {
        "policy": policy,
        "reason": reason,
        "device": device,
        "cpu_bf16_flags": {flag: flag in flags for flag in BF16_CPU_FLAGS},
        "gpu_compute_capability": list(capability) if capability else None,
    }


def matmul_peak(size: int, repetitions: int, dtype: str = "float32") -> dict:
    """Dense matmul GFLOP/s in `dtype` (float32 or bfloat16): the roofline every configuration is
    compared with."""
    rng = np.random.default_rng(0)
    a = tf.cast(rng.standard_normal((size, size), dtype=np.float32), dtype)
    b = tf.cast(rng.standard_normal((size, size), dtype=np.float32), dtype)
    matmul = tf.function(lambda a, b: tf.cast(tf.linalg.matmul(a, b)[0, 0], tf.float32))
    float(matmul(a, b))  # trace and warm up
    rates = []
    for _ in range(repetitions):
        start = time.perf_counter()
        float(matmul(a, b))
        rates.append(2.0 * size**3 / (time.perf_counter() - start) / 1e9)
    return {"dtype": dtype, "size": size, "repetitions": repetitions, "gflops": spread(rates)}


def image_name(exp: Experiment) -> str:
    """The images a configuration's networks take, e.g. 64x64x3."""
    return "x".join(map(str, image_shape_of(exp)))


def _iterations(critic_steps: int, n_critic: int) -> int:
    return max(1, math.ceil(critic_steps / n_critic))


def measure(
    exp: Experiment,
    images: np.ndarray,
    settings: BenchSettings,
    peaks: dict[str, float],
    policies: list[str],
    with_fit: bool,
) -> tuple[list[dict], list[dict]]:
    """Steady-state speed of `GAN.train_iteration` in each precision of `policies` (and of `fit()`
    in float32 when `with_fit`): one GAN built per precision, all timed in interleaved repetitions
    so that machine drift hits each alike. Returns a row per precision, and per precision other
    than float32 its critic steps/s over float32's, repetition by repetition. `peaks` holds the
    matmul GFLOP/s by dtype (float32; bfloat16 where measured)."""
    gans = {policy: GAN(exp, images, policy) for policy in policies}
    indices = BatchOrder(len(images), exp.batch_size, seed=0).next(exp.n_critic)
    flops = {policy: step_flops(gan) for policy, gan in gans.items()}
    warmup, timed = (_iterations(s, exp.n_critic) for s in (settings.warmup_critic_steps, settings.timed_critic_steps))

    def run_ours(gan: GAN, n: int) -> float:
        start = time.perf_counter()
        for _ in range(n):
            float(gan.train_iteration(indices)["generator_loss"])  # sync once per call
        return time.perf_counter() - start

    first_call_s = {policy: run_ours(gan, 1) for policy, gan in gans.items()}  # the trace and graph optimisation
    for gan in gans.values():
        run_ours(gan, warmup)

    with_fit = with_fit and "float32" in gans  # the baseline is the float32 loop's
    fit_model = timer = dataset = None
    if with_fit:
        fit_model, timer = keras_example_model(exp), EpochTimer()
        real = images.astype(np.float32).reshape(len(images), *image_shape_of(exp)) / 127.5 - 1.0
        dataset = tf.data.Dataset.from_tensor_slices(real).repeat().batch(exp.batch_size, drop_remainder=True)
        dataset = dataset.prefetch(tf.data.AUTOTUNE)

        def run_fit(n: int, model=fit_model, data=dataset) -> float:
            model.fit(data, epochs=1, steps_per_epoch=n, shuffle=False, verbose=0, callbacks=[timer])
            return timer.seconds

        fit_first_call_s = run_fit(1)
        run_fit(warmup)

    ours, fitted = {policy: [] for policy in gans}, []
    for _ in range(settings.repetitions):
        for policy, gan in gans.items():
            ours[policy].append(timed / run_ours(gan, timed))
        if with_fit:
            fitted.append(timed / run_fit(timed))

    rows = []
    for policy in gans:
        iteration_flops = exp.n_critic * flops[policy]["critic_step"] + flops[policy]["generator_step"]
        gflops = [rate * iteration_flops / 1e9 for rate in ours[policy]]
        bf16_peak = peaks.get("bfloat16") if policy == "mixed_bfloat16" else None
        rows.append({
            "experiment": exp.name,
            "dataset": exp.dataset,
            "image": image_name(exp),
            "model": exp.model,
            "architecture": exp.architecture,
            "width": exp.critic["width"],
            "generator_width": exp.generator["width"],
            "precision": policy,
            "n_critic": exp.n_critic,
            "batch_size": exp.batch_size,
            "timed_generator_iterations": timed,
            "first_call_s": first_call_s[policy],
            "generator_iterations_per_s": spread(ours[policy]),
            "critic_steps_per_s": spread([exp.n_critic * r for r in ours[policy]]),
            "images_per_s": spread([exp.n_critic * exp.batch_size * r for r in ours[policy]]),
            "flops_method": flops[policy]["method"],
            "flops_per_critic_step": flops[policy]["critic_step"],
            "flops_per_generator_step": flops[policy]["generator_step"],
            "flops_per_generator_iteration": iteration_flops,
            "flops_analytic": flops[policy]["analytic"],
            "flops_counted": flops[policy]["counted"],
            "gflops_per_s": spread(gflops),
            # of the float32 peak in every precision: above 1 means faster than float32 can go
            "fraction_of_matmul_peak": statistics.median(gflops) / peaks["float32"],
            "fraction_of_bfloat16_matmul_peak": statistics.median(gflops) / bf16_peak if bf16_peak else None,
            "fit": None,
        })  # fmt: skip
        if with_fit and policy == "float32":
            rows[-1]["fit"] = {
                "jit_compile": bool(fit_model.jit_compile),
                "first_call_s": fit_first_call_s,
                "generator_iterations_per_s": spread(fitted),
                "ours_over_fit": spread([a / b for a, b in zip(ours[policy], fitted, strict=True)]),
            }
    ratios = [
        {
            "experiment": exp.name,
            "dataset": exp.dataset,
            "image": image_name(exp),
            "model": exp.model,
            "architecture": exp.architecture,
            "width": exp.critic["width"],
            "precision": policy,
            "over": "float32",
            # the same n_critic on both sides: the ratio of generator iterations/s too
            "critic_steps_per_s_ratio": spread([a / b for a, b in zip(ours[policy], ours["float32"], strict=True)]),
        }
        for policy in gans
        if policy != "float32" and "float32" in gans
    ]
    del gans, fit_model, dataset
    keras.backend.clear_session()
    gc.collect()
    return rows, ratios

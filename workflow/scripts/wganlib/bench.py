"""The training benchmark: how fast `GAN.train_iteration` runs, how close it gets to the machine's
dense-matmul peak, and how it compares with the same work driven by Keras' `fit()`.

The table is measured in one process, configuration after configuration, with our loop and
`fit()` timed in alternating repetitions, so that their ratio holds on a shared, noisy machine.
Then, in the same process, TensorFlow's profiler says where a step's time goes; last, training
subprocesses compare one process on all cores with one single-thread process per core.

FLOPs are counted by TensorFlow's FLOP registry (the one `tf.compat.v1.profiler` uses) on the graph
of one critic step and of one generator step, keeping only the ops the step really runs (those its
outputs and variable updates depend on: the unused gradients that the tape also builds, e.g. the
generator's backward pass inside a critic step, are dropped as grappler drops them). An analytic
count from the layers (conv and dense multiply-adds, backward = 2 x forward) is kept beside it.
"""

from __future__ import annotations

import gc
import glob
import json
import logging
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace

import keras
import numpy as np
import tensorflow as tf

from wganlib import losses
from wganlib.config import Experiment, experiments, validate
from wganlib.models import build_critic, build_generator
from wganlib.training import GAN, BatchOrder, make_optimizer

log = logging.getLogger(__name__)

FLOP_METHOD = (
    "counted: TensorFlow's FLOP registry (tf.compat.v1.profiler's float_operation) on the graph of "
    "one critic step and one generator step, pruned to the ops the step runs; "
    "analytic (layers: conv 2*H*W*K*K*Cin*Cout, dense 2*in*out, backward 2x forward) kept beside it"
)


@dataclass
class BenchSettings:
    """What to measure and for how long (the rule's `params.settings`)."""

    models: list[str] = field(default_factory=lambda: ["dcgan", "wgan", "wgan-gp"])
    architectures: list[str] = field(default_factory=lambda: ["conv", "conv-nobn", "mlp", "conv-bn-first"])
    widths: list[int] = field(default_factory=lambda: [64, 32])  # conv filters; the MLP generator keeps 512
    # fit() is timed for these (model, architecture, width) combinations only: its trace is slow.
    fit_models: list[str] = field(default_factory=lambda: ["dcgan", "wgan", "wgan-gp"])
    fit_architectures: list[str] = field(default_factory=lambda: ["conv"])
    fit_widths: list[int] = field(default_factory=lambda: [32])
    batch_size: int = 64
    z_dim: int = 64
    repetitions: int = 5
    warmup_critic_steps: int = 5  # after the first call; rounded up to whole generator iterations
    timed_critic_steps: int = 10  # per repetition; rounded up to whole generator iterations
    matmul_size: int = 2048
    matmul_repetitions: int = 5
    n_images: int = 2048  # synthetic uint8 28x28 images: speed does not depend on content
    use_gpu: bool = False
    # Thread layouts: with all the job's cores, one training process using them all against one
    # single-thread process per core, running at once; aggregate generator iterations/s of each.
    layout_models: list[str] = field(default_factory=lambda: ["dcgan", "wgan", "wgan-gp"])
    layout_architecture: str = "conv"
    layout_width: int = 32
    layout_seconds: float = 10.0  # the timed window, after warm-up, all processes at once
    layout_repetitions: int = 3
    # Where the time goes: TensorFlow's profiler on these models (profile architecture and width),
    # and the critic's conv kernels timed alone.
    profile_models: list[str] = field(default_factory=lambda: ["dcgan", "wgan", "wgan-gp"])
    profile_architecture: str = "conv"
    profile_width: int = 32
    profile_iterations: int = 5

    @classmethod
    def from_params(cls, settings: dict, quick: bool = False) -> "BenchSettings":
        unknown = set(settings) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown benchmark settings: {', '.join(sorted(unknown))}")
        return cls(**{**settings, **(QUICK if quick else {})})


# A smoke run of every code path in well under a minute: tiny networks, few steps, fit() for one model.
QUICK = {
    "models": ["dcgan", "wgan-gp"],
    "architectures": ["conv"],
    "widths": [8],
    "fit_models": ["dcgan"],
    "fit_architectures": ["conv"],
    "fit_widths": [8],
    "repetitions": 2,
    "warmup_critic_steps": 1,
    "timed_critic_steps": 2,
    "matmul_size": 256,
    "matmul_repetitions": 2,
    "n_images": 256,
    "layout_models": ["dcgan"],
    "layout_width": 8,
    "layout_seconds": 1.0,
    "layout_repetitions": 1,
    "profile_models": ["dcgan"],
    "profile_width": 8,
    "profile_iterations": 1,
}


# ------------------------------------------------------------------------------------------------
# What is measured


def bench_experiments(settings: BenchSettings, architectures: list[str], width: int) -> list[Experiment]:
    """The schema's models and presets at `width` (conv networks), batch size and z_dim of the run."""
    presets = validate({})["architecture_definitions"]
    definitions = {}
    for name in architectures:
        definitions[name] = {
            role: {**spec, "width": width} if spec["type"] == "conv" else dict(spec)
            for role, spec in presets[name].items()
        }
    config = validate(
        {
            "models": settings.models,
            "architectures": architectures,
            "training": {"batch_size": settings.batch_size, "z_dim": settings.z_dim},
            "architecture_definitions": definitions,
        }
    )
    return list(experiments(config).values())


def spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "values": values}


def machine_info(threads: int, device: str) -> dict:
    cpu = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as stream:
            cpu = next((line.split(":", 1)[1].strip() for line in stream if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {
        "cpu_model": cpu or platform.processor() or "unknown",
        "nproc": os.cpu_count(),
        "threads": threads,
        "device": device,
        "gpu_used": device == "GPU",
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "platform": platform.platform(),
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


# ------------------------------------------------------------------------------------------------
# FLOPs


def _pruned_ops(graph: tf.Graph) -> list[tf.Operation]:
    """The ops the step's outputs and side effects (variable updates) depend on."""
    stack = [t.op for t in graph.outputs] + list(graph.control_outputs)
    seen: dict[str, tf.Operation] = {}
    while stack:
        op = stack.pop()
        if op.name not in seen:
            seen[op.name] = op
            stack.extend(t.op for t in op.inputs)
            stack.extend(op.control_inputs)
    return list(seen.values())


def counted_flops(function, *input_signature) -> dict:
    """FLOPs of one call of `function`, from TensorFlow's FLOP registry (what the v1 profiler sums)."""
    from tensorflow.python.framework import ops as tf_ops  # the registry has no public TF2 API

    graph = tf.function(function).get_concrete_function(*input_signature).graph
    total, unknown_shape, by_type = 0, 0, {}
    for op in _pruned_ops(graph):
        try:
            stats = tf_ops.get_stats_for_node_def(graph, op.node_def, "flops")
        except ValueError:  # a shape TensorFlow cannot infer statically: skipped, as the profiler does
            unknown_shape += 1
            continue
        if stats.value:
            total += int(stats.value)
            by_type[op.type] = by_type.get(op.type, 0) + int(stats.value)
    return {"flops": total, "ops_with_unknown_shape": unknown_shape, "by_op_type": by_type}


def forward_flops(model) -> int:
    """Multiply-adds x 2 of the conv and dense layers of one forward pass, per image."""
    from keras import layers

    total = 0
    for layer in model.layers:
        if isinstance(layer, layers.Conv2DTranspose):  # every input pixel meets the whole kernel
            _, h, w, c_in = layer.input.shape
            k_h, k_w, c_out, _ = layer.kernel.shape
            total += 2 * h * w * k_h * k_w * c_in * c_out
        elif isinstance(layer, layers.Conv2D):
            _, h, w, c_out = layer.output.shape
            k_h, k_w, c_in, _ = layer.kernel.shape
            total += 2 * h * w * k_h * k_w * c_in * c_out
        elif isinstance(layer, layers.Dense):
            total += 2 * math.prod(layer.kernel.shape)
    return int(total)


def analytic_flops(exp: Experiment, generator, critic) -> dict:
    """Per step, from the layers: backward = 2 x forward (input and weight gradients), 1 x when only
    input gradients are needed. Critic step: G forward, D forward + backward on real and fake;
    WGAN-GP adds D forward on x_hat, its input gradient, and the backward of both (the double
    backward). Generator step: G and D forward, D input gradient, G backward."""
    g, d, batch = forward_flops(generator), forward_flops(critic), exp.batch_size
    critic_step = g + 2 * (d + 2 * d)
    if exp.model == "wgan-gp":
        critic_step += d + d + 2 * (d + d)
    return {"critic_step": batch * critic_step, "generator_step": batch * (g + d + d + 2 * g)}


def step_flops(gan: GAN) -> dict:
    exp = gan.exp
    analytic = analytic_flops(exp, gan.generator, gan.critic)
    try:
        critic = counted_flops(gan._critic_step, tf.TensorSpec([exp.batch_size, 28, 28, 1], tf.float32))
        generator = counted_flops(gan._generator_step)
    except Exception as err:  # noqa: BLE001 (a private TF API: fall back to the analytic count)
        log.warning("counting FLOPs from the graph failed (%s): using the analytic count", err)
        return {"method": "analytic", "critic_step": analytic["critic_step"],
                "generator_step": analytic["generator_step"], "analytic": analytic, "counted": None}
    return {
        "method": "counted",
        "critic_step": critic["flops"],
        "generator_step": generator["flops"],
        "analytic": analytic,
        "counted": {"critic_step": critic, "generator_step": generator},
    }


# ------------------------------------------------------------------------------------------------
# The same work the way the Keras WGAN-GP example writes it


def keras_example_model(exp: Experiment):
    """A keras.Model whose train_step is the Keras `wgan_gp` example's: `n_critic` critic updates on
    the batch, then one generator update; same networks, losses and optimizers as `GAN`."""

    class KerasExampleGAN(keras.Model):
        def __init__(self):
            super().__init__()
            self.generator = build_generator(exp.generator, exp.z_dim)
            self.critic = build_critic(exp.critic)
            self.seed_generator = keras.random.SeedGenerator(exp.seed)
            self.built = True  # both networks are built functional models

        def compile(self, critic_optimizer, generator_optimizer):
            super().compile()
            self.critic_optimizer, self.generator_optimizer = critic_optimizer, generator_optimizer

        def train_step(self, real):
            batch = tf.shape(real)[0]
            for _ in range(exp.n_critic):
                z = keras.random.normal((batch, exp.z_dim), seed=self.seed_generator)
                with tf.GradientTape() as tape:
                    fake = self.generator(z, training=True)
                    d_real, d_fake = self.critic(real, training=True), self.critic(fake, training=True)
                    if exp.model == "dcgan":
                        critic_loss = losses.gan_discriminator_loss(d_real, d_fake)
                    else:
                        critic_loss = losses.wasserstein_critic_loss(d_real, d_fake)
                    if exp.model == "wgan-gp":
                        alpha = keras.random.uniform((batch, 1, 1, 1), seed=self.seed_generator)
                        critic_loss += exp.gradient_penalty * losses.gradient_penalty(self.critic, real, fake, alpha)
                grads = tape.gradient(critic_loss, self.critic.trainable_variables)
                self.critic_optimizer.apply(grads, self.critic.trainable_variables)
                if exp.model == "wgan":
                    losses.clip_weights(self.critic, exp.clip_value)
            z = keras.random.normal((batch, exp.z_dim), seed=self.seed_generator)
            with tf.GradientTape() as tape:
                d_fake = self.critic(self.generator(z, training=True), training=True)
                if exp.model == "dcgan":
                    generator_loss = losses.gan_generator_loss(d_fake)
                else:
                    generator_loss = losses.wasserstein_generator_loss(d_fake)
            grads = tape.gradient(generator_loss, self.generator.trainable_variables)
            self.generator_optimizer.apply(grads, self.generator.trainable_variables)
            return {"critic_loss": critic_loss, "generator_loss": generator_loss}

    model = KerasExampleGAN()
    model.compile(make_optimizer(exp), make_optimizer(exp))
    return model


class EpochTimer(keras.callbacks.Callback):
    """The wall time of each epoch, synced on its last logs."""

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        [float(v) for v in (logs or {}).values()]  # wait for the last step
        self.seconds = time.perf_counter() - self.start


# ------------------------------------------------------------------------------------------------
# One configuration


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


# ------------------------------------------------------------------------------------------------
# Where the time goes


# Events of the executor's threads that wrap ops rather than being one.
NOT_OPS = {"Process", "Record", "StartRegion", "StopRegion"}


def op_profile(gan: GAN, indices: np.ndarray, iterations: int, logdir: str) -> dict:
    """TensorFlow's profiler over `iterations` calls of the step: op time summed by op type, from
    the trace's op events (XPlane, the format TensorBoard's profile plugin reads)."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2  # no public API reads the trace

    float(gan.train_iteration(indices)["generator_loss"])
    tf.profiler.experimental.start(logdir)
    start = time.perf_counter()
    for _ in range(iterations):
        float(gan.train_iteration(indices)["generator_loss"])
    wall = time.perf_counter() - start
    tf.profiler.experimental.stop()
    space = xplane_pb2.XSpace()
    with open(next(glob.iglob(f"{logdir}/**/*.xplane.pb", recursive=True)), "rb") as stream:
        space.ParseFromString(stream.read())
    by_type: dict[str, float] = {}
    for plane in space.planes:
        for line in plane.lines:
            if not line.name.startswith("tf_"):  # the executor's threads: one event per op run
                continue
            for event in line.events:
                name = plane.event_metadata[event.metadata_id].name
                op_type = name.rsplit(":", 1)[1] if ":" in name else None  # "layer/op:OpType"
                if op_type and op_type not in NOT_OPS:
                    op_type = op_type.removeprefix("_MklNative").removeprefix("_Mkl").removeprefix("_")  # oneDNN's
                    by_type[op_type] = by_type.get(op_type, 0.0) + event.duration_ps / 1e12
    total = sum(by_type.values())
    return {
        "iterations": iterations,
        "wall_s_per_iteration_traced": wall / iterations,
        "op_s_per_iteration": total / iterations,
        "share_by_op_type": {k: v / total for k, v in sorted(by_type.items(), key=lambda kv: -kv[1])},
    }


def conv_kernels(critic, batch: int, peak_gflops: float, repetitions: int = 20) -> list[dict]:
    """Each conv layer of the critic as three kernels timed alone (forward, input gradient, filter
    gradient), at the step's batch size: how close TensorFlow's CPU kernels come to the peak."""
    from keras import layers

    rows = []
    for layer in critic.layers:
        if not isinstance(layer, layers.Conv2D):
            continue
        _, h, w, c_in = layer.input.shape
        _, h_out, w_out, c_out = layer.output.shape
        k_h, k_w, _, _ = layer.kernel.shape
        strides, padding = [1, *layer.strides, 1], layer.padding.upper()
        x = tf.random.stateless_normal([batch, h, w, c_in], seed=[0, 0])
        kernel = tf.random.stateless_normal([k_h, k_w, c_in, c_out], seed=[0, 1])
        dy = tf.random.stateless_normal([batch, h_out, w_out, c_out], seed=[0, 2])
        kernels = {
            "forward": lambda: tf.nn.conv2d(x, kernel, strides, padding),
            "input_gradient": lambda: tf.raw_ops.Conv2DBackpropInput(
                input_sizes=x.shape, filter=kernel, out_backprop=dy, strides=strides, padding=padding),
            "filter_gradient": lambda: tf.raw_ops.Conv2DBackpropFilter(
                input=x, filter_sizes=kernel.shape, out_backprop=dy, strides=strides, padding=padding),
        }  # fmt: skip
        flops = 2 * batch * h_out * w_out * k_h * k_w * c_in * c_out
        row = {"layer": f"{h}x{w}x{c_in} -> {h_out}x{w_out}x{c_out}, {k_h}x{k_w} stride {layer.strides[0]}", "mflop": flops / 1e6}
        for name, kernel_fn in kernels.items():
            run = tf.function(lambda f=kernel_fn: tf.reduce_sum(f()))
            float(run())
            start = time.perf_counter()
            for _ in range(repetitions):
                float(run())
            seconds = (time.perf_counter() - start) / repetitions
            row[name] = {"ms": 1e3 * seconds, "gflops": flops / seconds / 1e9, "fraction_of_matmul_peak": flops / seconds / 1e9 / peak_gflops}
        rows.append(row)
    return rows


def where_time_goes(settings: BenchSettings, images: np.ndarray, peak_gflops: float) -> dict:
    base = replace(settings, models=settings.profile_models)
    profiles, kernels = [], None
    for exp in bench_experiments(base, [settings.profile_architecture], settings.profile_width):
        gan = GAN(exp, images)
        indices = BatchOrder(len(images), exp.batch_size, seed=0).next(exp.n_critic)
        with tempfile.TemporaryDirectory() as logdir:
            profiles.append({"experiment": exp.name, "model": exp.model, **op_profile(gan, indices, settings.profile_iterations, logdir)})
        if kernels is None:
            kernels = conv_kernels(gan.critic, exp.batch_size, peak_gflops)
        del gan
        keras.backend.clear_session()
    return {"architecture": settings.profile_architecture, "width": settings.profile_width, "profiles": profiles, "critic_conv_kernels": kernels}


# ------------------------------------------------------------------------------------------------
# Thread layouts: N single-thread training processes at once against one N-thread process


def layout_worker(exp_json: str, threads: int, n_images: int, seconds: float) -> None:
    """One training process of a layout (run as `python -c`, in a fresh interpreter so its thread
    count holds): warm up, print "ready", wait for "go" on stdin, train for `seconds`, print the rate."""
    from wganlib.runtime import configure_tensorflow

    configure_tensorflow(threads, use_gpu=False)
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
    code = "import sys; from wganlib.bench import layout_worker; layout_worker(*__import__('json').loads(sys.argv[1]))"
    scripts = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # where wganlib lives
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [scripts, os.environ.get("PYTHONPATH")]))}
    processes, logs = [], []
    try:
        for threads in thread_counts:
            logs.append(tempfile.TemporaryFile("w+"))  # TensorFlow's start-up lines: shown only on failure
            processes.append(subprocess.Popen(
                [sys.executable, "-c", code, json.dumps([exp.to_json(), threads, settings.n_images, settings.layout_seconds])],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=logs[-1], text=True, env=env,
            ))  # fmt: skip
        for process, stderr in zip(processes, logs):
            if process.stdout.readline().strip() != "ready":
                process.wait()
                stderr.seek(0)
                raise RuntimeError(f"a benchmark worker failed (exit code {process.returncode}):\n{stderr.read()[-2000:]}")
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
    base = replace(settings, models=settings.layout_models)
    rows = []
    for exp in bench_experiments(base, [settings.layout_architecture], settings.layout_width):
        one, many = [], []
        for _ in range(settings.layout_repetitions):
            one.append(sum(run_layout(exp, [cores], settings)))
            many.append(sum(run_layout(exp, [1] * cores, settings)))
        rows.append({
            "experiment": exp.name, "model": exp.model, "architecture": exp.architecture, "width": settings.layout_width,
            "one_process_all_threads": spread(one),
            "single_thread_processes": spread(many),
            "single_over_one": spread([b / a for a, b in zip(one, many)]),
        })  # fmt: skip
        log.info("%s: %d x 1 thread / 1 x %d threads = %.2f", exp.name, cores, cores, rows[-1]["single_over_one"]["median"])
    return {"cores": cores, "seconds": settings.layout_seconds, "repetitions": settings.layout_repetitions, "results": rows}


# ------------------------------------------------------------------------------------------------
# The run


def run(settings: BenchSettings, threads: int, cores: int | None = None, configure: bool = True) -> dict:
    """The whole benchmark: the matmul peak and every (width, architecture, model) at `threads`
    (a training job's threads), then the thread layouts over `cores` (the benchmark job's)."""
    from wganlib.runtime import configure_tensorflow

    started = time.perf_counter()
    cores = cores or threads
    device = configure_tensorflow(threads, settings.use_gpu) if configure else "CPU"
    machine = machine_info(threads, device)
    log.info("benchmark on %s (%s threads, %s)", machine["cpu_model"], threads, device)
    images = np.random.default_rng(0).integers(0, 256, (settings.n_images, 28, 28), dtype=np.uint8)
    peak = matmul_peak(settings.matmul_size, settings.matmul_repetitions)
    log.info("matmul %d^3: %.1f GFLOP/s (median)", settings.matmul_size, peak["gflops"]["median"])
    results = []
    for width in settings.widths:
        for exp in bench_experiments(settings, settings.architectures, width):
            with_fit = (
                exp.model in settings.fit_models
                and exp.architecture in settings.fit_architectures
                and width in settings.fit_widths
            )
            row = measure(exp, images, settings, peak["gflops"]["median"], with_fit)
            log.info(
                "%s width %d: %.2f it/s, %.1f GFLOP/s%s",
                exp.name,
                width,
                row["generator_iterations_per_s"]["median"],
                row["gflops_per_s"]["median"],
                f", ours/fit() {row['fit']['ours_over_fit']['median']:.2f}" if row["fit"] else "",
            )
            results.append(row)
    profile = where_time_goes(settings, images, peak["gflops"]["median"])
    peak_after = matmul_peak(settings.matmul_size, settings.matmul_repetitions)  # drift check
    return {
        "machine": {**machine, "cores": cores},
        "settings": asdict(settings),
        "flops_method": FLOP_METHOD,
        "data": f"{settings.n_images} synthetic uint8 28x28 images (speed does not depend on content)",
        "matmul_peak": peak,
        "matmul_peak_after": peak_after,
        "results": results,
        "where_time_goes": profile,
        "thread_layouts": thread_layouts(settings, cores),
        "wall_time_s": time.perf_counter() - started,
    }


# ------------------------------------------------------------------------------------------------
# The table


def _rate(s: dict, digits: int = 1) -> str:
    return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}–{s['max']:.{digits}f})"


TABLE_COLUMNS = (
    "model",
    "architecture",
    "width",
    "n_critic",
    "critic steps/s",
    "generator it/s",
    "images/s",
    "MFLOP / critic step",
    "MFLOP / generator step",
    "GFLOP/s",
    "% of matmul peak",
    "fit() it/s",
    "ours / fit()",
    "first call s: ours / fit()",
)


def markdown(report: dict) -> str:
    m, peak = report["machine"], report["matmul_peak"]
    lines = [
        "# Training benchmark",
        "",
        f"Machine: {m['cpu_model']}, {m['nproc']} CPUs, {m['threads']} TensorFlow threads per training "
        f"process (the table below; the matmul peak too), {m['cores']} cores for the layouts, "
        f"device {m['device']} (GPU used: {'yes' if m['gpu_used'] else 'no'}); TensorFlow {m['tensorflow']}, "
        f"Keras {m['keras']}, NumPy {m['numpy']}, Python {m['python']}.",
        "",
        f"Dense matmul peak (float32 {peak['size']}x{peak['size']}, {peak['repetitions']} repetitions): "
        f"{_rate(peak['gflops'])} GFLOP/s at the start, "
        f"{_rate(report['matmul_peak_after']['gflops'])} at the end.",
        "",
        f"Batch {report['settings']['batch_size']}, median (min–max) of {report['settings']['repetitions']} "
        "repetitions after warm-up; images/s = real images through the critic. "
        f"FLOPs: {report['flops_method']}. "
        "`fit()`: the same networks, losses and optimizers in a keras.Model train_step (the Keras "
        "WGAN-GP example), timed per epoch in repetitions alternating with ours. First call: the "
        "trace and graph optimisation plus one iteration.",
        "",
        f"Total wall time: {report['wall_time_s']:.0f} s.",
        "",
        "| " + " | ".join(TABLE_COLUMNS) + " |",
        "|" + "|".join("---" if i < 2 else "---:" for i in range(len(TABLE_COLUMNS))) + "|",
    ]
    for r in report["results"]:
        fit = r["fit"]
        cells = [
            r["model"],
            r["architecture"],
            str(r["width"]),
            str(r["n_critic"]),
            _rate(r["critic_steps_per_s"]),
            _rate(r["generator_iterations_per_s"], 2),
            f"{r['images_per_s']['median']:.0f}",
            f"{r['flops_per_critic_step'] / 1e6:.0f}",
            f"{r['flops_per_generator_step'] / 1e6:.0f}",
            _rate(r["gflops_per_s"]),
            f"{100 * r['fraction_of_matmul_peak']:.1f}",
            _rate(fit["generator_iterations_per_s"], 2) if fit else "–",
            _rate(fit["ours_over_fit"], 2) if fit else "–",
            f"{r['first_call_s']:.1f} / {fit['first_call_s']:.1f}" if fit else f"{r['first_call_s']:.1f} / –",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += _profile_lines(report["where_time_goes"], report["machine"]["threads"])
    return "\n".join(lines + _layout_lines(report["thread_layouts"])) + "\n"


def _profile_lines(where: dict, threads: int) -> list[str]:
    top = 6
    lines = [
        "",
        f"## Where the time goes ({where['architecture']}, width {where['width']}, {threads} thread(s))",
        "",
        "Share of op time by op type, from TensorFlow's profiler (`tf.profiler.experimental` trace of "
        f"{where['profiles'][0]['iterations']} generator iterations; the trace itself slows the step):",
        "",
        "| model | op time / iteration ms | " + " | ".join(f"#{i + 1}" for i in range(top)) + " |",
        "|---|---:|" + "---|" * top,
    ]
    for p in where["profiles"]:
        shares = list(p["share_by_op_type"].items())[:top]
        cells = [f"{op} {100 * share:.0f}%" for op, share in shares] + [""] * (top - len(shares))
        lines.append(f"| {p['model']} | {1e3 * p['op_s_per_iteration']:.1f} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "The critic's conv layers as kernels timed alone (batch of the step): GFLOP/s (% of the matmul peak).",
        "",
        "| layer | MFLOP | forward | input gradient | filter gradient |",
        "|---|---:|---:|---:|---:|",
    ]
    for k in where["critic_conv_kernels"]:
        cells = [f"{k[n]['gflops']:.1f} ({100 * k[n]['fraction_of_matmul_peak']:.0f}%)" for n in ("forward", "input_gradient", "filter_gradient")]
        lines.append(f"| {k['layer']} | {k['mflop']:.0f} | " + " | ".join(cells) + " |")
    return lines


def _layout_lines(layouts: dict | None) -> list[str]:
    if not layouts:
        return ["", "Thread layouts: not measured (one core, or a GPU)."]
    n = layouts["cores"]
    lines = [
        "",
        f"## Thread layouts on {n} cores",
        "",
        f"Aggregate generator iterations/s of {n} single-thread training processes running at once "
        f"against one {n}-thread process, each timed over {layouts['seconds']:g} s after warm-up, "
        f"alternating, {layouts['repetitions']} repetitions: median (min–max).",
        "",
        f"| model | architecture | width | 1 x {n} threads it/s | {n} x 1 thread it/s | {n} x 1 / 1 x {n} |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in layouts["results"]:
        cells = [r["model"], r["architecture"], str(r["width"]), _rate(r["one_process_all_threads"], 2),
                 _rate(r["single_thread_processes"], 2), _rate(r["single_over_one"], 2)]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return lines

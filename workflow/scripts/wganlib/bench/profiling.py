"""Where the time goes: TensorFlow's profiler over a few training iterations (op time by op type),
the critic's conv layers as kernels timed alone, and the generator's transposed convs through
their own call."""

from __future__ import annotations

import glob
import tempfile
import time

import keras
import numpy as np
import tensorflow as tf

from wganlib.train.gan import GAN, BatchOrder

from .flops import layer_flops
from .settings import BenchSettings

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


def _timed(run, flops: int, peak_gflops: float, repetitions: int) -> dict:
    """Milliseconds per call of ``run`` (a tf.function returning a number) after one warm-up call,
    and the rate of ``flops`` per call against the peak."""
    float(run())
    start = time.perf_counter()
    for _ in range(repetitions):
        float(run())
    seconds = (time.perf_counter() - start) / repetitions
    gflops = flops / seconds / 1e9
    return {"ms": 1e3 * seconds, "gflops": gflops, "fraction_of_matmul_peak": gflops / peak_gflops}


def conv_kernels(critic: keras.Model, batch: int, peak_gflops: float, repetitions: int = 20) -> list[dict]:
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
        flops = batch * layer_flops(layer)
        row = {
            "layer": f"{h}x{w}x{c_in} -> {h_out}x{w_out}x{c_out}, {k_h}x{k_w} stride {layer.strides[0]}",
            "mflop": flops / 1e6,
        }
        for name, kernel_fn in kernels.items():
            row[name] = _timed(tf.function(lambda f=kernel_fn: tf.reduce_sum(f())), flops, peak_gflops, repetitions)
        rows.append(row)
    return rows


def generator_layers(generator: keras.Model, batch: int, peak_gflops: float, repetitions: int = 20) -> list[dict]:
    """Each transposed conv of the generator timed alone through its own call, as training runs it:
    forward (in every critic step) and forward with both gradients (in the generator step)."""
    from keras import layers

    rows = []
    for layer in generator.layers:
        if not isinstance(layer, layers.Conv2DTranspose):
            continue
        _, h, w, c_in = layer.input.shape
        _, h_out, w_out, c_out = layer.output.shape
        x = tf.random.stateless_normal([batch, h, w, c_in], seed=[0, 0])
        flops = batch * layer_flops(layer)

        def forward_and_gradients(layer=layer):
            with tf.GradientTape() as tape:
                tape.watch(x)
                loss = tf.reduce_sum(tf.square(tf.cast(layer(x), tf.float32)))  # uses the output: nothing pruned
            return loss + tf.add_n([tf.reduce_sum(g) for g in tape.gradient(loss, [x, layer.kernel])])

        rows.append(
            {
                "layer": f"{h}x{w}x{c_in} -> {h_out}x{w_out}x{c_out}, {type(layer).__name__}",
                "mflop": flops / 1e6,
                "forward": _timed(
                    tf.function(lambda layer=layer: tf.reduce_sum(layer(x))), flops, peak_gflops, repetitions
                ),
                "forward_and_gradients": _timed(
                    tf.function(forward_and_gradients), 3 * flops, peak_gflops, repetitions
                ),
            }
        )
    return rows


def where_time_goes(settings: BenchSettings, images: np.ndarray, peak_gflops: float) -> dict:
    """The profile of each profile model; the conv kernels of the first one's critic and the
    transposed convs of its generator, timed alone."""
    profiles, kernels, generator_kernels = [], None, None
    for exp in settings.experiments(settings.profile_models, [settings.profile_architecture], settings.profile_width):
        gan = GAN(exp, images)
        indices = BatchOrder(len(images), exp.batch_size, seed=0).next(exp.n_critic)
        with tempfile.TemporaryDirectory() as logdir:
            profiles.append(
                {
                    "experiment": exp.name,
                    "model": exp.model,
                    **op_profile(gan, indices, settings.profile_iterations, logdir),
                }
            )
        if kernels is None:
            kernels = conv_kernels(gan.critic, exp.batch_size, peak_gflops)
            generator_kernels = generator_layers(gan.generator, exp.batch_size, peak_gflops)
        del gan
        keras.backend.clear_session()
    return {
        "architecture": settings.profile_architecture,
        "width": settings.profile_width,
        "profiles": profiles,
        "critic_conv_kernels": kernels,
        "generator_layers": generator_kernels,
    }

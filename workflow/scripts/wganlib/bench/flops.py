"""FLOPs of one critic step and one generator step, counted on the graph and from the layers.

Counted: TensorFlow's FLOP registry (the one `tf.compat.v1.profiler` uses) on the graph of each step,
keeping only the ops the step really runs (those its outputs and variable updates depend on: the
unused gradients that the tape also builds, e.g. the generator's backward pass inside a critic
step, are dropped as grappler drops them). Analytic: conv and dense multiply-adds from the layers
as they run (the generator's sub-pixel output layer as its 3x3 convolution), backward = 2 x
forward; kept beside the count as a check.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

import keras
import tensorflow as tf

from wganlib.plan.config import Experiment
from wganlib.train import losses
from wganlib.train.gan import GAN
from wganlib.train.models import SubPixelConv2DTranspose, image_shape_of

log = logging.getLogger(__name__)

FLOP_METHOD = (
    "counted: TensorFlow's FLOP registry (tf.compat.v1.profiler's float_operation) on the graph of "
    "one critic step and one generator step, pruned to the ops the step runs; "
    "analytic (layers: conv 2*H*W*K*K*Cin*Cout, the sub-pixel output layer as the 3x3 conv to 4*Cout it runs, "
    "dense 2*in*out, backward 2x forward) kept beside it"
)


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


def counted_flops(function: Callable, *input_signature: tf.TensorSpec) -> dict:
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


def layer_flops(layer: keras.layers.Layer, executed: bool = False) -> int:
    """Multiply-adds x 2 of one conv, transposed-conv or dense layer's forward pass, per image (0 else).
    ``executed``: the sub-pixel output layer as the 3x3 convolution to 4 x its filters that it runs
    (9/4 of its transposed conv's own, the kernel's zero taps included), not as that transposed conv."""
    from keras import layers

    if executed and isinstance(layer, SubPixelConv2DTranspose):
        _, h, w, c_in = layer.input.shape
        return 2 * h * w * 3 * 3 * c_in * 4 * layer.filters
    if isinstance(layer, layers.Conv2DTranspose):  # every input pixel meets the whole kernel
        _, h, w, c_in = layer.input.shape
        k_h, k_w, c_out, _ = layer.kernel.shape
        return 2 * h * w * k_h * k_w * c_in * c_out
    if isinstance(layer, layers.Conv2D):
        _, h, w, c_out = layer.output.shape
        k_h, k_w, c_in, _ = layer.kernel.shape
        return 2 * h * w * k_h * k_w * c_in * c_out
    if isinstance(layer, layers.Dense):
        return 2 * math.prod(layer.kernel.shape)
    return 0


def forward_flops(model: keras.Model) -> int:
    """Multiply-adds x 2 of the conv and dense layers of one forward pass as it runs, per image."""
    return int(sum(layer_flops(layer, executed=True) for layer in model.layers))


def analytic_flops(exp: Experiment, generator: keras.Model, critic: keras.Model) -> dict:
    """Per step, from the layers: backward = 2 x forward (input and weight gradients), 1 x when only
    input gradients are needed. Critic step: G forward, D forward + backward on real and fake;
    the gradient penalty adds D forward on x_hat, its input gradient, and the backward of both (the
    double backward). Generator step: G and D forward, D input gradient, G backward."""
    g, d, batch = forward_flops(generator), forward_flops(critic), exp.batch_size
    critic_step = g + 2 * (d + 2 * d)
    if losses.OBJECTIVES[exp.model].penalised:
        critic_step += d + d + 2 * (d + d)
    return {"critic_step": batch * critic_step, "generator_step": batch * (g + d + d + 2 * g)}


def step_flops(gan: GAN) -> dict:
    """FLOPs per critic step and per generator step: counted, or analytic if counting fails."""
    exp = gan.exp
    analytic = analytic_flops(exp, gan.generator, gan.critic)
    try:
        critic = counted_flops(gan.critic_step, tf.TensorSpec([exp.batch_size, *image_shape_of(exp)], tf.float32))
        generator = counted_flops(gan.generator_step)
    except Exception as err:  # noqa: BLE001 (a private TF API: fall back to the analytic count)
        log.warning("counting FLOPs from the graph failed (%s): using the analytic count", err)
        return {
            "method": "analytic",
            "critic_step": analytic["critic_step"],
            "generator_step": analytic["generator_step"],
            "analytic": analytic,
            "counted": None,
        }
    return {
        "method": "counted",
        "critic_step": critic["flops"],
        "generator_step": generator["flops"],
        "analytic": analytic,
        "counted": {"critic_step": critic, "generator_step": generator},
    }

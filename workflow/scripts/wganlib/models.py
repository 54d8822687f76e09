"""The networks, after the official WGAN code's models.py: DCGAN generator and critic, the
generator without batch norm, and the MLP generator, for 28x28x1 images in [-1, 1].

A network is a small builder whose options are the config's architecture blocks
(type, width, depth, constant_width, batch_norm / normalization).
"""

from __future__ import annotations

import contextlib

import keras
from keras import layers

IMAGE_SHAPE = (28, 28, 1)


@contextlib.contextmanager
def precision(policy: str):
    """Networks built inside use Keras' dtype ``policy``: ``mixed_bfloat16`` keeps the variables
    in float32 and computes in bfloat16; ``float32`` is plain single precision."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def _float32_output(x):
    """A network's output in float32, so the losses never see bfloat16 (a no-op in float32)."""
    return x if x.dtype == "float32" else layers.Activation("linear", dtype="float32")(x)


def _norm_act(x, norm: str, activation: layers.Layer):
    """Normalisation (batch, layer or none), then the activation."""
    if norm == "batch":
        # momentum 0.9 is PyTorch's default (0.1 there), which the official WGAN code trains with.
        x = layers.BatchNormalization(momentum=0.9)(x)
    elif norm == "layer":
        # Over all of (H, W, C) with a scale and offset per channel, as in Gulrajani et al.'s code
        # (Keras' LayerNormalization would normalise each pixel over its channels only).
        x = layers.GroupNormalization(groups=1)(x) if len(x.shape) == 4 else layers.LayerNormalization()(x)
    return activation(x)


def _generator_norms(batch_norm: str, n_layers: int) -> list[str]:
    """Which hidden layers of a generator get batch norm: all, none, or only the first."""
    if batch_norm == "all":
        return ["batch"] * n_layers
    if batch_norm == "first":
        return ["batch"] + ["none"] * (n_layers - 1)
    return ["none"] * n_layers


def dcgan_generator(z_dim: int, width: int, depth: int, constant_width: bool, batch_norm: str) -> keras.Model:
    """z -> 7x7 -> 14x14 -> 28x28, tanh output; `depth` extra 3x3 layers at 14x14."""
    wide = width if constant_width else 2 * width
    norms = iter(_generator_norms(batch_norm, 2 + depth))
    z = keras.Input((z_dim,), name="z")
    x = layers.Dense(7 * 7 * wide)(z)
    x = layers.Reshape((7, 7, wide))(x)
    x = _norm_act(x, next(norms), layers.ReLU())
    x = layers.Conv2DTranspose(width, 4, strides=2, padding="same")(x)
    x = _norm_act(x, next(norms), layers.ReLU())
    for _ in range(depth):
        x = layers.Conv2D(width, 3, padding="same")(x)
        x = _norm_act(x, next(norms), layers.ReLU())
    x = layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh")(x)
    return keras.Model(z, _float32_output(x), name="generator")


def mlp_generator(z_dim: int, width: int, depth: int, batch_norm: str) -> keras.Model:
    """`depth` hidden ReLU layers of `width` units, tanh output (the paper's Figure 7 generator)."""
    z = keras.Input((z_dim,), name="z")
    x = z
    for norm in _generator_norms(batch_norm, depth):
        x = layers.Dense(width)(x)
        x = _norm_act(x, norm, layers.ReLU())
    x = layers.Dense(28 * 28, activation="tanh")(x)
    x = layers.Reshape(IMAGE_SHAPE)(x)
    return keras.Model(z, _float32_output(x), name="generator")


def dcgan_critic(width: int, depth: int, constant_width: bool, normalization: str) -> keras.Model:
    """28x28 -> 14x14 -> 7x7 -> one number: a logit (GAN) or a critic value (WGAN); no sigmoid."""
    wide = width if constant_width else 2 * width
    image = keras.Input(IMAGE_SHAPE, name="image")
    x = layers.Conv2D(width, 4, strides=2, padding="same")(image)
    x = layers.LeakyReLU(0.2)(x)  # DCGAN: no normalisation on the critic's first layer
    for _ in range(depth):
        x = layers.Conv2D(width, 3, padding="same")(x)
        x = _norm_act(x, normalization, layers.LeakyReLU(0.2))
    x = layers.Conv2D(wide, 4, strides=2, padding="same")(x)
    x = _norm_act(x, normalization, layers.LeakyReLU(0.2))
    x = layers.Flatten()(x)
    x = layers.Dense(1)(x)
    return keras.Model(image, _float32_output(x), name="critic")


def mlp_critic(width: int, depth: int, normalization: str) -> keras.Model:
    """`depth` hidden ReLU layers of `width` units, as the official MLP_D."""
    image = keras.Input(IMAGE_SHAPE, name="image")
    x = layers.Flatten()(image)
    for _ in range(depth):
        x = layers.Dense(width)(x)
        x = _norm_act(x, normalization, layers.ReLU())
    x = layers.Dense(1)(x)
    return keras.Model(image, _float32_output(x), name="critic")


def build_generator(spec: dict, z_dim: int) -> keras.Model:
    if spec["type"] == "mlp":
        return mlp_generator(z_dim, spec["width"], spec["depth"], spec["batch_norm"])
    return dcgan_generator(z_dim, spec["width"], spec["depth"], spec["constant_width"], spec["batch_norm"])


def build_critic(spec: dict) -> keras.Model:
    if spec["type"] == "mlp":
        return mlp_critic(spec["width"], spec["depth"], spec["normalization"])
    return dcgan_critic(spec["width"], spec["depth"], spec["constant_width"], spec["normalization"])

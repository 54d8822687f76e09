"""The networks, after the official WGAN code's models/dcgan.py and models/mlp.py: DCGAN generator
and critic, the generator without batch norm, and the MLP generator, for images in [-1, 1] of the
dataset's size and channels (an Experiment's image_size and channels): the conv networks at 28x28
(MNIST: 7x7 -> 14x14 -> 28x28) and at 16 * 2**k, as DCGAN_G and DCGAN_D (4x4 -> ... -> size).

A network is a small builder whose options are the config's architecture blocks
(type, width, depth, constant_width, batch_norm / normalization, output; and for Gulrajani et al.'s
networks kernel_size, from_4x4, first_norm) and the model's `init`.

Initialisation: "official" is the official WGAN code's (and DCGAN's): its weights_init draws every
conv and transposed-conv kernel from N(0, 0.02) and every batch-norm scale from N(1, 0.02), and its
MLPs keep PyTorch's nn.Linear default, weights and biases from U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
Our conv networks' dense layers stand where the official code has convolutions (the generator's
1x1 -> 4x4 first layer, the critic's last), so they are initialised as convolutions. "glorot" is
Keras' default (Glorot uniform, zero biases, scales 1), near Gulrajani et al.'s WGAN-GP code.

SN-GAN's critic (normalization "spectral") holds every conv and dense kernel spectrally normalised
(``SpectralNorm``, Miyato et al. 2018) and has no batch norm.

Layer settings read by every builder (``Layers``): the normalisation epsilon (PyTorch's BatchNorm2d
and Gulrajani et al.'s batchnorm and layernorm ops use 1e-5; Keras' default is 1e-3) and whether
the conv networks have biases (the official models/dcgan.py has none, ``bias=False`` everywhere;
Gulrajani et al.'s tflib layers have them). MLP layers keep their biases, as nn.Linear does.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import keras
import numpy as np
from keras import layers, ops

from wganlib.plan.shapes import conv_plan, conv_sizes

IMAGE_SHAPE = (28, 28, 1)  # MNIST's: the builders' default


@dataclass(frozen=True)
class Layers:
    """What every layer of both networks reads: initialisation, normalisation epsilon, conv biases."""

    init: str
    norm_epsilon: float
    conv_bias: bool

    @classmethod
    def of(cls, exp) -> Layers:
        return cls(exp.init, exp.norm_epsilon, exp.conv_bias)


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


@keras.saving.register_keras_serializable(package="wganlib")
class SubPixelConv2DTranspose(layers.Conv2DTranspose):
    """Conv2DTranspose(kernel 4, stride 2, "same"), the same function of the same weights, computed
    as a 3x3 convolution to 4x the filters (one per output pixel phase) and a depth-to-space: on a
    CPU, TensorFlow's transposed-conv kernel to one channel (the generator's output layer) runs at
    3 % of the matmul peak, the convolution twice as fast (docs/evidence/speed.md)."""

    # Output row 2t + r takes kernel row TAP[r][u] from input row t + u - 1; 4 marks no tap (a zero).
    TAP = np.array([[3, 1, 4], [4, 2, 0]])

    def __init__(self, filters, kernel_size, strides=1, padding="valid", **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, **kwargs)
        shape = (self.kernel_size, self.strides, self.padding, self.output_padding, self.data_format)
        if shape != ((4, 4), (2, 2), "same", None, "channels_last"):
            raise ValueError(
                "SubPixelConv2DTranspose computes kernel 4, stride 2, padding 'same', channels last, "
                "no output padding only"
            )

    def phase_kernel(self):
        """(3, 3, in, 4 * filters): kernel[TAP[r][u], TAP[s][v], f, c] at [u, v, c, (r, s, f)]."""
        k = ops.pad(self.kernel, [[0, 1], [0, 1], [0, 0], [0, 0]])  # row and column 4: zeros
        k = ops.take(ops.take(k, self.TAP.T, axis=0), self.TAP.T, axis=2)  # (u, r, v, s, filters, in)
        k = ops.transpose(k, [0, 2, 5, 1, 3, 4])  # (u, v, in, r, s, filters)
        return ops.reshape(k, (3, 3, k.shape[2], 4 * self.filters))

    def call(self, inputs):
        y = ops.conv(inputs, self.phase_kernel(), strides=1, padding="same")  # (N, H, W, (r, s, f))
        n, h, w = ops.shape(y)[0], y.shape[1], y.shape[2]
        y = ops.reshape(y, (n, h, w, 2, 2, self.filters))
        y = ops.reshape(ops.transpose(y, [0, 1, 3, 2, 4, 5]), (n, 2 * h, 2 * w, self.filters))
        if self.use_bias:
            y = ops.add(y, self.bias)
        return self.activation(y) if self.activation is not None else y


class SpectralNorm(layers.Wrapper):
    """A Conv2D or Dense layer computed with W / sigma(W), sigma(W) the largest singular value of its
    kernel (Miyato et al. 2018, Eq. 8): one power iteration per training call from the u kept since
    the last call (their Algorithm 1, as their code's SNConvolution2D), the gradient through sigma
    with u and v held fixed (their Eq. 12). Keras' SpectralNormalization instead writes W / sigma
    back into the kernel, with no gradient through sigma, and under mixed_bfloat16 that write
    rounds the float32 kernel to bfloat16 at every call; here W, u and sigma stay float32 and only
    the layer's product runs in its compute dtype."""

    def __init__(self, layer, **kwargs):
        super().__init__(layer, autocast=False, **kwargs)  # reads the float32 kernel under mixed precision

    def build(self, input_shape):
        super().build(input_shape)
        outputs = self.layer.kernel.shape[-1]
        self.u = self.add_weight(shape=(outputs,), initializer="random_normal", trainable=False, name="u")

    def call(self, inputs, training=False):
        w = ops.reshape(self.layer.kernel, (-1, self.u.shape[0]))  # W transposed: (inputs, outputs)
        v = ops.stop_gradient(_unit(ops.matmul(w, self.u)))  # v = W^T u / ||W^T u||
        u = ops.stop_gradient(_unit(ops.matmul(v, w)))  # u = W v / ||W v||
        sigma = ops.sum(ops.matmul(v, w) * u)  # u^T W v
        if training:
            self.u.assign(u)
        kernel = ops.cast(self.layer.kernel / sigma, self.layer.compute_dtype)
        x = ops.cast(inputs, self.layer.compute_dtype)
        y = self.layer.convolution_op(x, kernel) if isinstance(self.layer, layers.Conv2D) else ops.matmul(x, kernel)
        if self.layer.use_bias:
            y = ops.add(y, ops.cast(self.layer.bias, y.dtype))
        return self.layer.activation(y)


def _unit(x):
    return x / (ops.norm(x) + 1e-12)


def _weights(normalization: str):
    """How a critic's conv and dense layers hold their kernels: spectrally normalised, or as they are."""
    return SpectralNorm if normalization == "spectral" else (lambda layer: layer)


def _float32_output(x):
    """A network's output in float32, so the losses never see bfloat16 (a no-op in float32)."""
    return x if x.dtype == "float32" else layers.Activation("linear", dtype="float32")(x)


def _conv(lay: Layers) -> dict:
    """Options of a conv, transposed-conv or conv-standing dense layer: initialiser and bias."""
    init = {"kernel_initializer": keras.initializers.RandomNormal(0.0, 0.02)} if lay.init == "official" else {}
    return {"use_bias": lay.conv_bias, **init}


def _linear(units: int, fan_in: int, lay: Layers, **options) -> layers.Dense:
    """A dense layer of an MLP (with a bias, as nn.Linear); "official" is PyTorch's default init."""
    if lay.init == "official":
        bound = 1 / math.sqrt(fan_in)
        options["kernel_initializer"] = keras.initializers.RandomUniform(-bound, bound)
        options["bias_initializer"] = keras.initializers.RandomUniform(-bound, bound)
    return layers.Dense(units, **options)


def _norm_act(x, norm: str, activation: layers.Layer, lay: Layers):
    """Normalisation (batch, layer or none), then the activation."""
    if norm == "batch":
        # momentum 0.9 is PyTorch's default (0.1 there), which the official WGAN code trains with.
        scale = {"gamma_initializer": keras.initializers.RandomNormal(1.0, 0.02)} if lay.init == "official" else {}
        x = layers.BatchNormalization(momentum=0.9, epsilon=lay.norm_epsilon, **scale)(x)
    elif norm == "layer":
        # Over all of (H, W, C) with a scale and offset per channel, as in Gulrajani et al.'s code
        # (Keras' LayerNormalization would normalise each pixel over its channels only).
        eps = lay.norm_epsilon
        x = (
            layers.GroupNormalization(1, epsilon=eps)(x)
            if len(x.shape) == 4
            else layers.LayerNormalization(epsilon=eps)(x)
        )
    return activation(x)


def _generator_norms(batch_norm: str, n_layers: int) -> list[str]:
    """Which hidden layers of a generator get batch norm: all, none, or only the first."""
    if batch_norm == "all":
        return ["batch"] * n_layers
    if batch_norm == "first":
        return ["batch"] + ["none"] * (n_layers - 1)
    return ["none"] * n_layers


def _output(output: str):
    """The generator's last activation: tanh (DCGAN_G) or none (the official MLP_G)."""
    return "tanh" if output == "tanh" else None


def dcgan_generator(
    z_dim: int,
    width: int,
    depth: int,
    constant_width: bool,
    batch_norm: str,
    output: str,
    lay: Layers,
    image_shape: tuple[int, int, int] = IMAGE_SHAPE,
    *,
    kernel_size: int = 4,
    from_4x4: bool = False,
    first_norm: str = "per_channel",
) -> keras.Model:
    """z -> start x start -> ... -> image, the official DCGAN_G: widths halving from the top to
    `width` at half the image size (all `width` with constant_width), `depth` extra 3x3 layers there.
    28x28: z -> 7x7 -> 14x14 -> 28x28, or from_4x4 z -> 4x4 -> 8x8 cropped to 7x7 -> 14x14 -> 28x28
    (gan_mnist.py). Gulrajani et al.'s networks: kernel_size 5, and first_norm per_unit, batch norm
    over each of the dense layer's outputs (gan_cifar.py's Batchnorm on axis 0), not per channel."""
    sizes = conv_sizes(image_shape[0], from_4x4)
    start, n = sizes[0], len(sizes) - 1
    wide = width if constant_width else width * 2 ** (n - 1)
    norms = iter(_generator_norms(batch_norm, n + depth))
    z = keras.Input((z_dim,), name="z")
    # The official 1x1 -> 4x4 transposed convolution is this dense layer.
    x = layers.Dense(start * start * wide, **_conv(lay))(z)
    if first_norm == "per_unit":
        x = layers.Reshape((start, start, wide))(_norm_act(x, next(norms), layers.ReLU(), lay))
    else:
        x = _norm_act(layers.Reshape((start, start, wide))(x), next(norms), layers.ReLU(), lay)
    for size in sizes[1:-1]:
        wide = wide if constant_width else wide // 2
        x = layers.Conv2DTranspose(wide, kernel_size, strides=2, padding="same", **_conv(lay))(x)
        x = _norm_act(x, next(norms), layers.ReLU(), lay)
        if x.shape[1] > size:  # gan_mnist.py's output[:, :, :7, :7]
            x = layers.Cropping2D(((0, x.shape[1] - size), (0, x.shape[2] - size)))(x)
    for _ in range(depth):
        x = layers.Conv2D(width, 3, padding="same", **_conv(lay))(x)
        x = _norm_act(x, next(norms), layers.ReLU(), lay)
    channels, act = image_shape[2], _output(output)
    last = SubPixelConv2DTranspose if kernel_size == 4 else layers.Conv2DTranspose
    x = last(channels, kernel_size, strides=2, padding="same", activation=act, **_conv(lay))(x)
    return keras.Model(z, _float32_output(x), name="generator")


def mlp_generator(
    z_dim: int,
    width: int,
    depth: int,
    batch_norm: str,
    output: str,
    lay: Layers,
    image_shape: tuple[int, int, int] = IMAGE_SHAPE,
) -> keras.Model:
    """`depth` hidden ReLU layers of `width` units, then one output per pixel and channel (the
    paper's Figure 7 generator: the official MLP_G has 3 hidden layers of 512 and a linear output)."""
    z = keras.Input((z_dim,), name="z")
    x, fan_in = z, z_dim
    for norm in _generator_norms(batch_norm, depth):
        x = _linear(width, fan_in, lay)(x)
        x = _norm_act(x, norm, layers.ReLU(), lay)
        fan_in = width
    x = _linear(math.prod(image_shape), fan_in, lay, activation=_output(output))(x)
    x = layers.Reshape(image_shape)(x)
    return keras.Model(z, _float32_output(x), name="generator")


def dcgan_critic(
    width: int,
    depth: int,
    constant_width: bool,
    normalization: str,
    lay: Layers,
    image_shape: tuple[int, int, int] = IMAGE_SHAPE,
    *,
    kernel_size: int = 4,
    from_4x4: bool = False,
) -> keras.Model:
    """image -> half size (`width`) -> ... -> start x start -> one number, the official DCGAN_D:
    widths doubling (constant with constant_width), `depth` extra 3x3 layers at half size; a logit
    (GAN) or a critic value (WGAN), no sigmoid. 28x28: 28 -> 14 -> 7 -> 1, or from_4x4 28 -> 14 ->
    7 -> 4 -> 1 (gan_mnist.py). Gulrajani et al.'s networks: kernel_size 5."""
    _, n = conv_plan(image_shape[0], from_4x4)
    held = _weights(normalization)
    image = keras.Input(image_shape, name="image")
    x = held(layers.Conv2D(width, kernel_size, strides=2, padding="same", **_conv(lay)))(image)
    x = layers.LeakyReLU(0.2)(x)  # DCGAN: no normalisation on the critic's first layer
    for _ in range(depth):
        x = held(layers.Conv2D(width, 3, padding="same", **_conv(lay)))(x)
        x = _norm_act(x, normalization, layers.LeakyReLU(0.2), lay)
    wide = width
    for _ in range(n - 1):
        wide = wide if constant_width else 2 * wide
        x = held(layers.Conv2D(wide, kernel_size, strides=2, padding="same", **_conv(lay)))(x)
        x = _norm_act(x, normalization, layers.LeakyReLU(0.2), lay)
    x = layers.Flatten()(x)
    x = held(layers.Dense(1, **_conv(lay)))(x)  # the official last start x start convolution to one value
    return keras.Model(image, _float32_output(x), name="critic")


def mlp_critic(
    width: int, depth: int, normalization: str, lay: Layers, image_shape: tuple[int, int, int] = IMAGE_SHAPE
) -> keras.Model:
    """`depth` hidden ReLU layers of `width` units, as the official MLP_D."""
    held = _weights(normalization)
    image = keras.Input(image_shape, name="image")
    x, fan_in = layers.Flatten()(image), math.prod(image_shape)
    for _ in range(depth):
        x = held(_linear(width, fan_in, lay))(x)
        x = _norm_act(x, normalization, layers.ReLU(), lay)
        fan_in = width
    x = held(_linear(1, fan_in, lay))(x)
    return keras.Model(image, _float32_output(x), name="critic")


def image_shape_of(exp) -> tuple[int, int, int]:
    """(size, size, channels) of an Experiment's dataset."""
    return (exp.image_size, exp.image_size, exp.channels)


def build_generator(exp) -> keras.Model:
    """The generator of an Experiment (wganlib.plan.config)."""
    spec, lay = exp.generator, Layers.of(exp)
    if spec["type"] == "mlp":
        return mlp_generator(
            exp.z_dim, spec["width"], spec["depth"], spec["batch_norm"], spec["output"], lay, image_shape_of(exp)
        )
    return dcgan_generator(
        exp.z_dim,
        spec["width"],
        spec["depth"],
        spec["constant_width"],
        spec["batch_norm"],
        spec["output"],
        lay,
        image_shape_of(exp),
        kernel_size=spec["kernel_size"],
        from_4x4=spec["from_4x4"],
        first_norm=spec["first_norm"],
    )


def build_critic(exp) -> keras.Model:
    """The critic of an Experiment (wganlib.plan.config)."""
    spec, lay = exp.critic, Layers.of(exp)
    if spec["type"] == "mlp":
        return mlp_critic(spec["width"], spec["depth"], spec["normalization"], lay, image_shape_of(exp))
    return dcgan_critic(
        spec["width"],
        spec["depth"],
        spec["constant_width"],
        spec["normalization"],
        lay,
        image_shape_of(exp),
        kernel_size=spec["kernel_size"],
        from_4x4=spec["from_4x4"],
    )

"""Which image sizes the conv networks can be built for (no TensorFlow: config validation reads it).

The official models/dcgan.py builds DCGAN_G and DCGAN_D for any multiple of 16 (``assert isize %
16 == 0``), with log2(size / 4) stride-2 layers between 4x4 and the image; MNIST's 28x28 networks
have two, between 7x7 and 28x28, or, as Gulrajani et al.'s gan_mnist.py (``from_4x4``), three
between 4x4 and 28x28: the generator's 8x8 cropped to 7x7, the critic's 7x7 halved to 4x4 (stride
2, "same" padding). Only these are built: an MLP takes any size.
"""

from __future__ import annotations

import math

CONV_SIZES = "sizes that work: 28 (MNIST's networks) and 16 * 2**k: 16, 32, 64, 128, 256, ..."


def conv_plan(image_size: int, from_4x4: bool = False) -> tuple[int, int]:
    """(start, n): the conv networks' smallest feature map and their number of stride-2 layers,
    start * 2**n = image_size (28 from 4x4: 4, 3). ValueError naming the sizes that work otherwise."""
    if from_4x4 and image_size == 28:
        return 4, 3
    for start in (4, 7):
        n = round(math.log2(image_size / start)) if image_size >= start else 0
        if start * 2**n == image_size and n >= 2 and (start == 4 or image_size == 28):
            return start, n
    raise ValueError(f"the conv networks cannot be built for {image_size}x{image_size} images; {CONV_SIZES}")


def conv_sizes(image_size: int, from_4x4: bool = False) -> list[int]:
    """The side of the feature map at each level, smallest first: [4, 8, 16, 32] at 32, [7, 14, 28]
    at 28, [4, 7, 14, 28] at 28 from 4x4 (each the image halved, rounded up, as "same" padding)."""
    start, n = conv_plan(image_size, from_4x4)
    return [start] + [math.ceil(image_size / 2 ** (n - k)) for k in range(1, n + 1)]

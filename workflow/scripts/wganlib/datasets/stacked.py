"""Stacked MNIST (Metz et al. 2017, "Unrolled GANs"; Srivastava et al. 2017, VEEGAN): three MNIST digits
as the red, green and blue channels of one 28x28 image, 1,000 classes, label 100 * d1 + 10 * d2 + d3
(d1 the red digit). The mode-collapse benchmark's protocol: 128,000 training images and 26,000 for
evaluation (the ``train_images`` and ``test_images`` settings).

Built from MNIST digits the pipeline has already verified, checked against their manifest: full
MNIST (``resources/datasets/mnist.npz``, the ``digits`` setting's default) or, offline, mnist-5k's
5,000 (``digits: mnist-5k``), with a fixed random generator per split: the same digits give the
same bytes. Training images stack training digits, evaluation images test digits, drawn with
replacement (mnist-5k's 4,000 training digits make 6.4e10 ordered triples, its 1,000 test digits 1e9).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .checks import _file_hash
from .manifest import verify_existing
from .npz import load
from .specs import DatasetError, DatasetSpec
from .store import Chunk, Request, write_dataset

SEEDS = {"train": 0, "test": 1}  # numpy default_rng seeds of the digit draws, one per split
CHUNK = 10_000


def build_stacked_mnist(request: Request) -> dict[str, Any]:
    """Materialise Stacked MNIST from the verified digits its ``digits`` setting names."""
    source = request.settings["digits"]
    mnist = request.inputs.get(source)
    if mnist is None:
        raise DatasetError(f"stacked-mnist is built from {source}: its resources/datasets/{source}.npz was not given")
    verify_existing(mnist, mnist.with_name(f"{source}.manifest.json"))
    digits = load(mnist)
    counts = {"train": request.settings["train_images"], "test": request.settings["test_images"]}
    streams = {
        split: stacked(digits[f"x_{split}"], digits[f"y_{split}"], n, SEEDS[split]) for split, n in counts.items()
    }
    record = {"name": mnist.name, "path": str(mnist), "sha256": _file_hash(mnist, "sha256"), "verified_by": "manifest"}
    return write_dataset(
        request,
        streams["train"],
        streams["test"],
        source={"kind": "built-from", "location": str(mnist)},
        files=[record],
        classes=[f"{label:03d}" for label in range(1000)],
        extra={"seeds": SEEDS},
    )


def stacked(images: np.ndarray, labels: np.ndarray, n: int, seed: int) -> Iterator[Chunk]:
    """``n`` stacked images in chunks: three digits drawn uniformly with replacement per image."""
    picks = np.random.default_rng(seed).integers(0, len(images), size=(n, 3))
    for start in range(0, n, CHUNK):
        chosen = picks[start : start + CHUNK]
        stack = np.stack([images[chosen[:, channel]] for channel in range(3)], axis=-1)
        digit = labels[chosen].astype(np.int64)
        yield stack, 100 * digit[:, 0] + 10 * digit[:, 1] + digit[:, 2]


STACKED_MNIST = DatasetSpec(
    name="stacked-mnist",
    image_size=28,
    channels=3,
    settings={"train_images": 128_000, "test_images": 26_000, "digits": "mnist"},
    built_from=("mnist", "mnist-5k"),
    built_from_setting="digits",
    build=build_stacked_mnist,
    counts=lambda path, settings, files: {
        "train": settings["train_images"],
        "test": settings["test_images"],
        "at_most": False,
    },
    judge="digits-per-channel",  # each channel's digit, as VEEGAN and PacGAN count modes
)

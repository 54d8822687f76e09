"""Checks every source passes, whatever its form: the arrays' shapes, dtypes, counts and labels,
and file checksums."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from .specs import CHUNK_BYTES, IMAGE_SHAPE, SourceError


def _check_arrays(
    arrays: dict[str, np.ndarray], image_shape: tuple[int, ...] | None = IMAGE_SHAPE, n_classes: int | None = 10
) -> None:
    """Shape, dtype, count and label-range checks on x_train, y_train, x_test, y_test (labels of the
    MNIST family made uint8 in place). ``image_shape`` None: any square (N, H, W) or (N, H, W, 3)
    the same in both splits; ``n_classes`` None: any non-negative labels."""
    if image_shape is None:
        image_shape = _image_shape_of(arrays["x_train"])
    for split in ("train", "test"):
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if images.dtype != np.uint8 or images.shape[1:] != tuple(image_shape):
            raise SourceError(f"x_{split} is {images.dtype} {images.shape}, expected uint8 (N, {_dims(image_shape)})")
        if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
            raise SourceError(f"y_{split} is {labels.dtype} {labels.shape}, expected integers (N,)")
        if len(images) != len(labels):
            raise SourceError(f"{split}: {len(images)} images but {len(labels)} labels")
        if len(labels) == 0:
            raise SourceError(f"{split} split is empty")
        top = n_classes - 1 if n_classes is not None else np.iinfo(labels.dtype).max
        if labels.min() < 0 or labels.max() > top:
            raise SourceError(f"y_{split} has labels outside 0-{top} ({labels.min()}..{labels.max()})")
        if n_classes == 10:  # the MNIST family's labels are stored as uint8
            arrays[f"y_{split}"] = labels.astype(np.uint8)


def _image_shape_of(images: np.ndarray) -> tuple[int, ...]:
    """The shape of one image: square, greyscale (H, W) or colour (H, W, 3)."""
    shape = images.shape[1:]
    if len(shape) not in (2, 3) or shape[0] != shape[1] or (len(shape) == 3 and shape[2] != 3):
        raise SourceError(f"x_train is {images.dtype} {images.shape}, expected square (N, H, W) or (N, H, W, 3) images")
    return shape


def _dims(shape: tuple[int, ...]) -> str:
    return ", ".join(map(str, shape))


def _file_hash(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()

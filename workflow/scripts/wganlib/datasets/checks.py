"""Checks every source passes, whatever its form: the arrays' shapes, dtypes, counts and labels,
and file checksums."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from .specs import CHUNK_BYTES, IMAGE_SHAPE, SourceError


def _check_arrays(arrays: dict[str, np.ndarray]) -> None:
    """Shape, dtype, count and label-range checks on x_train, y_train, x_test, y_test (in place)."""
    for split in ("train", "test"):
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
            raise SourceError(f"x_{split} is {images.dtype} {images.shape}, expected uint8 (N, 28, 28)")
        if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
            raise SourceError(f"y_{split} is {labels.dtype} {labels.shape}, expected integers (N,)")
        if len(images) != len(labels):
            raise SourceError(f"{split}: {len(images)} images but {len(labels)} labels")
        if len(labels) == 0:
            raise SourceError(f"{split} split is empty")
        if labels.min() < 0 or labels.max() > 9:
            raise SourceError(f"y_{split} has labels outside 0-9 ({labels.min()}..{labels.max()})")
        arrays[f"y_{split}"] = labels.astype(np.uint8)


def _file_hash(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()

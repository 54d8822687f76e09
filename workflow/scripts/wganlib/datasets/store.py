"""Datasets of any size and colour, written once and read a batch at a time.

A dataset with its own reader (``DatasetSpec.build``: cifar10, stacked-mnist, folder, lsun-*) gets
a ``Request`` and hands ``write_dataset`` its images as a stream of chunks, so that no more than a
chunk is ever in memory. The ``.npz`` it writes holds the same four arrays as the MNIST family's,
but uncompressed (ZIP_STORED, zip64, fixed timestamps: equal data, equal bytes), so that
``npz.load(..., mmap=True)`` maps x_train from the file instead of reading it. ``max_images``
caps the training split: the stream is not read past it.

The images are spooled into a hidden folder beside the ``.npz`` (``.<name>.npz.*``) and the
``.npz`` is written under a hidden name first; a build killed on the way leaves them behind, and
the next build of the same dataset removes them before it starts (at LSUN's scale, tens of GB).
"""

from __future__ import annotations

import glob
import logging
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from wganlib.common.io import atomic_path, write_json

from .checks import _file_hash
from .manifest import MANIFEST_VERSION
from .sizes import check_split
from .specs import DatasetError, DatasetSpec, SourceError

log = logging.getLogger(__name__)

Chunk = tuple[np.ndarray, np.ndarray]  # (uint8 images, integer labels) of one piece of a split


@dataclass
class Request:
    """What a dataset's own reader is given: where to write, and what the config says."""

    spec: DatasetSpec
    out_npz: Path
    out_manifest: Path
    local_path: Path | None = None  # data.paths.<dataset>
    settings: dict[str, Any] = field(default_factory=dict)  # data.settings.<dataset>, defaults filled
    inputs: dict[str, Path] = field(default_factory=dict)  # the .npz of each dataset in spec.built_from
    mirrors: tuple[str, ...] = ()
    timeout: float = 60.0
    cache: Path | None = None  # cache_dir/<dataset>: verified downloads kept for the next run
    listing: str | None = None  # digest of the files of local_path (``planning``), kept in the manifest

    @property
    def image_shape(self) -> tuple[int, ...]:
        """One stored image: (size, size) greyscale or (size, size, channels)."""
        size, channels = self.spec.image_shape(self.settings)
        return (size, size) if channels == 1 else (size, size, channels)


def write_dataset(
    request: Request,
    train: Iterable[Chunk],
    test: Iterable[Chunk],
    *,
    source: dict[str, Any],
    files: list[dict[str, Any]],
    classes: list[str] | None,
    extra: dict[str, Any] | Callable[[], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Write the ``.npz`` and then its manifest from the two streams; return the manifest.

    ``extra``: more manifest entries, or a function giving them once the streams are read (a
    digest the reader computes as it goes; it may raise, refusing what it read, before anything
    is written).
    ``classes``: the class names, label i being classes[i]; None for a dataset without labels
    (every label 0). A failure leaves nothing at either output path, nor any spool.
    """
    out_npz = request.out_npz
    out_npz.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(out_npz)
    cap = request.settings.get("max_images")
    with tempfile.TemporaryDirectory(prefix=f".{out_npz.name}.", dir=out_npz.parent) as work:
        parts = {
            "train": _spool(train, Path(work) / "x_train", request.image_shape, cap),
            "test": _spool(test, Path(work) / "x_test", request.image_shape, None),
        }
        more = extra() if callable(extra) else extra or {}
        n_classes = len(classes) if classes else 1
        for split, (count, labels) in parts.items():
            check_split(request.spec, split, count)
            if labels.min() < 0 or labels.max() >= n_classes:
                raise DatasetError(f"{request.spec.name}: {split} labels outside 0-{n_classes - 1}")
        label_type = np.uint8 if n_classes <= 256 else np.uint16
        with atomic_path(out_npz) as tmp:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
                for split, (count, labels) in parts.items():
                    _write_member(archive, f"x_{split}", Path(work) / f"x_{split}", (count, *request.image_shape))
                    _write_array(archive, f"y_{split}", labels.astype(label_type))
            npz_sha256, npz_bytes = _file_hash(tmp, "sha256"), tmp.stat().st_size
    counts = {split: count for split, (count, _) in parts.items()}
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "dataset": request.spec.name,
        "source": source,
        "listing": request.listing,
        "files": files,
        "image_size": request.image_shape[0],
        "channels": request.image_shape[2] if len(request.image_shape) == 3 else 1,
        "settings": request.settings,
        "classes": classes,
        "counts": counts,
        "class_counts": {
            split: np.bincount(labels.astype(np.int64), minlength=n_classes).tolist()
            for split, (_, labels) in parts.items()
        },
        **more,
        "npz": {"path": str(out_npz), "sha256": npz_sha256, "bytes": npz_bytes},
    }
    write_json(request.out_manifest, manifest)  # written last: a manifest means the npz is complete
    log.info("%s: wrote %s (%s)", request.spec.name, out_npz, counts)
    return manifest


def remove_leftovers(out_npz: Path) -> None:
    """The spool folders and half-written ``.npz`` files of earlier builds of ``out_npz`` that were
    killed (their hidden names start with ``.<name>.npz.``; the stamp of a verified ``.npz`` stays)."""
    for left in out_npz.parent.glob(f".{glob.escape(out_npz.name)}.*"):
        if left.is_dir() and not left.is_symlink():
            shutil.rmtree(left, ignore_errors=True)
        elif ".tmp" in left.name[len(out_npz.name) + 2 :]:
            left.unlink(missing_ok=True)
        else:
            continue
        log.warning("%s: removed %s, left by an earlier build that was stopped", out_npz.name, left)


def _spool(chunks: Iterable[Chunk], path: Path, shape: tuple[int, ...], cap: int | None) -> tuple[int, np.ndarray]:
    """Append the chunks' images to the raw file ``path`` (at most ``cap``); (count, labels)."""
    count, labels = 0, []
    with open(path, "wb") as raw:
        for images, chunk_labels in _capped(chunks, cap):
            if images.dtype != np.uint8 or images.shape[1:] != shape or len(images) != len(chunk_labels):
                raise SourceError(f"a chunk of {images.dtype} {images.shape} images, expected uint8 (N, {shape})")
            raw.write(np.ascontiguousarray(images).tobytes())
            labels.append(np.asarray(chunk_labels, np.int64))
            count += len(images)
    return count, np.concatenate(labels) if labels else np.zeros(0, np.int64)


def _capped(chunks: Iterable[Chunk], cap: int | None) -> Iterator[Chunk]:
    """The chunks up to ``cap`` images in all; the stream is not read past it."""
    left = cap
    try:
        for images, labels in chunks:
            if left is not None:
                images, labels = images[:left], labels[:left]
                left -= len(images)
            if len(images):
                yield images, labels
            if left == 0:
                return
    finally:  # a reader stopped early closes now, while what it reads from is still open
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def _write_member(archive: zipfile.ZipFile, name: str, raw: Path, shape: tuple[int, ...]) -> None:
    """An .npy member from a raw uint8 file, copied through: never in memory whole."""
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.uint8)), "fortran_order": False, "shape": shape}
    with archive.open(_info(name), "w", force_zip64=True) as member, open(raw, "rb") as data:
        np.lib.format.write_array_header_1_0(member, header)
        shutil.copyfileobj(data, member, 1 << 20)


def _write_array(archive: zipfile.ZipFile, name: str, array: np.ndarray) -> None:
    with archive.open(_info(name), "w", force_zip64=True) as member:
        np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)


def chunked(items: list, size: int) -> Iterator[list]:
    """``items`` in consecutive pieces of ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]

"""``folder``: the user's own images (``data.paths.folder``), any folder of PNG, JPEG or WebP files,
nested as deep as it likes, of any size and mode: each is brought to ``image_size`` as the official
code's transforms do (``pictures``), in ``channels`` 3 (RGB) or 1 (greyscale).

``labels: true`` takes the classes from the first-level subfolder names (torchvision's ImageFolder:
classes sorted by name, an image's class the folder it is under). A file that cannot be decoded is
reported by name: ``unreadable: refuse`` fails with the list, ``skip`` leaves them out and counts
them in the manifest. The manifest's ``content_sha256`` digests every file's path and bytes.

The evaluation split is ``test_images`` images (default: a tenth, at most 1,000) drawn with a fixed
seed; the rest, capped at ``max_images``, is the training split. Images are decoded a chunk at a
time, so a folder larger than memory is materialised into a file that is memory-mapped.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .pictures import DECODE_ERRORS, SUFFIXES, decode
from .specs import DatasetError, DatasetSpec
from .store import Chunk, Request, chunked, write_dataset

log = logging.getLogger(__name__)

SPLIT_SEED = 0  # numpy default_rng seed of the train/test split
CHUNK = 1_000
SHOWN = 20  # unreadable files named in an error or log line; the manifest lists all


def build_folder(request: Request) -> dict[str, Any]:
    """Materialise the user's image folder."""
    root = request.local_path
    if root is None:
        raise DatasetError("the folder dataset needs its path: set data.paths.folder in config/config.yaml")
    root = root.expanduser()
    if not root.is_dir():
        raise DatasetError(f"data.paths.folder: {root} is not a folder")
    settings = request.settings
    paths = image_files(root)
    if not paths:
        raise DatasetError(f"{root} holds no images ({', '.join(SUFFIXES)}), in it or in its subfolders")
    classes, labels = _labels(root, paths) if settings["labels"] else (None, np.zeros(len(paths), np.int64))
    order = np.random.default_rng(SPLIT_SEED).permutation(len(paths))
    n_test = settings["test_images"] or max(1, min(1_000, len(paths) // 10))
    if n_test >= len(paths):
        raise DatasetError(f"{root} has {len(paths)} images: too few for {n_test} evaluation images and training")
    reader = _Reader(root, paths, labels, settings)
    return write_dataset(
        request,
        reader.read(order[n_test:]),
        reader.read(order[:n_test]),
        source={"kind": "local-folder", "location": str(root)},
        files=[{"name": root.name, "path": str(root), "images": len(paths), "verified_by": "content-sha256"}],
        classes=classes,
        extra=lambda: {"content_sha256": reader.digest(), "unreadable": reader.unreadable},
    )


def image_files(root: Path) -> list[Path]:
    """Every image file under ``root`` by suffix, sorted by relative path; hidden ones left out."""
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        found += [Path(folder) / n for n in names if not n.startswith(".") and n.lower().endswith(SUFFIXES)]
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def _labels(root: Path, paths: list[Path]) -> tuple[list[str], np.ndarray]:
    """Classes from the first-level subfolder names, sorted; each image's index among them."""
    tops = [p.relative_to(root).parts for p in paths]
    loose = [p for p, parts in zip(paths, tops, strict=True) if len(parts) == 1]
    if loose:
        raise DatasetError(
            f"labels from subfolder names: {len(loose)} images are in no subfolder of {root} "
            f"(e.g. {loose[0].name}); move them into their class's folder, or set labels: false"
        )
    classes = sorted({parts[0] for parts in tops})
    index = {name: i for i, name in enumerate(classes)}
    return classes, np.array([index[parts[0]] for parts in tops], np.int64)


class _Reader:
    """Decodes images in a given order, a chunk at a time, digesting and counting as it goes."""

    def __init__(self, root: Path, paths: list[Path], labels: np.ndarray, settings: dict[str, Any]):
        self.root, self.paths, self.labels, self.settings = root, paths, labels, settings
        self.hashes: dict[int, str] = {}
        self.unreadable: list[str] = []

    def read(self, indices: np.ndarray) -> Iterator[Chunk]:
        size, channels = self.settings["image_size"], self.settings["channels"]
        for chunk in chunked(list(indices), CHUNK):
            images, kept = [], []
            for i in chunk:
                data = self.paths[i].read_bytes()
                self.hashes[i] = hashlib.sha256(data).hexdigest()
                try:
                    images.append(decode(data, size, channels))
                except DECODE_ERRORS as exc:
                    self._unreadable(self.paths[i], exc)
                    continue
                kept.append(i)
            if kept:
                yield np.stack(images), self.labels[kept]

    def _unreadable(self, path: Path, exc: Exception) -> None:
        name = path.relative_to(self.root).as_posix()
        if self.settings["unreadable"] == "refuse":
            raise DatasetError(
                f"{name} under {self.root} is not an image that can be read ({exc}); delete or fix it, "
                "or set data.settings.folder.unreadable: skip to leave such files out"
            )
        self.unreadable.append(name)
        if len(self.unreadable) <= SHOWN:
            log.warning("folder: skipped %s, unreadable (%s)", name, exc)

    def digest(self) -> str:
        """SHA-256 over each read file's relative path and SHA-256, in path order."""
        digest = hashlib.sha256()
        for i in sorted(self.hashes):
            digest.update(f"{self.paths[i].relative_to(self.root).as_posix()}\0{self.hashes[i]}\n".encode())
        return digest.hexdigest()


FOLDER = DatasetSpec(
    name="folder",
    image_size=64,
    channels=3,
    settings={
        "image_size": 64,
        "channels": 3,
        "labels": False,
        "unreadable": "refuse",
        "test_images": None,
        "max_images": None,
    },
    build=build_folder,
)
